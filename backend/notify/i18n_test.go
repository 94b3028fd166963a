package notify

import (
	"os"
	"testing"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/i18n"
	"switchboard/backend/route"
)

// TestMain pins the process language to English: the other tests read
// the English texts whatever the machine's LANG.
func TestMain(m *testing.M) {
	i18n.SetPreference("en")
	os.Exit(m.Run())
}

// TestFormatInLocale: a notification speaks the chosen language, with the
// locale's words for times and dates, and follows the process language
// when it has none of its own.
func TestFormatInLocale(t *testing.T) {
	name := func(id string) string { return map[string]string{"openai": "OpenAI"}[id] }
	tomorrow9 := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	later := time.Date(2026, 3, 20, 16, 30, 0, 0, time.UTC)
	cases := []struct {
		lang        string
		kind        events.Kind
		c           route.Change
		title, body string
	}{
		{"fi", KindQuotaExhausted, route.Change{Provider: "openai", Account: "work", Window: "5h", Until: tomorrow9},
			"OpenAI: kiintiö loppui",
			"OpenAI-tili work: kiintiö (5h-ikkuna) on lopussa huomenna 09:00 asti. Muut tilit ja palveluntarjoajat hoitavat sen pyynnöt sillä välin."},
		{"pt-BR", KindQuotaThreshold, route.Change{Provider: "openai", Window: "weekly", Percent: 80, Until: later},
			"OpenAI: weekly em 80%",
			"OpenAI já usou 80% da janela weekly; ela renova em 20/03 às 16:30."},
		{"zh-CN", KindBreakerOpen, route.Change{Provider: "openai", Message: "upstream 500"},
			"OpenAI 出现故障",
			"由于连续出错，Switchboard 已停止向 OpenAI 发送请求，并在它恢复响应之前将请求路由到其他提供商。最近的错误：upstream 500"},
		{"es", KindKeyBudget, route.Change{Account: "ci", Window: "monthly token budget", Percent: 90},
			"Clave ci: 90 % de su presupuesto mensual de tokens",
			"La clave de Switchboard ci ha usado el 90 % de su presupuesto mensual de tokens. Las solicitudes se rechazan cuando se agota."},
		{"fi", KindComboUnavailable, route.Change{Provider: "coding"},
			"Combo coding ei ole käytettävissä",
			"Kaikki combon coding kohteet ovat tauolla, antavat virheitä tai ovat pois käytöstä: sen pyynnöt epäonnistuvat, kunnes jokin niistä toipuu."},
	}
	for _, tc := range cases {
		f := Formatter{Loc: time.UTC, Name: name, Lang: tc.lang}
		n := f.Format(tc.kind, tc.c, t0, false)
		if n.Title != tc.title || n.Body != tc.body {
			t.Errorf("%s %s:\n got  %q\n      %q\n want %q\n      %q", tc.lang, tc.kind, n.Title, n.Body, tc.title, tc.body)
		}
	}
	// No language of its own: the process's, as the settings set it.
	defer i18n.SetPreference("en")
	i18n.SetPreference("es")
	n := Formatter{Loc: time.UTC, Name: name}.Format(KindRecovered, route.Change{Provider: "openai"}, t0, false)
	if n.Title != "OpenAI se ha recuperado" {
		t.Errorf("process language es: title %q", n.Title)
	}
}
