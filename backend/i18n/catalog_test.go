package i18n

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// catalog reads one locale's file: id → its forms (a plain string is the
// form "other").
func catalog(t *testing.T, locale string) map[string]map[string]string {
	t.Helper()
	b, err := catalogs.ReadFile("locales/" + locale + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s: %v", locale, err)
	}
	out := map[string]map[string]string{}
	for id, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[id] = map[string]string{"other": s}
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal(v, &forms); err != nil {
			t.Fatalf("%s: %s is neither a string nor plural forms: %v", locale, id, err)
		}
		out[id] = forms
	}
	return out
}

var argRe = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// args are the template arguments a message uses in any of its forms.
func args(forms map[string]string) []string {
	set := map[string]bool{}
	for _, f := range forms {
		for _, m := range argRe.FindAllStringSubmatch(f, -1) {
			set[m[1]] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// TestCatalogsComplete: every locale has exactly the base catalog's ids,
// none empty, each using the same arguments as English (a translation
// that drops {{.Left}} would hide the countdown).
func TestCatalogsComplete(t *testing.T) {
	base := catalog(t, Locales[0])
	for _, l := range Locales[1:] {
		c := catalog(t, l)
		for id, forms := range base {
			got, ok := c[id]
			if !ok {
				t.Errorf("%s: missing %s", l, id)
				continue
			}
			for form, text := range got {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s: %s (%s) is empty", l, id, form)
				}
			}
			if a, b := args(forms), args(got); !slices.Equal(a, b) {
				t.Errorf("%s: %s uses %v, English uses %v", l, id, b, a)
			}
		}
		for id := range c {
			if _, ok := base[id]; !ok {
				t.Errorf("%s: %s is not in the English catalog", l, id)
			}
		}
	}
}

// TestPluralsRender: each plural message renders in every locale for
// counts of each CLDR category (go-i18n fails on a missing form).
func TestPluralsRender(t *testing.T) {
	base := catalog(t, Locales[0])
	plurals := 0
	for id, forms := range base {
		if _, ok := forms["one"]; !ok {
			continue
		}
		plurals++
		data := V{}
		for _, a := range args(forms) {
			data[a] = "x"
		}
		for _, l := range Locales {
			for _, n := range []int{0, 1, 2, 5, 21, 1000000} {
				if got := For(l).N(id, n, data); got == id || strings.Contains(got, "<no value>") {
					t.Errorf("%s: %s with %d renders %q", l, id, n, got)
				}
			}
		}
	}
	if plurals == 0 {
		t.Fatal("no plural messages found")
	}
}

var idRe = regexp.MustCompile(`^(tray|notify|cli|money)\.[a-z0-9_.]+$`)

// usedIDs are the catalog ids written as string literals in the Go
// sources (tests excluded) of the packages that import this one.
func usedIDs(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{}
	for _, dir := range []string{"app", "backend"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && idRe.MatchString(s) {
						rel, _ := filepath.Rel(root, path)
						used[s] = append(used[s], rel)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return used
}

// TestCatalogKeysUsed: each id the code names is in the catalogs, and
// each catalog id is named by the code (a dead string is a string
// translated for nothing).
func TestCatalogKeysUsed(t *testing.T) {
	base := catalog(t, Locales[0])
	used := usedIDs(t)
	if len(used) < 50 {
		t.Fatalf("found only %d ids in the sources: the scan is broken", len(used))
	}
	for id, where := range used {
		if _, ok := base[id]; !ok {
			t.Errorf("%s (used in %s) is not in the catalogs", id, strings.Join(where, ", "))
		}
	}
	for id := range base {
		if _, ok := used[id]; !ok {
			t.Errorf("%s is in the catalogs but no code uses it", id)
		}
	}
}

func TestMatch(t *testing.T) {
	for in, want := range map[string]string{
		"fi_FI.UTF-8": "fi", "fi": "fi", "pt_BR.UTF-8": "pt-BR", "pt-PT": "pt-BR", "pt": "pt-BR",
		"zh_CN.UTF-8": "zh-CN", "zh-Hans-CN": "zh-CN", "zh_TW": "zh-CN", "es_MX.UTF-8": "es", "es-419": "es",
		"en_GB.UTF-8": "en", "de_DE.UTF-8": "en", "C": "en", "": "en", "sv_FI@euro": "en", "ZH-cn": "zh-CN",
	} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSystemLocaleFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "fi_FI.UTF-8"}, "fi"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "es_ES.UTF-8"}, "es"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "es_ES.UTF-8"}, "zh-CN"},
		{map[string]string{"LANG": "en_US.UTF-8", "LANGUAGE": "pt_BR:en"}, "pt-BR"},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fi"}, "en"}, // gettext ignores LANGUAGE under C
	} {
		for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
			t.Setenv(k, tc.env[k])
		}
		if got := Resolve(System); got != tc.want {
			t.Errorf("%v: Resolve(system) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// TestPreference: a stored choice wins over the system; "system" follows
// it; numbers and money follow the locale.
func TestPreference(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANGUAGE", "")
	t.Setenv("LANG", "es_ES.UTF-8")
	defer SetPreference(System)
	if got := SetPreference("fi"); got != "fi" || Current().T("tray.quit") != "Lopeta Switchboard" {
		t.Fatalf("fi: %q, %q", got, Current().T("tray.quit"))
	}
	if got := SetPreference(System); got != "es" || Current().T("tray.quit") != "Salir de Switchboard" {
		t.Fatalf("system: %q, %q", got, Current().T("tray.quit"))
	}
	for l, want := range map[string]string{"en": "$1,234.50", "fi": "1\u00a0234,50 $", "pt-BR": "US$ 1.234,50", "zh-CN": "US$1,234.50", "es": "1.234,50 US$"} {
		if got := For(l).USD(1234.5); got != want {
			t.Errorf("%s: USD = %q, want %q", l, got, want)
		}
	}
	if Valid("de") || !Valid("pt-BR") || !Valid(System) {
		t.Error("Valid accepts the wrong preferences")
	}
}
