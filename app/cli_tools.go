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
	"strings"
	"text/tabwriter"

	"switchboard/backend/clitools"
	"switchboard/backend/config"
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

const toolsUsage = `usage:
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
	switch sub {
	case "list", "":
		return toolsList(ctx, svc, stdout)
	case "snippet":
		fmt.Fprint(stdout, svc.ShellSnippet())
		return 0
	case "instructions":
		if len(args) != 1 {
			fmt.Fprint(stderr, "switchboard tools instructions: name one tool (cursor, roo-code, vscode-copilot)\n")
			return 2
		}
		text, ok := svc.Instructions(args[0])
		if !ok {
			fmt.Fprintf(stderr, "switchboard tools instructions: no manual steps for %q (try: switchboard tools apply %s)\n", args[0], args[0])
			return 2
		}
		fmt.Fprintln(stdout, text)
		return 0
	case "diff", "apply", "undo":
	default:
		fmt.Fprintf(stderr, "switchboard tools: unknown subcommand %q\n%s", sub, toolsUsage)
		return 2
	}
	if len(args) < 1 {
		fmt.Fprintf(stderr, "switchboard tools %s: name a tool (see: switchboard tools list)\n", sub)
		return 2
	}
	id := args[0]
	if text, ok := svc.Instructions(id); ok {
		fmt.Fprintf(stderr, "%s is configured in its own settings, not from here:\n\n%s\n", id, text)
		return 2
	}
	if sub == "undo" {
		if len(args) > 1 {
			fmt.Fprintf(stderr, "switchboard tools undo: unexpected %q\n", args[1])
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
			fmt.Fprintf(stderr, "switchboard tools %s: unexpected %q (per-role models are SLOT=MODEL)\n", sub, a)
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
			fmt.Fprintln(stderr, "switchboard tools apply: standard input is not a terminal; add --yes to apply without asking")
			return 2
		}
		fmt.Fprintf(stdout, "Apply these changes to %s? [y/N] ", id)
		line, _ := bufio.NewReader(toolsStdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "Nothing changed.")
			return 1
		}
	}
	res, err := svc.Apply(ctx, id, choice)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard tools apply:", err)
		return 1
	}
	printResult(stdout, res)
	fmt.Fprintf(stdout, "Undo any time with: switchboard tools undo %s\n", id)
	return 0
}

func toolsList(ctx context.Context, svc *clitools.Service, stdout io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tINSTALLED\tSTATE\tMODEL\tCONFIG\tNOTE")
	for _, st := range svc.Detect(ctx) {
		inst := "no"
		if st.Installed {
			inst = "yes"
		}
		state := st.State
		if st.Managed {
			state += " (managed)"
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
	fmt.Fprintf(stdout, "\nConfigured in their own settings: %s (switchboard tools instructions TOOL).\nAnything else: switchboard tools snippet\n", strings.Join(manual, ", "))
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
	if !p.Changed() {
		fmt.Fprintf(w, "%s already points at Switchboard with model %q; nothing to change.\n", p.Tool, p.Model)
		return
	}
	for _, f := range p.Files {
		if f.Diff != "" {
			fmt.Fprint(w, f.Diff)
		}
	}
	if p.NewKey {
		fmt.Fprintf(w, "\nA new local key %q will be created for this tool (shown above as a placeholder).\n", p.KeyName)
	}
	if p.Notes != "" {
		fmt.Fprintf(w, "Note: %s\n", p.Notes)
	}
}

func printResult(w io.Writer, r *clitools.Result) {
	for _, f := range r.Files {
		line := fmt.Sprintf("%-9s %s", f.Action, f.Path)
		if f.Backup != "" {
			line += "  (backup: " + f.Backup + ")"
		}
		fmt.Fprintln(w, line)
	}
	if r.KeyCreated {
		fmt.Fprintf(w, "Created local key %q for %s.\n", r.KeyName, r.Tool)
	}
	if r.KeyRevoked {
		fmt.Fprintf(w, "Revoked local key %q.\n", r.KeyName)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintln(w, "warning:", warn)
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
