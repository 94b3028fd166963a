package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/i18n"
	"switchboard/backend/mgmt"
)

// providerFlags are the options of `switchboard providers …`.
type providerFlags struct {
	name, keyEnv, typ, baseURL, prefix, models, account string
	allowLocal                                          bool
	maxConcurrent, rpm, priority                        int
}

func (p *providerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.name, "name", "", "")
	fs.StringVar(&p.keyEnv, "key-env", "", "")
	fs.StringVar(&p.typ, "type", "", "")
	fs.StringVar(&p.baseURL, "base-url", "", "")
	fs.StringVar(&p.prefix, "prefix", "", "")
	fs.StringVar(&p.models, "models", "", "")
	fs.StringVar(&p.account, "account", "", "")
	fs.BoolVar(&p.allowLocal, "allow-local", false, "")
	fs.IntVar(&p.maxConcurrent, "max-concurrent", 0, "")
	fs.IntVar(&p.rpm, "rpm", 0, "")
	fs.IntVar(&p.priority, "priority", 0, "")
}

// providersCommand runs `switchboard providers SUB`. API keys are never
// taken from a flag (shell history, ps): from an environment variable or
// standard input.
func providersCommand(cfg config.Config, log *slog.Logger, sub string, pf *providerFlags, args []string,
	stdin io.Reader, stdout, stderr io.Writer) int {
	ctx := context.Background()
	in, err := core.Open(ctx, cfg, core.Options{Log: log, UseKeyring: useKeyring()})
	if err != nil {
		log.Error("cannot open data", "err", err)
		return 1
	}
	defer in.Close()
	svc := in.OfflineServices()
	fail := func(err error) int { fmt.Fprintf(stderr, "switchboard providers %s: %v\n", sub, err); return 1 }
	switch sub {
	case "list":
		printProviders(stdout, svc.Providers())
	case "catalog":
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIER\tID\tPREFIX\tDIALECT\tMODELS")
		for _, e := range svc.Catalog() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", e.Tier, e.ID, e.Prefix, e.Dialect, len(e.Models))
		}
		tw.Flush()
	case "add":
		if len(args) != 1 || pf.name == "" {
			fmt.Fprintln(stderr, "usage: switchboard providers add ID --name ACCOUNT [--key-env VAR] (key on stdin otherwise)")
			return 2
		}
		key, err := readKey(pf.keyEnv, stdin)
		if err != nil {
			return fail(err)
		}
		if pf.typ != "" || pf.baseURL != "" || pf.prefix != "" || pf.models != "" || pf.allowLocal {
			if err := svc.SaveProvider(ctx, mgmt.ProviderInput{ID: args[0], Type: pf.typ, BaseURL: pf.baseURL,
				Prefix: pf.prefix, Models: splitList(pf.models), AllowLocal: pf.allowLocal, OwnAccount: true}); err != nil {
				return fail(err)
			}
		}
		a, err := svc.AddAccount(ctx, args[0], mgmt.AccountInput{Name: pf.name, APIKey: key, Priority: pf.priority,
			MaxConcurrent: pf.maxConcurrent, RPM: pf.rpm})
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "Added account %q to %s (key …%s, sealed at rest)\n", a.Name, args[0], a.Last4)
	case "test":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: switchboard providers test ID [--account NAME]")
			return 2
		}
		res, err := svc.TestProvider(ctx, args[0], pf.account)
		if err != nil {
			return fail(err)
		}
		code := 0
		for _, r := range res {
			if r.OK {
				fmt.Fprintf(stdout, "%s/%s: ok in %d ms\n", args[0], r.Account, r.LatencyMS)
			} else {
				fmt.Fprintf(stdout, "%s/%s: FAILED: %s\n", args[0], r.Account, r.Error)
				code = 1
			}
		}
		return code
	case "remove":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: switchboard providers remove ID")
			return 2
		}
		if err := svc.DeleteProvider(ctx, args[0]); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "Removed %s\n", args[0])
	default:
		fmt.Fprintf(stderr, "switchboard providers: unknown subcommand %q (list, catalog, add, test, remove)\n", sub)
		return 2
	}
	return 0
}

func printProviders(w io.Writer, ps []mgmt.ProviderView) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tDIALECT\tTIER\tSOURCE\tUSABLE\tACCOUNTS")
	for _, p := range ps {
		var accts []string
		for _, a := range p.Accounts {
			if a.Kind == "signin" {
				accts = append(accts, fmt.Sprintf("%s(sign-in %s,%s,token %s)", a.Name, orUnknown(i18n.Current(), a.Email), a.State, a.TokenState))
				continue
			}
			accts = append(accts, fmt.Sprintf("%s(…%s,%s)", a.Name, a.Last4, a.State))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\n", p.ID, p.Prefix, p.Dialect, p.Tier, p.Source, p.Usable, strings.Join(accts, " "))
	}
	tw.Flush()
}

// readKey takes the key from an environment variable, or the first line of
// standard input (so `pass show x | switchboard providers add …` works).
func readKey(env string, stdin io.Reader) (string, error) {
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is empty", env)
		}
		return v, nil
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(os.Stderr, "API key (input hidden is not supported; paste and press Enter): ")
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no API key on standard input (or use --key-env VAR)")
	}
	return strings.TrimSpace(line), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
