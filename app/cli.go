// Package app is the thin shell around backend/: command-line parsing,
// modes (desktop window + tray, headless server, key commands), the Wails
// window and its bound façade, and the tray per OS. Logic lives in backend/.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/i18n"
	"switchboard/backend/logging"
	"switchboard/backend/server"
)

// globalFlags are accepted by every command.
type globalFlags struct {
	listen, dataDir, configFile, logFormat, logLevel stringFlag
	version, minimized                               bool
}

// stringFlag remembers whether it was set, so unset flags do not override
// the environment or the config file.
type stringFlag struct {
	v   string
	set bool
}

func (s *stringFlag) String() string     { return s.v }
func (s *stringFlag) Set(v string) error { s.v, s.set = v, true; return nil }
func (s *stringFlag) ptr() *string {
	if s.set {
		return &s.v
	}
	return nil
}

func newFlagSet(name string, g *globalFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, usageText()) }
	fs.Var(&g.listen, "listen", "")
	fs.Var(&g.dataDir, "data-dir", "")
	fs.Var(&g.configFile, "config", "")
	fs.Var(&g.logFormat, "log-format", "")
	fs.Var(&g.logLevel, "log-level", "")
	fs.BoolVar(&g.version, "version", false, "")
	fs.BoolVar(&g.minimized, "minimized", false, "")
	return fs
}

// Main runs the command line and returns the process exit code.
func Main(ui fs.FS, args []string, stdout, stderr io.Writer) int {
	if generatingBindings {
		return runBindingsGenerator()
	}
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var g globalFlags
	fs := newFlagSet(cmd, &g, stderr)
	var toolModel string
	var kf keyFlags
	var toolYes bool
	var pf providerFlags
	var lf loginFlags
	var portf portableFlags
	switch cmd {
	case "backups", "setup", "import":
		portf.register(fs)
	case "login":
		fs.StringVar(&lf.account, "account", "", "")
		fs.BoolVar(&lf.noBrowser, "no-browser", false, "")
		fs.BoolVar(&lf.doImport, "import", false, "")
	case "keys":
		kf.register(fs)
	case "providers":
		pf.register(fs)
	case "tools":
		fs.StringVar(&toolModel, "model", "", "")
		fs.BoolVar(&toolYes, "yes", false, "")
	}
	takesSub := cmd == "keys" || cmd == "providers" || cmd == "tools" || cmd == "login" ||
		cmd == "backups" || cmd == "setup" || cmd == "import"
	sub := ""
	if takesSub && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	// Flags may come before or after positional arguments
	// (`keys revoke laptop --data-dir X`), so parse in a loop.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if !takesSub && len(positional) > 0 {
		fmt.Fprintf(stderr, "switchboard: %s\n\n%s", i18n.Current().T("cli.unexpected_argument", i18n.V{"Arg": positional[0]}), usageText())
		return 2
	}
	if g.version {
		fmt.Fprintf(stdout, "switchboard %s (%s/%s)\n", core.Version, runtime.GOOS, runtime.GOARCH)
		return 0
	}
	cfg, log, err := resolveConfig(&g, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard: "+i18n.Current().T("cli.config_problems"))
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, "  - "+line)
		}
		return 2
	}
	switch cmd {
	case "":
		if !displayAvailable() {
			log.Warn("no display found (DISPLAY/WAYLAND_DISPLAY unset): starting headless; open the login link below in a browser")
			return serve(cfg, log, ui)
		}
		return runDesktop(cfg, log, ui, g.minimized || envBool("SWITCHBOARD_MINIMIZED"))
	case "serve":
		return serve(cfg, log, ui)
	case "keys":
		kf.seen(fs)
		return keysCommand(cfg, log, sub, &kf, positional, stdout, stderr)
	case "login":
		return loginCommand(cfg, log, sub, lf, os.Stdin, stdout, stderr)
	case "providers":
		return providersCommand(cfg, log, sub, &pf, positional, os.Stdin, stdout, stderr)
	case "backups":
		return backupsCommand(cfg, log, sub, positional, stdout, stderr)
	case "setup":
		return setupCommand(cfg, log, sub, positional, portf, os.Stdin, stdout, stderr)
	case "import":
		return importCommand(cfg, log, sub, positional, portf, stdout, stderr)
	case "tools":
		in, err := core.Open(context.Background(), cfg, core.Options{Log: log, UseKeyring: useKeyring()})
		if err != nil {
			log.Error("cannot open data", "err", err)
			return 1
		}
		defer in.Close()
		return toolsCommand(newToolsService(cfg, in.Keys), sub, positional, toolModel, toolYes, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "switchboard: %s\n\n%s", i18n.Current().T("cli.unknown_command", i18n.V{"Command": cmd}), usageText())
		return 2
	}
}

func envBool(k string) bool {
	v := strings.ToLower(os.Getenv(k))
	return v == "1" || v == "true" || v == "yes"
}

// resolveConfig applies defaults < config file < environment < flags.
func resolveConfig(g *globalFlags, stderr io.Writer) (config.Config, *slog.Logger, error) {
	cfg := config.Default()
	file := os.Getenv("SWITCHBOARD_CONFIG")
	if g.configFile.set {
		file = g.configFile.v
	}
	var errs []error
	if file != "" {
		c, err := config.Load(file, cfg)
		if err != nil {
			return cfg, nil, err
		}
		cfg = c
	}
	cfg.Apply(config.EnvOverrides(os.LookupEnv))
	cfg.Apply(config.Overrides{Listen: g.listen.ptr(), DataDir: g.dataDir.ptr(), LogFormat: g.logFormat.ptr(), LogLevel: g.logLevel.ptr()})
	if cfg.DataDir == "" {
		d, err := config.DefaultDataDir()
		if err != nil {
			errs = append(errs, err)
		}
		cfg.DataDir = d
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	} else if err := core.CheckConfig(cfg); err != nil {
		errs = append(errs, err) // what only building the providers and combos finds
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, nil, err
	}
	log, err := logging.New(stderr, cfg.LogFormat, cfg.LogLevel)
	return cfg, log, err
}

func useKeyring() bool { return os.Getenv("SWITCHBOARD_KEYRING") != "off" }

// serve runs headless until SIGINT/SIGTERM.
func serve(cfg config.Config, log *slog.Logger, ui fs.FS) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startDebug(log)
	in, err := core.Start(ctx, cfg, core.Options{Mode: "headless", UI: ui, Log: log, UseKeyring: useKeyring()})
	if err != nil {
		return startFailed(log, err)
	}
	log.Warn("headless dashboard login (one-time link)", "url", in.LoginURL)
	in.RestWhenIdle(startupSettle)
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", "signal")
	case err := <-in.Server.Done():
		if err != nil {
			log.Error("server stopped", "err", err)
		}
	}
	return shutdown(in, log)
}

// startupSettle is how long a headless server's start-up work goes on
// (migrations, catalogs, first health checks) before it hands back the
// memory that work used (core.Instance.RestWhenIdle).
var startupSettle = 5 * time.Second

func startFailed(log *slog.Logger, err error) int {
	var pe *server.PortInUseError
	if errors.As(err, &pe) {
		log.Error(pe.Error())
		return 3
	}
	log.Error("cannot start", "err", err)
	return 1
}

func shutdown(in *core.Instance, log *slog.Logger) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Shutdown(ctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped cleanly")
	return 0
}
