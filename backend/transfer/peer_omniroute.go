package transfer

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// OmniRoute keeps its setup in SQLite, storage.sqlite in DATA_DIR,
// $XDG_CONFIG_HOME/omniroute or ~/.omniroute, migrated by numbered SQL
// files recorded in _omniroute_migrations. Secrets may be encrypted at rest
// ("enc:v1:<iv>:<ciphertext>:<tag>", hex, AES-256-GCM with a key derived by
// scrypt from STORAGE_ENCRYPTION_KEY, which OmniRoute keeps in the
// environment or DATA_DIR/.env): they are opened when that key is found.

// omniRouteMaxMigration is the newest migration number this reader was
// written against; a database migrated further is refused by name.
const omniRouteMaxMigration = 210

func omniRouteDir(home string, getenv func(string) string) string {
	if d := getenv("DATA_DIR"); d != "" {
		return d
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "omniroute")
	}
	return filepath.Join(home, ".omniroute")
}

func readOmniRoute(path string) (Setup, string, error) {
	dir, file := path, filepath.Join(path, "storage.sqlite")
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		dir, file = filepath.Dir(path), path
	}
	db, done, err := openCopy(file)
	if err != nil {
		return Setup{}, "", peerFormat("no OmniRoute database at %s: %v", file, err)
	}
	defer done()
	var v sql.NullString
	if err := db.QueryRow(`SELECT max(version) FROM _omniroute_migrations`).Scan(&v); err != nil {
		return Setup{}, "", peerFormat("%s is not an OmniRoute database (no _omniroute_migrations table)", file)
	}
	n, _ := strconv.Atoi(v.String)
	found := fmt.Sprintf("OmniRoute database, migration %s", v.String)
	if n > omniRouteMaxMigration {
		return Setup{}, found, peerFormat("%s is at OmniRoute migration %s; this reader knows up to %d, so nothing was imported (update Switchboard)", file, v.String, omniRouteMaxMigration)
	}
	key := omniRouteKey(dir)
	s := Setup{}
	m := modelMapper{custom: map[string]string{}}
	nodes, err := omniNodes(db, &s, m)
	if err != nil {
		return Setup{}, found, err
	}
	if err := omniConnections(db, &s, nodes, key); err != nil {
		return Setup{}, found, err
	}
	if err := omniCombos(db, &s, m); err != nil {
		return Setup{}, found, err
	}
	if err := omniAliases(db, &s, m); err != nil {
		return Setup{}, found, err
	}
	if err := omniKeys(db, &s, key); err != nil {
		return Setup{}, found, err
	}
	return s, found, nil
}

func omniNodes(db *sql.DB, s *Setup, m modelMapper) (map[string]Provider, error) {
	rows, err := db.Query(`SELECT id, type, name, coalesce(prefix, ''), coalesce(api_type, ''), coalesce(base_url, '') FROM provider_nodes ORDER BY created_at, id`)
	if err != nil {
		return nil, peerFormat("provider_nodes: %v", err)
	}
	defer rows.Close()
	nodes := map[string]Provider{}
	taken := map[string]bool{}
	for rows.Next() {
		var id, typ, name, prefix, apiType, base string
		if err := rows.Scan(&id, &typ, &name, &prefix, &apiType, &base); err != nil {
			return nil, peerFormat("provider_nodes: %v", err)
		}
		p, why := nodeProvider(typ, apiType, name, prefix, base)
		if why != "" {
			s.Skipped = append(s.Skipped, Item{Kind: KindProvider, Name: name, Action: ActSkip, Why: why})
			continue
		}
		p.ID = uniqueName(p.ID, taken)
		nodes[id] = p
		m.custom[id], m.custom[prefix] = p.Prefix, p.Prefix
		s.Providers = append(s.Providers, p)
	}
	return nodes, rows.Err()
}

func omniConnections(db *sql.DB, s *Setup, nodes map[string]Provider, key []byte) error {
	rows, err := db.Query(`SELECT provider, coalesce(auth_type, ''), coalesce(name, ''), coalesce(email, ''), coalesce(priority, 0),
		coalesce(is_active, 1), coalesce(api_key, ''), coalesce(access_token, ''), coalesce(refresh_token, ''), coalesce(id_token, ''),
		coalesce(token_expires_at, expires_at, ''), coalesce(project_id, '') FROM provider_connections ORDER BY provider, priority, created_at`)
	if err != nil {
		return peerFormat("provider_connections: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		c := peerConn{source: "omniroute"}
		var active int
		var expires string
		if err := rows.Scan(&c.provider, &c.authType, &c.name, &c.email, &c.priority, &active, &c.apiKey, &c.access, &c.refresh,
			&c.idToken, &expires, &c.project); err != nil {
			return peerFormat("provider_connections: %v", err)
		}
		c.active = active != 0
		c.expires = parseExpiry(json.RawMessage(strconv.Quote(expires)))
		for _, f := range []*string{&c.apiKey, &c.access, &c.refresh, &c.idToken} {
			pt, err := omniDecrypt(*f, key)
			if err != nil {
				c.why = err.Error()
				break
			}
			*f = pt
		}
		s.addConnection(c, nodes)
	}
	return rows.Err()
}

func omniCombos(db *sql.DB, s *Setup, m modelMapper) error {
	rows, err := db.Query(`SELECT name, data FROM combos ORDER BY name`)
	if err != nil {
		return peerFormat("combos: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, data string
		if err := rows.Scan(&name, &data); err != nil {
			return peerFormat("combos: %v", err)
		}
		var d struct {
			Strategy string            `json:"strategy"`
			Models   []json.RawMessage `json:"models"`
		}
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			s.Skipped = append(s.Skipped, Item{Kind: KindCombo, Name: name, Action: ActSkip, Why: "its definition is not readable JSON"})
			continue
		}
		var targets []peerTarget
		for _, raw := range d.Models {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				targets = append(targets, peerTarget{model: str})
				continue
			}
			var step struct {
				Provider string `json:"provider"`
				Model    string `json:"model"`
				Weight   int    `json:"weight"`
			}
			if json.Unmarshal(raw, &step) == nil && step.Model != "" {
				mdl := step.Model
				if step.Provider != "" && !strings.Contains(mdl, "/") {
					mdl = step.Provider + "/" + mdl
				}
				targets = append(targets, peerTarget{model: mdl, weight: step.Weight})
			}
		}
		s.addCombo(name, d.Strategy, targets, m)
	}
	return rows.Err()
}

func omniAliases(db *sql.DB, s *Setup, m modelMapper) error {
	rows, err := db.Query(`SELECT key, value FROM key_value WHERE namespace = 'modelAliases' ORDER BY key`)
	if err != nil {
		return peerFormat("key_value: %v", err)
	}
	defer rows.Close()
	aliases := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return peerFormat("key_value: %v", err)
		}
		var target string
		if json.Unmarshal([]byte(v), &target) != nil || target == "" {
			s.Skipped = append(s.Skipped, Item{Kind: KindAlias, Name: k, Action: ActSkip, Why: "its target is not a model name"})
			continue
		}
		aliases[k] = target
	}
	s.addAliases(aliases, m)
	return rows.Err()
}

func omniKeys(db *sql.DB, s *Setup, key []byte) error {
	rows, err := db.Query(`SELECT name, key FROM api_keys ORDER BY created_at, name`)
	if err != nil {
		return peerFormat("api_keys: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, secret string
		if err := rows.Scan(&name, &secret); err != nil {
			return peerFormat("api_keys: %v", err)
		}
		pt, err := omniDecrypt(secret, key)
		if err != nil {
			s.Skipped = append(s.Skipped, Item{Kind: KindKey, Name: name, Action: ActSkip, Why: err.Error() + "; create a new key"})
			continue
		}
		if isHexHash(pt) {
			s.Skipped = append(s.Skipped, Item{Kind: KindKey, Name: name, Action: ActSkip, Why: "only a hash of it is stored, which cannot be turned back into the key; create a new key"})
			continue
		}
		s.Keys = append(s.Keys, Key{Name: name, Secret: pt, Source: "import"})
	}
	return rows.Err()
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// omniRouteKey finds STORAGE_ENCRYPTION_KEY in the environment or the
// data dir's .env and derives the field key from it (nil: none found).
func omniRouteKey(dir string) []byte {
	secret := os.Getenv("STORAGE_ENCRYPTION_KEY")
	if secret == "" {
		secret = dotenvValue(filepath.Join(dir, ".env"), "STORAGE_ENCRYPTION_KEY")
	}
	if strings.TrimSpace(secret) == "" {
		return nil
	}
	k, err := scrypt.Key([]byte(secret), []byte("omniroute-field-encryption-v1"), 16384, 8, 1, 32)
	if err != nil {
		return nil
	}
	return k
}

// dotenvValue reads NAME=value from a .env file ("" when absent).
func dotenvValue(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "))
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

var errOmniLocked = errors.New("it is encrypted with OmniRoute's STORAGE_ENCRYPTION_KEY, which was not found (set it in the environment or keep OmniRoute's .env in its data dir)")

// omniDecrypt opens an "enc:v1:" value; other values are returned as is.
func omniDecrypt(v string, key []byte) (string, error) {
	if !strings.HasPrefix(v, "enc:v1:") {
		return v, nil
	}
	if key == nil {
		return "", errOmniLocked
	}
	parts := strings.Split(strings.TrimPrefix(v, "enc:v1:"), ":")
	if len(parts) != 3 {
		return "", errors.New("its encrypted value is malformed")
	}
	iv, e1 := hex.DecodeString(parts[0])
	ct, e2 := hex.DecodeString(parts[1])
	tag, e3 := hex.DecodeString(parts[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return "", errors.New("its encrypted value is malformed")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil {
		return "", errors.New("its encrypted value is malformed")
	}
	pt, err := gcm.Open(nil, iv, append(ct, tag...), nil)
	if err != nil {
		return "", errors.New("it does not open with the STORAGE_ENCRYPTION_KEY found (another key?)")
	}
	return string(pt), nil
}
