package app

// `switchboard tools …`: detect the coding tools on this machine and point
// them at Switchboard (or take that back). The logic is backend/clitools;
// this file only prints and asks.
//
// Wiring (app/cli.go, owned by the lead):
//
//	case "tools": fs.StringVar(&toolModel, "model", "", ""); fs.BoolVar(&toolYes, "yes", false, "")
//	sub: also taken from args[0] for cmd == "tools"; positionals allowed for "tools"
//	case "tools":
//	    in, err := core.Open(ctx, cfg, …)            // for the keys service
//	    svc := newToolsService(cfg, in.Keys)
//	    return toolsCommand(svc, sub, positional, toolModel, toolYes, stdout, stderr)
//
// usage lines:
//
//	switchboard tools list                      detected tools, where each points, its model
//	switchboard tools diff TOOL [--model M]     show what apply would change
//	switchboard tools apply TOOL [--model M] [SLOT=MODEL…] [--yes]
//	switchboard tools undo TOOL                 restore the tool's files, revoke its key
//	switchboard tools snippet                   shell exports for everything else
//	switchboard tools instructions TOOL         steps for Cursor, Roo Code, VS Code Copilot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"switchboard/backend/clitools"
	"switchboard/backend/config"
	"switchboard/backend/i18n"
	"switchboard/backend/keys"
)

// toolsStdin and stdinIsTerminal are swapped by tests.
var (
	toolsStdin      io.Reader = os.Stdin
	stdinIsTerminal           = func() bool {
		fi, err := os.Stdin.Stat()
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			return false
		}
		null, err := os.Stat(os.DevNull) // a character device too, but nobody there to answer
		return err != nil || !os.SameFile(fi, null)
	}
)

const toolsUsage = `
  switchboard tools list
  switchboard tools diff TOOL [--model M] [SLOT=MODEL…]
  switchboard tools apply TOOL [--model M] [SLOT=MODEL…] [--yes]
  switchboard tools undo TOOL
  switchboard tools snippet
  switchboard tools instructions TOOL
`

// toolsCommand runs `switchboard tools SUB ARGS…` and returns the exit code.
func toolsCommand(svc *clitools.Service, sub string, args []string, model string, yes bool, stdout, stderr io.Writer) int {
	ctx := context.Background()
	tr := i18n.Current()
	switch sub {
	case "list", "":
		return toolsList(ctx, svc, stdout)
	case "snippet":
		fmt.Fprint(stdout, svc.ShellSnippet())
		return 0
	case "instructions":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "switchboard tools instructions: "+tr.T("cli.tools.name_one"))
			return 2
		}
		text, ok := svc.Instructions(args[0])
		if !ok {
			fmt.Fprintln(stderr, "switchboard tools instructions: "+tr.T("cli.tools.no_manual_steps", i18n.V{"Tool": strconv.Quote(args[0]), "ID": args[0]}))
			return 2
		}
		fmt.Fprintln(stdout, text)
		return 0
	case "diff", "apply", "undo":
	default:
		fmt.Fprintf(stderr, "switchboard tools: %s\n%s:%s", tr.T("cli.tools.unknown_subcommand", i18n.V{"Sub": strconv.Quote(sub)}), tr.T("cli.usage"), toolsUsage)
		return 2
	}
	if len(args) < 1 {
		fmt.Fprintf(stderr, "switchboard tools %s: %s\n", sub, tr.T("cli.tools.name_a_tool"))
		return 2
	}
	id := args[0]
	if text, ok := svc.Instructions(id); ok {
		fmt.Fprintf(stderr, "%s\n\n%s\n", tr.T("cli.tools.configured_elsewhere", i18n.V{"Tool": id}), text)
		return 2
	}
	if sub == "undo" {
		if len(args) > 1 {
			fmt.Fprintln(stderr, "switchboard tools undo: "+tr.T("cli.tools.unexpected", i18n.V{"Arg": strconv.Quote(args[1])}))
			return 2
		}
		res, err := svc.Undo(ctx, id)
		if err != nil {
			fmt.Fprintln(stderr, "switchboard tools undo:", err)
			return 1
		}
		printResult(stdout, res)
		return 0
	}
	choice := clitools.Choice{Model: model}
	for _, a := range args[1:] {
		slot, m, ok := strings.Cut(a, "=")
		if !ok || slot == "" || m == "" {
			fmt.Fprintf(stderr, "switchboard tools %s: %s\n", sub, tr.T("cli.tools.unexpected_slot", i18n.V{"Arg": strconv.Quote(a)}))
			return 2
		}
		if choice.Slots == nil {
			choice.Slots = map[string]string{}
		}
		choice.Slots[slot] = m
	}
	plan, err := svc.Plan(ctx, id, choice)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard tools %s: %v\n", sub, err)
		return 1
	}
	printPlan(stdout, plan)
	if sub == "diff" || !plan.Changed() {
		return 0
	}
	if !yes {
		if !stdinIsTerminal() {
			fmt.Fprintln(stderr, "switchboard tools apply: "+tr.T("cli.tools.not_terminal"))
			return 2
		}
		fmt.Fprint(stdout, tr.T("cli.tools.confirm", i18n.V{"Tool": id})+" ")
		line, _ := bufio.NewReader(toolsStdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, tr.T("cli.tools.nothing_changed"))
			return 1
		}
	}
	res, err := svc.Apply(ctx, id, choice)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard tools apply:", err)
		return 1
	}
	printResult(stdout, res)
	fmt.Fprintln(stdout, tr.T("cli.tools.undo_hint", i18n.V{"Tool": id}))
	return 0
}

func toolsList(ctx context.Context, svc *clitools.Service, stdout io.Writer) int {
	tr := i18n.Current()
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tINSTALLED\tSTATE\tMODEL\tCONFIG\tNOTE")
	for _, st := range svc.Detect(ctx) {
		inst := tr.T("cli.tools.no")
		if st.Installed {
			inst = tr.T("cli.tools.yes")
		}
		state := st.State
		if st.Managed {
			state += " " + tr.T("cli.tools.managed")
		}
		model := st.Model
		if model == "" {
			model = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.ID, inst, state, model, strings.Join(st.ConfigPaths, ", "), firstLine(st.Detail))
	}
	tw.Flush()
	var manual []string
	for _, t := range clitools.Tools() {
		if t.Kind == "manual" {
			manual = append(manual, t.ID)
		}
	}
	fmt.Fprintf(stdout, "\n%s\n%s\n", tr.T("cli.tools.manual_footer", i18n.V{"Tools": strings.Join(manual, ", ")}), tr.T("cli.tools.snippet_footer"))
	return 0
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func printPlan(w io.Writer, p *clitools.Plan) {
	tr := i18n.Current()
	if !p.Changed() {
		fmt.Fprintln(w, tr.T("cli.tools.already", i18n.V{"Tool": p.Tool, "Model": strconv.Quote(p.Model)}))
		return
	}
	for _, f := range p.Files {
		if f.Diff != "" {
			fmt.Fprint(w, f.Diff)
		}
	}
	if p.NewKey {
		fmt.Fprintln(w, "\n"+tr.T("cli.tools.new_key", i18n.V{"Name": strconv.Quote(p.KeyName)}))
	}
	if p.Notes != "" {
		fmt.Fprintln(w, tr.T("cli.tools.note", i18n.V{"Note": p.Notes}))
	}
}

func printResult(w io.Writer, r *clitools.Result) {
	tr := i18n.Current()
	for _, f := range r.Files {
		line := fmt.Sprintf("%-9s %s", f.Action, f.Path)
		if f.Backup != "" {
			line += "  " + tr.T("cli.tools.backup", i18n.V{"Path": f.Backup})
		}
		fmt.Fprintln(w, line)
	}
	if r.KeyCreated {
		fmt.Fprintln(w, tr.T("cli.tools.key_created", i18n.V{"Name": strconv.Quote(r.KeyName), "Tool": r.Tool}))
	}
	if r.KeyRevoked {
		fmt.Fprintln(w, tr.T("cli.tools.key_revoked", i18n.V{"Name": strconv.Quote(r.KeyName)}))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintln(w, tr.T("cli.tools.warning", i18n.V{"Message": warn}))
	}
}

// toolKeys gives clitools the keys service: each tool's key is named after
// the tool and has source "tool".
// newToolsService builds the clitools service for this configuration: the
// endpoint is the listen address as clients reach it.
func newToolsService(cfg config.Config, k *keys.Service) *clitools.Service {
	return clitools.New(clitools.Options{
		DataDir:  cfg.DataDir,
		Endpoint: func() string { return endpointFor(cfg.Listen) },
		Keys:     clitools.LocalKeys(k),
	})
}

// endpointFor turns a listen address into the root URL clients use.
func endpointFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://127.0.0.1:20128"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
