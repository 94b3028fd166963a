package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/i18n"
	"switchboard/backend/keys"
	"switchboard/backend/mgmt"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// TestTrayMenuSpeaksChosenLanguage: the tray's items, countdowns, numbers
// and money come out in the locale of its state.
func TestTrayMenuSpeaksChosenLanguage(t *testing.T) {
	st := base()
	st.Today = usage.Totals{Requests: 42, TokensIn: 10_000, TokensOut: 2_345, CostUSD: 1.5}
	st.KeyBudgets = []keys.Warning{{Key: "ci", Budget: "daily", Unit: "usd", Percent: 84}}
	st.Providers = []TrayProvider{{ID: "openai", Name: "OpenAI", Accounts: 1, CanPause: true,
		Rests: []route.Cooldown{{AccountID: "a1", Model: "*", Reason: route.ReasonRateLimited, Until: now.Add(65 * time.Second)}}}}
	want := map[string]map[string]string{
		"fi": {"quit": "Lopeta Switchboard", "today": "Tänään: 42 pyyntöä · 12,3 t. tokenia · 1,50 $",
			"provider.0": "✕ OpenAI: nopeusrajoitus, 1 min 05 s jäljellä", "keybudget": "⚠ Avain ci: päiväbudjetista käytetty 84 %"},
		"pt-BR": {"quit": "Sair do Switchboard", "today": "Hoje: 42 requisições · 12,3 mil tokens · US$ 1,50",
			"provider.0": "✕ OpenAI: limite de taxa, faltam 1min 05s", "keybudget": "⚠ Chave ci: 84% do orçamento diário"},
		"zh-CN": {"quit": "退出 Switchboard", "today": "今日：42 次请求 · 12.3k token · US$1.50",
			"provider.0": "✕ OpenAI: 触发速率限制，剩余 1 分 05 秒", "keybudget": "⚠ 密钥 ci：已用每日预算的 84%"},
		"es": {"quit": "Salir de Switchboard", "today": "Hoy: 42 solicitudes · 12,3 mil tokens · 1,50 US$",
			"provider.0": "✕ OpenAI: límite de velocidad, quedan 1 min 05 s", "keybudget": "⚠ Clave ci: 84 % del presupuesto diario"},
		"en": {"quit": "Quit Switchboard", "today": "Today: 42 requests · 12.3k tokens · $1.50",
			"provider.0": "✕ OpenAI: rate limited, 1m 05s left", "keybudget": "⚠ Key ci: 84% of daily budget"},
	}
	for lang, items := range want {
		st.Lang = lang
		m := TrayMenu(st)
		for id, title := range items {
			if got := item(t, m, id).Title; got != title {
				t.Errorf("%s %s: %q, want %q", lang, id, got, title)
			}
		}
	}
}

// TestCLISpeaksStoredLanguage: a CLI command reads the language saved in
// the data dir's settings; before any data dir is read, the system's.
func TestCLISpeaksStoredLanguage(t *testing.T) {
	defer i18n.SetPreference(i18n.System)
	dir := dataDirInLanguage(t, "fi")

	code, secret, errs := run("keys", "create", "--name", "laptop", "--data-dir", dir)
	if code != 0 || !strings.HasPrefix(secret, "sk-") || !strings.Contains(errs, "Avain ”laptop” luotiin") {
		t.Fatalf("keys create in fi: code %d, stderr %q", code, errs)
	}
	if code, _, errs = run("keys", "revoke", "laptop", "--data-dir", dir); code != 0 || !strings.Contains(errs, "laptop mitätöitiin") {
		t.Fatalf("keys revoke in fi: code %d, stderr %q", code, errs)
	}

	for k, v := range map[string]string{"LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": "", "LANG": "es_ES.UTF-8"} {
		t.Setenv(k, v)
	}
	i18n.SetPreference(i18n.System)
	if code, _, errs = run("frobnicate"); code != 2 || !strings.Contains(errs, "comando desconocido «frobnicate»") ||
		!strings.Contains(errs, "\n  switchboard tools undo TOOL       restaura los archivos de TOOL y revoca su clave\n") {
		t.Fatalf("unknown command under LANG=es: code %d, stderr %q", code, errs)
	}
}

// TestCLIPortableToolsProvidersSpeakStoredLanguage: `backups`, `tools` and `providers` print
// their own sentences in the stored language; names and paths stay as they are.
func TestCLIPortableToolsProvidersSpeakStoredLanguage(t *testing.T) {
	defer i18n.SetPreference(i18n.System)
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	t.Setenv("HOME", t.TempDir())
	dir := dataDirInLanguage(t, "pt-BR")

	if code, _, errs := run("backups", "keep", "3", "--data-dir", dir); code != 0 || !strings.Contains(errs, "Os 3 backups mais recentes são mantidos.") {
		t.Fatalf("backups keep in pt-BR: code %d, stderr %q", code, errs)
	}
	if code, _, errs := run("backups", "list", "--data-dir", dir); code != 0 || !strings.Contains(errs, "os 3 mais recentes são mantidos") {
		t.Fatalf("backups list in pt-BR: code %d, stderr %q", code, errs)
	}
	if code, _, errs := run("backups", "frob", "--data-dir", dir); code != 2 || !strings.Contains(errs, `subcomando desconhecido "frob" (list, create, restore, keep)`) {
		t.Fatalf("backups frob in pt-BR: code %d, stderr %q", code, errs)
	}
	if code, _, errs := run("providers", "add", "openai", "--key-env", "SB_TEST_NO_SUCH_VAR", "--name", "w", "--data-dir", dir); code != 1 || !strings.Contains(errs, "a variável de ambiente SB_TEST_NO_SUCH_VAR está vazia") {
		t.Fatalf("providers add in pt-BR: code %d, stderr %q", code, errs)
	}
	code, out, errs := run("tools", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "Configuradas nas próprias configurações: ") || !strings.Contains(out, "Qualquer outra: switchboard tools snippet") {
		t.Fatalf("tools list in pt-BR: code %d, stdout %q, stderr %q", code, out, errs)
	}
	if !strings.Contains(out, " não ") || strings.Contains(out, " no ") {
		t.Fatalf("tools list in pt-BR: INSTALLED column not in Portuguese:\n%s", out)
	}
}

// dataDirInLanguage makes a data dir whose stored settings choose lang,
// and forgets the process's language so the next command reads it.
func dataDirInLanguage(t *testing.T, lang string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	in, err := core.Open(context.Background(), cfg, core.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := mgmt.DefaultSettings()
	st.Language = lang
	if _, err := in.OfflineServices().SaveSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	in.Close()
	i18n.SetPreference(i18n.System)
	return dir
}
