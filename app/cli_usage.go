package app

import (
	"strings"

	"switchboard/backend/i18n"
)

// usageIndent is the column where a description continues on its own line.
var usageIndent = strings.Repeat(" ", 36)

// usageLines are the rows of `switchboard --help`: the command or flag as
// typed (never translated), then the id of what it does. A row without an
// id is printed as it is (flag lists, value lists).
var usageLines = []struct{ cmd, id string }{
	{"", "cli.usage.intro"},
	{"", ""},
	{"", "cli.usage.heading"},
	{"  switchboard [flags]               ", "cli.usage.default"},
	{"  switchboard serve [flags]         ", "cli.usage.serve"},
	{"  switchboard keys create --name N [POLICY]   ", "cli.usage.keys_create"},
	{"  switchboard keys set ID|NAME POLICY         ", "cli.usage.keys_set"},
	{"      policy: [--models 'p1,p2'] [--rpm N] [--tpm N] [--daily-usd X] [--monthly-usd X]", ""},
	{"              [--daily-tokens N] [--monthly-tokens N] [--expires DATE|never] [--disable|--enable]", ""},
	{"  switchboard keys list             ", "cli.usage.keys_list"},
	{"  switchboard keys revoke ID|NAME   ", "cli.usage.keys_revoke"},
	{"  switchboard providers list        ", "cli.usage.providers_list"},
	{"  switchboard providers catalog     ", "cli.usage.providers_catalog"},
	{"  switchboard providers add ID --name ACCOUNT [--key-env VAR]   ", "cli.usage.providers_add"},
	{"      custom: --type openai-compatible|anthropic-compatible|gemini-compatible|responses-compatible", ""},
	{"              --base-url URL [--prefix P] [--models a,b] [--allow-local]", ""},
	{"      limits: [--max-concurrent N] [--rpm N] [--priority N]", ""},
	{"  switchboard providers test ID [--account NAME]   ", "cli.usage.providers_test"},
	{"  switchboard login PROVIDER [--account NAME] [--no-browser] [--import]\n" + usageIndent, "cli.usage.login"},
	{"  switchboard providers remove ID   ", "cli.usage.providers_remove"},
	{"  switchboard backups [list|create|restore NAME|keep N]   ", "cli.usage.backups"},
	{"  switchboard setup export FILE     ", "cli.usage.setup_export"},
	{"  switchboard setup import FILE [--replace] [--dry-run]   ", "cli.usage.setup_import"},
	{"  switchboard setup config [FILE]   ", "cli.usage.setup_config"},
	{"  switchboard import omniroute|9router|cliproxyapi|cc-switch [PATH] [--dry-run]\n" + usageIndent, "cli.usage.import"},
	{"  switchboard tools list            ", "cli.usage.tools_list"},
	{"  switchboard tools diff TOOL [--model M] [SLOT=MODEL…]    ", "cli.usage.tools_diff"},
	{"  switchboard tools apply TOOL [--model M] [SLOT=MODEL…] [--yes]   ", "cli.usage.tools_apply"},
	{"  switchboard tools undo TOOL       ", "cli.usage.tools_undo"},
	{"  switchboard tools snippet         ", "cli.usage.tools_snippet"},
	{"  switchboard tools instructions TOOL   ", "cli.usage.tools_instructions"},
	{"", ""},
	{"", "cli.usage.flags_heading"},
	{"  --listen ADDR       SWITCHBOARD_LISTEN      ", "cli.usage.listen"},
	{"  --data-dir DIR      SWITCHBOARD_DATA_DIR    ", "cli.usage.data_dir"},
	{"  --config FILE       SWITCHBOARD_CONFIG      ", "cli.usage.config"},
	{"  --log-format F      SWITCHBOARD_LOG_FORMAT  text | json", ""},
	{"  --log-level L       SWITCHBOARD_LOG_LEVEL   debug | info | warn | error", ""},
	{"  --minimized         SWITCHBOARD_MINIMIZED   ", "cli.usage.minimized"},
	{"  --version                                   ", "cli.usage.version"},
	{"                      SWITCHBOARD_DEBUG_ADDR  ", "cli.usage.debug_addr"},
}

// usageText is `switchboard --help` in the process's language; a
// description's further lines start at usageIndent.
func usageText() string {
	tr := i18n.Current()
	var b strings.Builder
	for _, l := range usageLines {
		b.WriteString(l.cmd)
		if l.id != "" {
			b.WriteString(strings.ReplaceAll(tr.T(l.id), "\n", "\n"+usageIndent))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
