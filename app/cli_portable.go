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
	"switchboard/backend/i18n"
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
func runningNote() string { return i18n.Current().T("cli.portable.running_note") }

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
	tr := i18n.Current()
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
		fmt.Fprintln(stderr, tr.T("cli.portable.backups_summary", i18n.V{"Count": len(l.Backups), "Folder": l.Settings.Folder, "Keep": l.Settings.Keep}))
	case "create":
		b, err := p.CreateBackup(ctx)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, b.Name)
	case "restore":
		if len(args) != 1 {
			fmt.Fprintln(stderr, tr.T("cli.portable.restore_usage"))
			return 2
		}
		res, err := p.RestoreBackup(ctx, args[0])
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "%s\n%s\n", tr.T("cli.portable.restored", i18n.V{"Name": res.Restored, "Safety": res.Safety.Name}), runningNote())
	case "keep":
		n, err := strconv.Atoi(strings.Join(args, ""))
		if err != nil {
			fmt.Fprintln(stderr, tr.T("cli.portable.keep_usage"))
			return 2
		}
		st, err := p.SaveBackupSettings(ctx, n)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stderr, tr.T("cli.portable.kept", i18n.V{"Keep": st.Keep}))
	default:
		fmt.Fprintln(stderr, "switchboard backups: "+tr.T("cli.portable.unknown_subcommand", i18n.V{"Sub": strconv.Quote(sub), "Known": "list, create, restore, keep"}))
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
	tr := i18n.Current()
	fail := func(err error) int { fmt.Fprintf(stderr, "switchboard setup %s: %v\n", sub, cliMessage(err)); return 1 }
	switch sub {
	case "export":
		if len(args) != 1 {
			fmt.Fprintln(stderr, tr.T("cli.portable.export_usage"))
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
		fmt.Fprintln(stderr, tr.T("cli.portable.exported", i18n.V{"File": args[0]}))
	case "import":
		if len(args) != 1 {
			fmt.Fprintln(stderr, tr.T("cli.portable.import_usage"))
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
			fmt.Fprintln(stderr, runningNote())
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
		fmt.Fprintln(stderr, "switchboard setup: "+tr.T("cli.portable.unknown_subcommand", i18n.V{"Sub": strconv.Quote(sub), "Known": "export, import, config"}))
		return 2
	}
	return 0
}

func printConfigNotes(w io.Writer, c transfer.ConfigExport) {
	tr := i18n.Current()
	if len(c.Env) > 0 {
		fmt.Fprintln(w, tr.T("cli.portable.set_env"))
		for _, e := range c.Env {
			fmt.Fprintf(w, "  %s  (%s)\n", e.Name, e.For)
		}
	}
	for _, it := range c.NotCarried {
		fmt.Fprintln(w, tr.T("cli.portable.not_carried", i18n.V{"Kind": it.Kind, "Name": it.Name, "Why": it.Why}))
	}
}

// importCommand runs `switchboard import PEER [PATH] [--dry-run]`.
func importCommand(cfg config.Config, log *slog.Logger, peer string, args []string, pf portableFlags, stdout, stderr io.Writer) int {
	tr := i18n.Current()
	if peer == "" || len(args) > 1 {
		fmt.Fprintln(stderr, tr.T("cli.portable.peer_usage", i18n.V{"Peers": strings.Join(transfer.PeerIDs(), "|")}))
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
			fmt.Fprintln(stderr, tr.T("cli.portable.found", i18n.V{"Path": r.Found}))
		}
		fmt.Fprintf(stderr, "switchboard import %s: %v\n", peer, cliMessage(err))
		return 1
	}
	fmt.Fprint(stdout, r.Text())
	if !pf.dryRun {
		fmt.Fprintln(stderr, runningNote())
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
	tr := i18n.Current()
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", errors.New(tr.T("cli.portable.env_not_set", i18n.V{"Var": env}))
		}
		return v, nil
	}
	fmt.Fprintln(stderr, tr.T("cli.portable.passphrase_prompt"))
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New(tr.T("cli.portable.no_passphrase"))
	}
	return line, nil
}
