package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the YAML file at path over base and validates the result. Every
// problem (unknown keys, wrong types, bad values, unset ${ENV} references) is
// reported together, each with file, line and key.
func Load(path string, base Config) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, base)
}

// Parse is Load on bytes already read.
func Parse(path string, data []byte, base Config) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, Problem{File: path, Why: "not valid YAML: " + err.Error()}
	}
	cfg := base
	cfg.Source = path
	if len(root.Content) == 0 { // empty file: defaults
		return cfg, cfg.Validate()
	}
	doc := root.Content[0]
	var errs []error
	lines := map[string]int{}
	walk(doc, reflect.TypeOf(Config{}), "", path, lines, &errs)
	errs = append(errs, expandEnv(doc, "", path, os.LookupEnv)...)
	if err := doc.Decode(&cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				errs = append(errs, Problem{File: path, Why: m})
			}
		} else {
			errs = append(errs, Problem{File: path, Why: err.Error()})
		}
	}
	cfg.Source = path
	if err := cfg.validate(lines); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

// walk records the line of every key and reports keys the struct lacks.
func walk(n *yaml.Node, t reflect.Type, path, file string, lines map[string]int, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type error
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := joinKey(path, k.Value)
			lines[key] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, Problem{File: file, Line: k.Line, Key: key,
					Why: "unknown key (known: " + strings.Join(sortedKeys(fields), ", ") + ")"})
				continue
			}
			walk(v, ft, key, file, lines, errs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			key := fmt.Sprintf("%s[%d]", path, i)
			lines[key] = item.Line
			walk(item, t.Elem(), key, file, lines, errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			lines[joinKey(path, n.Content[i].Value)] = n.Content[i].Line
		}
	}
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		m[tag] = f.Type
	}
	return m
}

func sortedKeys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	// small maps: insertion sort keeps this dependency-free and stable
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} in scalar values with the environment's value,
// reporting every reference to an unset variable.
func expandEnv(n *yaml.Node, path, file string, lookup func(string) (string, bool)) []error {
	var errs []error
	var visit func(n *yaml.Node, path string)
	visit = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.ScalarNode:
			if !strings.Contains(n.Value, "${") {
				return
			}
			n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
				name := envRef.FindStringSubmatch(m)[1]
				v, ok := lookup(name)
				if !ok {
					errs = append(errs, Problem{File: file, Line: n.Line, Key: path,
						Why: fmt.Sprintf("environment variable %s is not set", name)})
				}
				return v
			})
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				visit(n.Content[i+1], joinKey(path, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				visit(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	visit(n, path)
	return errs
}
