package core

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/mgmt"
	"switchboard/backend/route"
	"switchboard/backend/signin"
	"switchboard/backend/store"
	"switchboard/backend/transfer"
)

func init() { transfer.WorkFactor = 10 } // tests: fast scrypt

// keyEcho is an OpenAI-compatible upstream that answers with the last
// characters of the API key it was called with and the model: which
// account and model a request was routed to.
func keyEcho(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		var body struct {
			Model string `json:"model"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		if len(key) > 6 {
			key = key[len(key)-6:]
		}
		w.Header().Set("Content-Type", "application/json")
		ans, _ := json.Marshal(key + "@" + body.Model)
		io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":`+
			string(ans)+`},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ask sends one chat request; it returns the status and the answer text.
func askAs(t *testing.T, in *Instance, key, model string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	if len(out.Choices) == 0 {
		return resp.StatusCode, string(b)
	}
	return resp.StatusCode, out.Choices[0].Message.Content
}

// seedRouting gives an instance two custom providers on the echo upstream,
// three accounts, a combo and an alias, and returns a local key.
func seedRouting(t *testing.T, in *Instance, upstream string) string {
	t.Helper()
	ctx := context.Background()
	svc := in.Services
	for _, p := range []string{"lab", "lab2"} {
		if err := svc.SaveProvider(ctx, mgmt.ProviderInput{ID: p, Type: "openai-compatible", BaseURL: upstream + "/v1", AllowLocal: true, Models: []string{"m1", "m2"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct {
		prov, name, key string
		prio            int
	}{{"lab", "first", "sk-lab-first-00000001", 10}, {"lab", "second", "sk-lab-second-0000002", 5}, {"lab2", "only", "sk-lab2-only-00000003", 0}} {
		if _, err := svc.AddAccount(ctx, a.prov, mgmt.AccountInput{Name: a.name, APIKey: a.key, Priority: a.prio}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.SaveCombo(ctx, mgmt.ComboInput{Name: "team", Strategy: "priority", Targets: []route.ComboTarget{{Model: "lab2/m2"}, {Model: "lab/m1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetAlias(ctx, "fast", "lab/m2"); err != nil {
		t.Fatal(err)
	}
	ck, err := svc.CreateKey(ctx, "tester", "cli")
	if err != nil {
		t.Fatal(err)
	}
	return ck.Secret
}

var scriptedModels = []string{"lab/m1", "lab/m2", "lab2/m1", "team", "fast", "lab/unknown-model", "nowhere/m1"}

func answers(t *testing.T, in *Instance, key string) []string {
	var out []string
	for _, m := range scriptedModels {
		st, text := askAs(t, in, key, m)
		if st != 200 {
			text = "" // error bodies carry request ids; the status is the answer
		}
		out = append(out, m+" → "+http.StatusText(st)+" "+text)
	}
	return out
}

// Export → import on a fresh data dir: the same local key works there and
// every scripted request is routed to the same account and model.
func TestExportImportGivesSameRouting(t *testing.T) {
	up := keyEcho(t)
	a := start(t, "127.0.0.1:0")
	key := seedRouting(t, a, up.URL)
	want := answers(t, a, key)
	if !strings.Contains(strings.Join(want, "\n"), "000001@m1") {
		t.Fatalf("the seeded routing does not answer: %v", want)
	}
	ctx := context.Background()
	file, err := a.Services.ExportSetupFile(ctx, "a long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	b := start(t, "127.0.0.1:0")
	_, err = b.Services.ImportSetup(ctx, mgmt.SetupImport{Data: file.Data, Passphrase: "not the passphrase"})
	if !errors.Is(err, mgmt.ErrInvalid) || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	preview, err := b.Services.ImportSetup(ctx, mgmt.SetupImport{Data: file.Data, Passphrase: "a long passphrase", DryRun: true})
	if err != nil || preview.Created == 0 {
		t.Fatalf("preview %+v, %v", preview, err)
	}
	if st, _ := askAs(t, b, key, "lab/m1"); st != 401 {
		t.Fatalf("the dry run imported the key (status %d)", st)
	}
	rep, err := b.Services.ImportSetup(ctx, mgmt.SetupImport{Data: file.Data, Passphrase: "a long passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Backup == "" || rep.Skipped != 0 {
		t.Fatalf("import report: %+v", rep)
	}
	got := answers(t, b, key)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("routing differs after import:\nexporting machine:\n%s\nimporting machine:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// A restore while requests flow: no request fails because of it, and
// afterwards the restored setup is what routes (accounts, keys), the
// database passes integrity_check, and the replaced one is kept.
func TestRestoreWhileServing(t *testing.T) {
	up := keyEcho(t)
	in := start(t, "127.0.0.1:0")
	ctx := context.Background()
	key := seedRouting(t, in, up.URL)
	old, _ := in.Services.CreateKey(ctx, "old", "cli")
	saved, err := in.Services.CreateBackup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Change the setup after the backup.
	var first string
	for _, p := range in.Services.Providers() {
		for _, acc := range p.Accounts {
			if acc.Name == "first" {
				first = acc.ID
			}
		}
	}
	if err := in.Services.DeleteAccount(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := in.Services.RevokeKey(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	newer, _ := in.Services.CreateKey(ctx, "newer", "cli")
	if _, text := askAs(t, in, key, "lab/m1"); !strings.Contains(text, "000002@m1") {
		t.Fatalf("before restore lab/m1 → %q, want the second account", text)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var served, failed atomic.Int64
	var failMsg atomic.Value
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				st, text := askAs(t, in, key, "team")
				if st != 200 {
					failed.Add(1)
					failMsg.Store(text)
				}
				served.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	res, err := in.Services.RestoreBackup(ctx, saved.Name)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if failed.Load() > 0 || served.Load() < 10 {
		t.Fatalf("%d of %d requests failed during the restore (last: %v)", failed.Load(), served.Load(), failMsg.Load())
	}
	if _, text := askAs(t, in, key, "lab/m1"); !strings.Contains(text, "000001@m1") {
		t.Fatalf("after restore lab/m1 → %q, want the restored first account", text)
	}
	if st, _ := askAs(t, in, old.Secret, "lab/m1"); st != 200 {
		t.Fatalf("the key revoked after the backup does not work again (%d)", st)
	}
	if st, _ := askAs(t, in, newer.Secret, "lab/m1"); st != 401 {
		t.Fatalf("the key created after the backup still works (%d)", st)
	}
	if res, err := in.DB.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("integrity after restore: %q %v", res, err)
	}
	l, _ := in.Services.Backups(ctx)
	found := false
	for _, b := range l.Backups {
		found = found || b.Name == res.Safety.Name && b.Reason == store.ReasonPreRestore
	}
	if !found {
		t.Fatalf("the pre-restore backup %s is not listed: %+v", res.Safety.Name, l.Backups)
	}
	if _, err := in.Services.RestoreBackup(ctx, "../../etc/passwd"); !errors.Is(err, mgmt.ErrInvalid) {
		t.Fatalf("restoring a path: %v", err)
	}
}

// A sign-in renewed after the backup keeps its newer tokens through a
// restore: the vendor may have retired the backup's refresh token.
func TestRestoreKeepsNewerSignInTokens(t *testing.T) {
	in := start(t, "127.0.0.1:0")
	ctx := context.Background()
	s := transfer.Setup{Accounts: []transfer.Account{{Provider: "claude", Name: "me", SignIn: &transfer.SignIn{Access: "old-access", Refresh: "old-refresh", Source: "test"}}}}
	if _, err := transfer.Apply(ctx, in.DB, in.Sealer, s, transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	var id string
	in.DB.QueryRow(`SELECT id FROM accounts WHERE name = 'me'`).Scan(&id)
	saved, err := in.Services.CreateBackup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := signin.SealTokens(in.Sealer, id, signin.Tokens{Access: "new-access", Refresh: "rotated-refresh"})
	if _, err := in.DB.Exec(`UPDATE signins SET sealed = ?, refreshed_at = refreshed_at + 60000 WHERE account_id = ?`, sealed, id); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Services.RestoreBackup(ctx, saved.Name); err != nil {
		t.Fatal(err)
	}
	var got string
	in.DB.QueryRow(`SELECT sealed FROM signins WHERE account_id = ?`, id).Scan(&got)
	tok, err := signin.OpenTokens(in.Sealer, id, got)
	if err != nil || tok.Refresh != "rotated-refresh" {
		t.Fatalf("after restore the sign-in holds %+v, %v; want the rotated tokens", tok, err)
	}
}

// The daily backup is written at start when none is a day old, and the
// keep setting (stored or from the config file) rotates.
func TestDailyBackupAndKeep(t *testing.T) {
	in := start(t, "127.0.0.1:0")
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	var l mgmt.BackupList
	for time.Now().Before(deadline) {
		l, _ = in.Services.Backups(ctx)
		if len(l.Backups) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(l.Backups) != 1 || l.Backups[0].Reason != store.ReasonDaily || l.Settings.Keep != store.DefaultBackupKeep {
		t.Fatalf("after start: %+v", l)
	}
	if _, err := in.Services.SaveBackupSettings(ctx, 0); !errors.Is(err, mgmt.ErrInvalid) {
		t.Fatalf("keep 0: %v", err)
	}
	if _, err := in.Services.SaveBackupSettings(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := in.Services.CreateBackup(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	l, _ = in.Services.Backups(ctx)
	if len(l.Backups) != 2 || l.Settings.Keep != 2 {
		t.Fatalf("keep 2: %+v", l)
	}
	cfg := in.Config
	keep := 5
	cfg.BackupKeep = &keep
	other, err := Open(ctx, cfg, Options{Log: slog.New(slog.DiscardHandler)}) // the same data dir, as a CLI command would
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l, _ = other.Portable().Backups(ctx)
	if l.Settings.Keep != 5 || !l.Settings.KeepFromConfig || len(l.Backups) != 2 {
		t.Fatalf("config backup_keep not winning: %+v", l)
	}
}

// The daily loop ends with its context even when the backup it was taking
// fails because of that (a shutdown right after start).
func TestBackupLoopEndsWithItsContext(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	in, err := Open(context.Background(), cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() { in.runBackups(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the backup loop did not end with its context")
	}
}
