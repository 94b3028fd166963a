package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/i18n"
	"switchboard/backend/provider"
	"switchboard/backend/signin"
)

// loginFlags are the options of `switchboard login`.
type loginFlags struct {
	account             string
	noBrowser, doImport bool
}

// loginCommand runs `switchboard login PROVIDER` (claude, codex, …): a browser sign-in
// (or, with --no-browser, a URL to open anywhere and the code pasted
// back; both work at once), or --import of the vendor CLI's own login.
// The account is stored in the data directory; a running Switchboard
// picks it up within seconds.
func loginCommand(cfg config.Config, log *slog.Logger, providerID string, lf loginFlags, stdin io.Reader, stdout, stderr io.Writer) int {
	if providerID == "" {
		fmt.Fprintf(stderr, "%s: switchboard login PROVIDER [--account NAME] [--no-browser] [--import]\n  PROVIDER: %s\n",
			i18n.Current().T("cli.usage"), strings.Join(provider.SignInIDs(), ", "))
		return 2
	}
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stopSignals()
	in, err := core.Open(ctx, cfg, core.Options{Log: log, UseKeyring: useKeyring()})
	if err != nil {
		log.Error("cannot open data", "err", err)
		return 1
	}
	defer in.Close()
	tr := i18n.Current() // the stored language, read by core.Open
	fail := func(err error) int { fmt.Fprintf(stderr, "switchboard login %s: %v\n", providerID, err); return 1 }
	if lf.doImport {
		id, err := in.SignIns.Import(ctx, providerID, lf.account)
		if err != nil {
			return fail(err)
		}
		st, _ := in.SignIns.StatusOf(ctx, id)
		fmt.Fprintln(stdout, tr.T("cli.login.imported", i18n.V{"Provider": providerID, "CLI": signin.CLIName(providerID), "Email": st.Email}))
		fmt.Fprintln(stdout, tr.T("cli.login.shared_token", i18n.V{"Command": "switchboard login " + providerID}))
		return 0
	}
	f, err := in.SignIns.Start(ctx, signin.StartOptions{Provider: providerID, Account: lf.account})
	if err != nil {
		return fail(err)
	}
	if e, ok := in.SignIns.RiskNote(providerID); ok {
		fmt.Fprintf(stdout, "%s\n\n", tr.T("cli.login.risk", i18n.V{"Note": e}))
	}
	opened := false
	if !lf.noBrowser {
		opened = openBrowser(f.URL) == nil
	}
	switch {
	case f.Device:
		fmt.Fprintf(stdout, "%s\n\n    %s\n\n%s\n", tr.T("cli.login.device", i18n.V{"URL": f.URL}), f.UserCode, tr.T("cli.login.waiting"))
	case opened:
		fmt.Fprintf(stdout, "%s\n  %s\n", tr.T("cli.login.opened"), f.URL)
	case f.ManualURL != "":
		fmt.Fprintf(stdout, "%s\n  %s\n%s\n", tr.T("cli.login.manual"), f.ManualURL, tr.T("cli.login.manual_paste"))
	default:
		fmt.Fprintf(stdout, "%s\n  %s\n%s\n", tr.T("cli.login.open_url"), f.URL, tr.T("cli.login.paste_redirect"))
	}
	if !f.Device {
		go pasteLoop(ctx, tr, in.SignIns, f.ID, stdin, stderr)
	}
	v, err := in.SignIns.Wait(ctx, f.ID)
	if err != nil { // Ctrl-C
		_ = in.SignIns.Cancel(f.ID)
		fmt.Fprintln(stderr, "switchboard login: "+tr.T("cli.login.canceled"))
		return 1
	}
	if v.Status != signin.FlowDone {
		return fail(fmt.Errorf("%s", v.Error))
	}
	fmt.Fprintln(stdout, tr.T("cli.login.signed_in", i18n.V{"Provider": providerID, "Email": orUnknown(tr, v.Email),
		"Account": v.Account, "Prefix": prefixOf(providerID)}))
	return 0
}

// pasteLoop completes the flow with each line typed or pasted, until one
// is accepted; a line that cannot be used says why and waits for another.
func pasteLoop(ctx context.Context, tr *i18n.Printer, m *signin.Manager, id string, stdin io.Reader, stderr io.Writer) {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		v, err := m.Complete(ctx, id, line)
		if err != nil {
			fmt.Fprintf(stderr, "%v; %s\n", err, tr.T("cli.login.paste_again"))
			continue
		}
		if v.Status != signin.FlowPending {
			return
		}
	}
}

// openBrowser opens url in the user's browser.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return fmt.Errorf("no display")
		}
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Start()
}

func orUnknown(tr *i18n.Printer, s string) string {
	if s == "" {
		return tr.T("cli.login.no_email")
	}
	return s
}

// prefixOf is the provider's model prefix (cc, cx, qw…).
func prefixOf(providerID string) string {
	if e, ok := provider.Lookup(providerID); ok {
		return e.Prefix
	}
	return providerID
}
