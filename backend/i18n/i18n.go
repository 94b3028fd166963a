// Package i18n translates the texts the Go side shows to people: the tray
// menu, native notifications and CLI messages. Catalogs live in
// locales/<locale>.json (go-i18n message files, one per locale, the same
// ids in each; README.md there says how to add a string). Logs stay in
// English on purpose: they are searched and quoted in bug reports.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Locales are the languages shipped, the base (English) first. The
// dashboard ships the same list (frontend/project.inlang/settings.json).
var Locales = []string{"en", "fi", "pt-BR", "zh-CN", "es"}

// System is the preference that follows the operating system's language.
const System = "system"

//go:embed locales/*.json
var catalogs embed.FS

var bundle = sync.OnceValue(func() *goi18n.Bundle {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, l := range Locales {
		if _, err := b.LoadMessageFileFS(catalogs, "locales/"+l+".json"); err != nil {
			panic("i18n: catalog " + l + ": " + err.Error()) // embedded: a broken file is a build bug
		}
	}
	return b
})

// Printer renders messages and numbers in one locale.
type Printer struct {
	Locale string
	loc    *goi18n.Localizer
	num    *message.Printer
}

// V holds a message's named arguments ({{.Name}} in the catalogs).
type V = map[string]any

var printers sync.Map // locale → *Printer

// For returns the printer of a supported locale (or of the closest one:
// see Match), English for anything else.
func For(locale string) *Printer {
	l := Match(locale)
	if p, ok := printers.Load(l); ok {
		return p.(*Printer)
	}
	tag := language.MustParse(l)
	p := &Printer{Locale: l, loc: goi18n.NewLocalizer(bundle(), l), num: message.NewPrinter(tag)}
	printers.Store(l, p)
	return p
}

// T renders message id with args. A missing id renders as the id itself
// (the catalog test keeps that from shipping).
func (p *Printer) T(id string, args ...V) string {
	return p.render(id, nil, args)
}

// N renders message id in the plural form count needs; count is also
// available to the message as {{.Count}}.
func (p *Printer) N(id string, count int, args ...V) string {
	data := V{"Count": count}
	for _, a := range args {
		for k, v := range a {
			data[k] = v
		}
	}
	return p.render(id, count, []V{data})
}

func (p *Printer) render(id string, count any, args []V) string {
	var data V
	if len(args) > 0 {
		data = args[0]
	}
	s, err := p.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		return id
	}
	return s
}

// Decimal formats v with the locale's decimal separator and digits
// after it ("12.3" in English, "12,3" in Finnish).
func (p *Printer) Decimal(v float64, digits int) string {
	return p.num.Sprintf("%.*f", digits, v)
}

// Int formats n with the locale's digit grouping ("12,345", "12 345").
func (p *Printer) Int(n int64) string {
	return p.num.Sprintf("%d", n)
}

// Sentences joins sentences as the locale writes them: with a space, or
// with nothing after a full-width stop (Chinese).
func (p *Printer) Sentences(parts ...string) string {
	sep := " "
	if p.Locale == "zh-CN" {
		sep = ""
	}
	out := ""
	for _, s := range parts {
		if s == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += s
	}
	return out
}

// USD formats an amount of US dollars as people of the locale write it:
// "$1.23", "1,23 $", "US$ 1,23", "US$1.23".
func (p *Printer) USD(v float64) string {
	return p.T("money.usd", V{"Amount": p.Decimal(v, 2)})
}

var current atomic.Pointer[Printer]

// SetPreference sets the process's language: System (or "") follows the
// operating system, else a locale of Locales. It returns the locale used.
func SetPreference(pref string) string {
	p := For(Resolve(pref))
	current.Store(p)
	return p.Locale
}

// Current is the printer of the process's language (the system's until
// SetPreference is called).
func Current() *Printer {
	if p := current.Load(); p != nil {
		return p
	}
	return For(Resolve(System))
}

// Resolve turns a preference into a supported locale.
func Resolve(pref string) string {
	if pref == "" || pref == System {
		return Match(systemLocale())
	}
	return Match(pref)
}

// Valid reports whether pref is a preference a setting may hold.
func Valid(pref string) bool {
	if pref == System {
		return true
	}
	for _, l := range Locales {
		if l == pref {
			return true
		}
	}
	return false
}

// Match maps a locale name as systems write it ("fi_FI.UTF-8", "pt-PT",
// "zh_Hans_CN", "es-419", "C") to the closest supported locale: by
// language first (any Portuguese reads the Brazilian catalog, any Chinese
// the Simplified one), English when nothing is close.
func Match(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.IndexAny(name, ".@"); i >= 0 { // drop ".UTF-8", "@euro"
		name = name[:i]
	}
	name = strings.ReplaceAll(name, "_", "-")
	for _, l := range Locales {
		if strings.EqualFold(l, name) {
			return l
		}
	}
	lang, _, _ := strings.Cut(strings.ToLower(name), "-")
	for _, l := range Locales {
		if base, _, _ := strings.Cut(strings.ToLower(l), "-"); base == lang {
			return l
		}
	}
	return Locales[0]
}

// systemLocale is the OS's language: the POSIX variables in gettext's
// order everywhere (a shell on macOS or WSL sets them), then the
// platform's own setting (osLocale, per OS).
func systemLocale() string {
	if v := envLocale(); v != "" {
		return v
	}
	return osLocale()
}

var getenv = osGetenv

func envLocale() string {
	// LANGUAGE is a priority list ("fi:en"); its first entry wins unless
	// the locale is C, as gettext does.
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
				return ""
			}
			if first, _, _ := strings.Cut(getenv("LANGUAGE"), ":"); first != "" {
				return first
			}
			return v
		}
	}
	if first, _, _ := strings.Cut(getenv("LANGUAGE"), ":"); first != "" {
		return first
	}
	return ""
}

// Errorf is fmt.Errorf with a translated format: for errors a CLI prints
// to its user.
func (p *Printer) Errorf(id string, args V, wrapped ...error) error {
	msg := p.T(id, args)
	if len(wrapped) > 0 && wrapped[0] != nil {
		return fmt.Errorf("%s: %w", msg, wrapped[0])
	}
	return fmt.Errorf("%s", msg)
}
