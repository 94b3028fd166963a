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
	tr := i18n.Current()
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
			fmt.Fprintln(stderr, tr.T("cli.providers.add_usage"))
			return 2
		}
		key, err := readKey(tr, pf.keyEnv, stdin)
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
		fmt.Fprintln(stderr, tr.T("cli.providers.added", i18n.V{"Account": strconv.Quote(a.Name), "Provider": args[0], "Last4": a.Last4}))
	case "test":
		if len(args) != 1 {
			fmt.Fprintln(stderr, tr.T("cli.providers.test_usage"))
			return 2
		}
		res, err := svc.TestProvider(ctx, args[0], pf.account)
		if err != nil {
			return fail(err)
		}
		code := 0
		for _, r := range res {
			if r.OK {
				fmt.Fprintf(stdout, "%s/%s: %s\n", args[0], r.Account, tr.T("cli.providers.test_ok", i18n.V{"MS": r.LatencyMS}))
			} else {
				fmt.Fprintf(stdout, "%s/%s: %s\n", args[0], r.Account, tr.T("cli.providers.test_failed", i18n.V{"Error": r.Error}))
				code = 1
			}
		}
		return code
	case "remove":
		if len(args) != 1 {
			fmt.Fprintln(stderr, tr.T("cli.providers.remove_usage"))
			return 2
		}
		if err := svc.DeleteProvider(ctx, args[0]); err != nil {
			return fail(err)
		}
		fmt.Fprintln(stderr, tr.T("cli.providers.removed", i18n.V{"Provider": args[0]}))
	default:
		fmt.Fprintln(stderr, "switchboard providers: "+tr.T("cli.providers.unknown_subcommand", i18n.V{"Sub": strconv.Quote(sub), "Known": "list, catalog, add, test, remove"}))
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
func readKey(tr *i18n.Printer, env string, stdin io.Reader) (string, error) {
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", errors.New(tr.T("cli.providers.env_empty", i18n.V{"Var": env}))
		}
		return v, nil
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(os.Stderr, tr.T("cli.providers.key_prompt")+" ")
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New(tr.T("cli.providers.no_key"))
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
