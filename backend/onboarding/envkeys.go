package onboarding

import (
	"strings"
)

// EnvKey maps an environment variable users commonly keep a provider's API
// key in to the catalog provider that key belongs to.
type EnvKey struct {
	Var      string
	Provider string
}

// EnvKeys lists the variables looked at, in the order they are shown. Where
// two variables name the same provider (GEMINI_API_KEY, GOOGLE_API_KEY),
// the first one set wins, as the vendors' own SDKs do.
var EnvKeys = []EnvKey{
	{"OPENAI_API_KEY", "openai"},
	{"ANTHROPIC_API_KEY", "anthropic"},
	{"GEMINI_API_KEY", "gemini"},
	{"GOOGLE_API_KEY", "gemini"},
	{"OPENROUTER_API_KEY", "openrouter"},
	{"GROQ_API_KEY", "groq"},
	{"DEEPSEEK_API_KEY", "deepseek"},
	{"MISTRAL_API_KEY", "mistral"},
	{"XAI_API_KEY", "xai"},
	{"TOGETHER_API_KEY", "together"},
	{"FIREWORKS_API_KEY", "fireworks"},
	{"CEREBRAS_API_KEY", "cerebras"},
	{"PERPLEXITY_API_KEY", "perplexity"},
	{"NVIDIA_API_KEY", "nvidia"},
	{"CO_API_KEY", "cohere"},
}

// LookupEnvKey finds the table row of an environment variable.
func LookupEnvKey(name string) (EnvKey, bool) {
	for _, k := range EnvKeys {
		if k.Var == name {
			return k, true
		}
	}
	return EnvKey{}, false
}

// DetectedKey is a provider key found in the environment. The value never
// leaves the process: Hint is all the dashboard sees.
type DetectedKey struct {
	Var      string `json:"var"`
	Provider string `json:"provider"`
	Hint     string `json:"hint"`
	// Shadowed: an earlier variable already supplies this provider.
	Shadowed bool `json:"shadowed,omitempty"`
	// Added: the provider already has an account with this key.
	Added bool `json:"added,omitempty"`
}

// Mask shows the shape of a key without revealing it: a short known prefix
// and the last four characters ("sk-…wxyz"); a short key shows nothing.
func Mask(v string) string {
	v = strings.TrimSpace(v)
	if len(v) < 12 {
		return "…"
	}
	prefix := ""
	if i := strings.IndexAny(v[:min(len(v), 8)], "-_"); i > 0 && i <= 6 {
		prefix = v[:i+1]
	}
	return prefix + "…" + v[len(v)-4:]
}

// envKeys reads the table from getenv.
func envKeys(getenv func(string) string) []DetectedKey {
	out := []DetectedKey{}
	seen := map[string]bool{}
	for _, k := range EnvKeys {
		v := strings.TrimSpace(getenv(k.Var))
		if v == "" {
			continue
		}
		out = append(out, DetectedKey{Var: k.Var, Provider: k.Provider, Hint: Mask(v), Shadowed: seen[k.Provider]})
		seen[k.Provider] = true
	}
	return out
}
