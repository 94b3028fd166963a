package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/i18n"
	"switchboard/backend/keys"
)

// keyFlags are the flags of `switchboard keys`; set records which were
// given, so `keys set` changes only those.
type keyFlags struct {
	name, models, expires      string
	rpm, tpm                   int
	dailyUSD, monthlyUSD       float64
	dailyTokens, monthlyTokens int64
	disable, enable            bool
	set                        map[string]bool
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.name, "name", "", "")
	fs.StringVar(&k.models, "models", "", "")
	fs.StringVar(&k.expires, "expires", "", "")
	fs.IntVar(&k.rpm, "rpm", 0, "")
	fs.IntVar(&k.tpm, "tpm", 0, "")
	fs.Float64Var(&k.dailyUSD, "daily-usd", 0, "")
	fs.Float64Var(&k.monthlyUSD, "monthly-usd", 0, "")
	fs.Int64Var(&k.dailyTokens, "daily-tokens", 0, "")
	fs.Int64Var(&k.monthlyTokens, "monthly-tokens", 0, "")
	fs.BoolVar(&k.disable, "disable", false, "")
	fs.BoolVar(&k.enable, "enable", false, "")
}

// seen records the flags given (after parsing).
func (k *keyFlags) seen(fs *flag.FlagSet) {
	k.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { k.set[f.Name] = true })
}

// apply changes p by the policy flags given.
func (k *keyFlags) apply(p keys.Policy) (keys.Policy, error) {
	if k.set["disable"] && k.set["enable"] {
		return p, fmt.Errorf("--disable and --enable contradict each other")
	}
	if k.set["models"] {
		p.Models = nil
		for _, m := range strings.Split(k.models, ",") {
			if m = strings.TrimSpace(m); m != "" {
				p.Models = append(p.Models, m)
			}
		}
	}
	if k.set["rpm"] {
		p.RPM = k.rpm
	}
	if k.set["tpm"] {
		p.TPM = k.tpm
	}
	if k.set["daily-usd"] {
		p.DailyUSD = k.dailyUSD
	}
	if k.set["monthly-usd"] {
		p.MonthlyUSD = k.monthlyUSD
	}
	if k.set["daily-tokens"] {
		p.DailyTokens = k.dailyTokens
	}
	if k.set["monthly-tokens"] {
		p.MonthlyTokens = k.monthlyTokens
	}
	if k.set["expires"] {
		p.ExpiresAt = k.expires
		if k.expires == "never" {
			p.ExpiresAt = ""
		}
	}
	if k.set["disable"] {
		p.Disabled = true
	}
	if k.set["enable"] {
		p.Disabled = false
	}
	return p, p.Validate()
}

func keysCommand(cfg config.Config, log *slog.Logger, sub string, kf *keyFlags, rest []string, stdout, stderr io.Writer) int {
	ctx := context.Background()
	in, err := core.Open(ctx, cfg, core.Options{Log: log, UseKeyring: useKeyring()})
	if err != nil {
		log.Error("cannot open data", "err", err)
		return 1
	}
	defer in.Close()
	tr := i18n.Current() // the stored language, read by core.Open
	switch sub {
	case "create":
		name := kf.name
		if name == "" && len(rest) > 0 {
			name = rest[0]
		}
		if name == "" {
			fmt.Fprintln(stderr, "switchboard keys create: "+tr.T("cli.keys.name_required"))
			return 2
		}
		p, err := kf.apply(keys.Policy{})
		if err != nil {
			fmt.Fprintln(stderr, "switchboard keys create:", err)
			return 2
		}
		k, secret, err := in.Keys.CreateWithPolicy(ctx, name, keys.SourceCLI, p)
		if err != nil {
			fmt.Fprintln(stderr, "switchboard keys create:", err)
			return 1
		}
		fmt.Fprintln(stderr, tr.T("cli.keys.created", i18n.V{"Name": k.Name, "ID": k.ID}))
		fmt.Fprintln(stdout, secret)
		return 0
	case "set":
		return keysSet(ctx, in, kf, rest, stderr)
	case "list":
		in.SeedKeySpend(ctx)
		printKeys(stdout, in.Keys.List())
		return 0
	case "revoke":
		if len(rest) != 1 {
			fmt.Fprintln(stderr, "switchboard keys revoke: "+tr.T("cli.keys.give_one"))
			return 2
		}
		if err := in.Keys.Revoke(ctx, rest[0]); err != nil {
			fmt.Fprintln(stderr, "switchboard keys revoke:", err)
			return 1
		}
		fmt.Fprintln(stderr, tr.T("cli.keys.revoked", i18n.V{"Key": rest[0]}))
		return 0
	}
	fmt.Fprintln(stderr, "switchboard keys: "+tr.T("cli.unknown_subcommand", i18n.V{"Sub": sub, "Known": "create, list, set, revoke"}))
	return 2
}

func keysSet(ctx context.Context, in *core.Instance, kf *keyFlags, rest []string, stderr io.Writer) int {
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "switchboard keys set: "+i18n.Current().T("cli.keys.set_usage"))
		return 2
	}
	k, ok := in.Keys.Get(rest[0])
	if !ok {
		fmt.Fprintln(stderr, "switchboard keys set:", keys.ErrNotFound)
		return 1
	}
	p, err := kf.apply(k.Policy)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard keys set:", err)
		return 2
	}
	if k, err = in.Keys.SetPolicy(ctx, k.ID, p); err != nil {
		fmt.Fprintln(stderr, "switchboard keys set:", err)
		return 1
	}
	fmt.Fprintf(stderr, "Key %q: %s\n", k.Name, policyText(k.Policy))
	return 0
}

func printKeys(w io.Writer, ks []keys.Key) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKEY\tSOURCE\tCREATED\tLAST USED\tTODAY\tMONTH\tPOLICY")
	for _, k := range ks {
		used := k.LastUsedAt
		if used == "" {
			used = "never"
		}
		today, month := "-", "-"
		if u := k.Usage; u != nil {
			today, month = spendText(u.Today), spendText(u.Month)
		}
		fmt.Fprintf(tw, "%s\t%s\tsk-sb-…%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Last4, k.Source, k.CreatedAt, used,
			today, month, policyText(k.Policy))
	}
	tw.Flush()
}

func spendText(s keys.Spend) string {
	t := "$" + strconv.FormatFloat(s.USD, 'f', 2, 64) + " " + strconv.FormatInt(s.Tokens, 10) + "tok"
	if s.Unpriced > 0 {
		t += "+" // some requests had no known price
	}
	return t
}

// policyText is a key's policy in one line ("no limits" when none).
func policyText(p keys.Policy) string {
	var parts []string
	if p.Disabled {
		parts = append(parts, "DISABLED")
	}
	if len(p.Models) > 0 {
		parts = append(parts, "models "+strings.Join(p.Models, ","))
	}
	num := func(label string, v int64) {
		if v > 0 {
			parts = append(parts, label+" "+strconv.FormatInt(v, 10))
		}
	}
	money := func(label string, v float64) {
		if v > 0 {
			parts = append(parts, label+" $"+strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	num("rpm", int64(p.RPM))
	num("tpm", int64(p.TPM))
	money("daily", p.DailyUSD)
	money("monthly", p.MonthlyUSD)
	num("daily tokens", p.DailyTokens)
	num("monthly tokens", p.MonthlyTokens)
	if p.ExpiresAt != "" {
		parts = append(parts, "expires "+p.ExpiresAt)
	}
	if len(parts) == 0 {
		return "no limits"
	}
	return strings.Join(parts, "; ")
}
