package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/keys"
)

// SetupTestKey names the short-lived local key the setup's test request
// uses; the request log keeps the name after the key is revoked.
const SetupTestKey = "setup-test"

// SetupTestPrompt is what the setup's test request asks.
const SetupTestPrompt = "Reply with one short sentence to confirm you can hear me."

// SetupTest is the answer to the setup's test request.
type SetupTest struct {
	OK        bool   `json:"ok"`
	Status    int    `json:"status"`
	Model     string `json:"model"`           // what was asked for
	Route     string `json:"route,omitempty"` // provider/model that answered (X-Switchboard-Route)
	Answer    string `json:"answer,omitempty"`
	Error     string `json:"error,omitempty"`
	LatencyMS int64  `json:"latencyMs"`
	Input     int64  `json:"inputTokens"`
	Output    int64  `json:"outputTokens"`
	KeyName   string `json:"keyName"`
	Prompt    string `json:"prompt"`
}

// SendSetupTest sends one chat request through the running gateway, as a
// client would (real HTTP on loopback, a local key), so routing, the
// upstream and the request log are all exercised. The key is created for
// this request and revoked after it.
func (s *Services) SendSetupTest(ctx context.Context, model string) (SetupTest, error) {
	model = strings.TrimSpace(model)
	if model == "" {
		return SetupTest{}, fmt.Errorf("%w: choose a model or combo to test", ErrInvalid)
	}
	if s.rt.Listen == nil {
		return SetupTest{}, errNoRouting
	}
	_, secret, err := s.keys.Create(ctx, SetupTestKey, keys.SourceDashboard)
	if errors.Is(err, keys.ErrExists) { // left over from an interrupted test
		_ = s.keys.Revoke(ctx, SetupTestKey)
		_, secret, err = s.keys.Create(ctx, SetupTestKey, keys.SourceDashboard)
	}
	if err != nil {
		return SetupTest{}, err
	}
	defer func() {
		_ = s.keys.Revoke(context.WithoutCancel(ctx), SetupTestKey)
		s.bus.Publish(events.KeysChanged, nil)
	}()
	out := SetupTest{Model: model, KeyName: SetupTestKey, Prompt: SetupTestPrompt}
	body, _ := json.Marshal(map[string]any{"model": model, "max_tokens": 200,
		"messages": []map[string]string{{"role": "user", "content": SetupTestPrompt}}})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.rt.Listen()+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return SetupTest{}, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	res, err := (&http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return SetupTest{}, fmt.Errorf("mgmt: setup test: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	out.LatencyMS, out.Status, out.Route = time.Since(start).Milliseconds(), res.StatusCode, res.Header.Get("X-Switchboard-Route")
	var parsed struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage struct {
			Prompt     int64 `json:"prompt_tokens"`
			Completion int64 `json:"completion_tokens"`
		} `json:"usage"`
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil {
		out.Error = fmt.Sprintf("the gateway answered %d with a body that is not JSON", res.StatusCode)
		return out, nil
	}
	if res.StatusCode != http.StatusOK || len(parsed.Choices) == 0 {
		out.Error = parsed.Error.Message
		if out.Error == "" {
			out.Error = fmt.Sprintf("the gateway answered %d without an answer", res.StatusCode)
		}
		return out, nil
	}
	out.OK, out.Answer = true, parsed.Choices[0].Message.Content
	out.Input, out.Output = parsed.Usage.Prompt, parsed.Usage.Completion
	return out, nil
}
