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
		fmt.Fprintf(stderr, "usage: switchboard login PROVIDER [--account NAME] [--no-browser] [--import]\n  PROVIDER: %s\n",
			strings.Join(provider.SignInIDs(), ", "))
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
	fail := func(err error) int { fmt.Fprintf(stderr, "switchboard login %s: %v\n", providerID, err); return 1 }
	if lf.doImport {
		id, err := in.SignIns.Import(ctx, providerID, lf.account)
		if err != nil {
			return fail(err)
		}
		st, _ := in.SignIns.StatusOf(ctx, id)
		fmt.Fprintf(stdout, "Imported %s's %s login (%s).\n", providerID, signin.CLIName(providerID), st.Email)
		fmt.Fprintln(stdout, "Note: Switchboard and the CLI now share one refresh token. When either renews it, the other may be signed out; `switchboard login "+providerID+"` without --import gives Switchboard its own sign-in.")
		return 0
	}
	f, err := in.SignIns.Start(ctx, signin.StartOptions{Provider: providerID, Account: lf.account})
	if err != nil {
		return fail(err)
	}
	if e, ok := in.SignIns.RiskNote(providerID); ok {
		fmt.Fprintf(stdout, "Before you connect: %s\n\n", e)
	}
	opened := false
	if !lf.noBrowser {
		opened = openBrowser(f.URL) == nil
	}
	switch {
	case f.Device:
		fmt.Fprintf(stdout, "Open %s on any device, sign in and enter the code:\n\n    %s\n\nWaiting for you to approve…\n", f.URL, f.UserCode)
	case opened:
		fmt.Fprintf(stdout, "Opened your browser to sign in. If it did not open, visit:\n  %s\n", f.URL)
	case f.ManualURL != "":
		fmt.Fprintf(stdout, "Open this URL in a browser on any machine and sign in:\n  %s\nThen paste the code it shows here and press Enter.\n", f.ManualURL)
	default:
		fmt.Fprintf(stdout, "Open this URL in a browser and sign in:\n  %s\nIf the browser is on another machine, paste the address it ends on (http://localhost…) here and press Enter.\n", f.URL)
	}
	if !f.Device {
		go pasteLoop(ctx, in.SignIns, f.ID, stdin, stderr)
	}
	v, err := in.SignIns.Wait(ctx, f.ID)
	if err != nil { // Ctrl-C
		_ = in.SignIns.Cancel(f.ID)
		fmt.Fprintln(stderr, "switchboard login: canceled; nothing was stored")
		return 1
	}
	if v.Status != signin.FlowDone {
		return fail(fmt.Errorf("%s", v.Error))
	}
	fmt.Fprintf(stdout, "Signed in to %s as %s (account %q). A running Switchboard picks it up within a few seconds; models: %s/<model>.\n",
		providerID, orUnknown(v.Email), v.Account, prefixOf(providerID))
	return 0
}

// pasteLoop completes the flow with each line typed or pasted, until one
// is accepted; a line that cannot be used says why and waits for another.
func pasteLoop(ctx context.Context, m *signin.Manager, id string, stdin io.Reader, stderr io.Writer) {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		v, err := m.Complete(ctx, id, line)
		if err != nil {
			fmt.Fprintf(stderr, "%v; paste again or finish in the browser\n", err)
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

func orUnknown(s string) string {
	if s == "" {
		return "an account without an email"
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
