package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/mgmt"
	"switchboard/backend/transfer"
)

// portableFlags are the options of `backups`, `setup` and `import`.
type portableFlags struct {
	dryRun, replace bool
	passEnv         string
}

func (p *portableFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.dryRun, "dry-run", false, "")
	fs.BoolVar(&p.replace, "replace", false, "")
	fs.StringVar(&p.passEnv, "passphrase-env", "", "")
}

// runningNote is said after a change made from the CLI: a running
// Switchboard reloads only what it watches.
const runningNote = "If Switchboard is running, restart it (or do this from its dashboard, Settings → Backups and Backup & transfer,) so it reloads everything."

func openForCLI(cfg config.Config, log *slog.Logger) (*core.Instance, mgmt.Portable, error) {
	in, err := core.Open(context.Background(), cfg, core.Options{Log: log, UseKeyring: useKeyring()})
	if err != nil {
		return nil, nil, err
	}
	return in, in.Portable(), nil
}

// backupsCommand runs `switchboard backups list|create|restore NAME|keep N`.
func backupsCommand(cfg config.Config, log *slog.Logger, sub string, args []string, stdout, stderr io.Writer) int {
	in, p, err := openForCLI(cfg, log)
	if err != nil {
		log.Error("cannot open data", "err", err)
		return 1
	}
	defer in.Close()
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintf(stderr, "switchboard backups %s: %v\n", sub, err); return 1 }
	switch sub {
	case "", "list":
		l, err := p.Backups(ctx)
		if err != nil {
			return fail(err)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tREASON\tCREATED\tSIZE")
		for _, b := range l.Backups {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d KiB\n", b.Name, b.Reason, b.CreatedAt, (b.Size+1023)/1024)
		}
		tw.Flush()
		fmt.Fprintf(stderr, "%d backups in %s; the newest %d are kept.\n", len(l.Backups), l.Settings.Folder, l.Settings.Keep)
	case "create":
		b, err := p.CreateBackup(ctx)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, b.Name)
	case "restore":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: switchboard backups restore NAME (see switchboard backups list)")
			return 2
		}
		res, err := p.RestoreBackup(ctx, args[0])
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "Restored %s. The database it replaced is kept as %s.\n%s\n", res.Restored, res.Safety.Name, runningNote)
	case "keep":
		n, err := strconv.Atoi(strings.Join(args, ""))
		if err != nil {
			fmt.Fprintln(stderr, "usage: switchboard backups keep N")
			return 2
		}
		st, err := p.SaveBackupSettings(ctx, n)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "The newest %d backups are kept.\n", st.Keep)
	default:
		fmt.Fprintf(stderr, "switchboard backups: unknown subcommand %q (list, create, restore, keep)\n", sub)
		return 2
	}
	return 0
}

// setupCommand runs `switchboard setup export FILE | import FILE | config [FILE]`.
func setupCommand(cfg config.Config, log *slog.Logger, sub string, args []string, pf portableFlags, stdin io.Reader, stdout, stderr io.Writer) int {
	in, p, err := openForCLI(cfg, log)
	if err != nil {
		log.Error("cannot open data", "err", err)
		return 1
	}
	defer in.Close()
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintf(stderr, "switchboard setup %s: %v\n", sub, cliMessage(err)); return 1 }
	switch sub {
	case "export":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: switchboard setup export FILE [--passphrase-env VAR] (passphrase read from VAR or stdin)")
			return 2
		}
		pass, err := readPassphrase(pf.passEnv, stdin, stderr)
		if err != nil {
			return fail(err)
		}
		data, err := p.ExportSetup(ctx, pass)
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(args[0], data, 0o600); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "Wrote %s: the whole setup, secrets included, encrypted with your passphrase (age, scrypt). Without the passphrase nothing in it is readable.\n", args[0])
	case "import":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: switchboard setup import FILE [--replace] [--dry-run] [--passphrase-env VAR]")
			return 2
		}
		data, err := os.ReadFile(args[0])
		if err != nil {
			return fail(err)
		}
		pass, err := readPassphrase(pf.passEnv, stdin, stderr)
		if err != nil {
			return fail(err)
		}
		r, err := p.ImportSetup(ctx, mgmt.SetupImport{Data: data, Passphrase: pass, Replace: pf.replace, DryRun: pf.dryRun})
		if err != nil {
			return fail(err)
		}
		fmt.Fprint(stdout, r.Text())
		if !pf.dryRun {
			fmt.Fprintln(stderr, runningNote)
		}
	case "config":
		c, err := p.ExportConfig(ctx)
		if err != nil {
			return fail(err)
		}
		if len(args) == 1 {
			if err := os.WriteFile(args[0], []byte(c.YAML), 0o600); err != nil {
				return fail(err)
			}
		} else {
			fmt.Fprint(stdout, c.YAML)
		}
		printConfigNotes(stderr, c)
	default:
		fmt.Fprintf(stderr, "switchboard setup: unknown subcommand %q (export, import, config)\n", sub)
		return 2
	}
	return 0
}

func printConfigNotes(w io.Writer, c transfer.ConfigExport) {
	if len(c.Env) > 0 {
		fmt.Fprintln(w, "Set these environment variables before starting Switchboard with this file:")
		for _, e := range c.Env {
			fmt.Fprintf(w, "  %s  (%s)\n", e.Name, e.For)
		}
	}
	for _, it := range c.NotCarried {
		fmt.Fprintf(w, "Not in the file: %s %s: %s\n", it.Kind, it.Name, it.Why)
	}
}

// importCommand runs `switchboard import PEER [PATH] [--dry-run]`.
func importCommand(cfg config.Config, log *slog.Logger, peer string, args []string, pf portableFlags, stdout, stderr io.Writer) int {
	if peer == "" || len(args) > 1 {
		fmt.Fprintf(stderr, "usage: switchboard import %s [PATH] [--dry-run]\n", strings.Join(transfer.PeerIDs(), "|"))
		return 2
	}
	in, _, err := openForCLI(cfg, log)
	if err != nil {
		log.Error("cannot open data", "err", err)
		return 1
	}
	defer in.Close()
	path := ""
	if len(args) == 1 {
		path = args[0]
	}
	r, err := in.ImportPeer(context.Background(), peer, path, pf.dryRun)
	if err != nil {
		if r.Found != "" {
			fmt.Fprintf(stderr, "Found: %s\n", r.Found)
		}
		fmt.Fprintf(stderr, "switchboard import %s: %v\n", peer, cliMessage(err))
		return 1
	}
	fmt.Fprint(stdout, r.Text())
	if !pf.dryRun {
		fmt.Fprintln(stderr, runningNote)
	}
	return 0
}

func cliMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{"invalid: ", "transfer: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// readPassphrase reads the passphrase from an environment variable or the
// first line of stdin (never from a flag: shell history, ps).
func readPassphrase(env string, stdin io.Reader, stderr io.Writer) (string, error) {
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	}
	fmt.Fprintln(stderr, "Passphrase (one line on standard input):")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no passphrase given")
	}
	return line, nil
}
