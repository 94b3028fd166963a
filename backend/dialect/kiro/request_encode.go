package kiro

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// The request body of POST /generateAssistantResponse, as the Kiro IDE
// sends it (peers: 9router, CLIProxyAPIPlus, AIClient-2-API, kiro-gateway):
// the conversation as strictly alternating history items ending with an
// assistant turn, and the newest user turn as currentMessage, whose context
// carries the tools and the tool results answering the last assistant turn.
// Every user turn names the model and origin AI_EDITOR. profileArn is not
// set here: it belongs to the signed-in account, and the provider adds it
// when the account has one (provider/subscription_kiro.go).

type request struct {
	ConversationState conversationState `json:"conversationState"`
}

type conversationState struct {
	ChatTriggerType string         `json:"chatTriggerType"`
	ConversationID  string         `json:"conversationId"`
	CurrentMessage  currentMessage `json:"currentMessage"`
	History         []historyItem  `json:"history,omitempty"`
}

type currentMessage struct {
	UserInputMessage userInput `json:"userInputMessage"`
}

type historyItem struct {
	UserInputMessage         *userInput         `json:"userInputMessage,omitempty"`
	AssistantResponseMessage *assistantResponse `json:"assistantResponseMessage,omitempty"`
}

type userInput struct {
	Content string       `json:"content"`
	ModelID string       `json:"modelId"`
	Origin  string       `json:"origin"`
	Images  []image      `json:"images,omitempty"`
	Context *userContext `json:"userInputMessageContext,omitempty"`
}

type userContext struct {
	ToolResults []toolResult `json:"toolResults,omitempty"`
	Tools       []toolSpec   `json:"tools,omitempty"`
}

type toolResult struct {
	Content   []textPart `json:"content"`
	Status    string     `json:"status"` // success | error
	ToolUseID string     `json:"toolUseId"`
}

type textPart struct {
	Text string `json:"text"`
}

type toolSpec struct {
	ToolSpecification struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		InputSchema struct {
			JSON json.RawMessage `json:"json"`
		} `json:"inputSchema"`
	} `json:"toolSpecification"`
}

type assistantResponse struct {
	Content  string    `json:"content"`
	ToolUses []toolUse `json:"toolUses,omitempty"`
}

type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type image struct {
	Format string `json:"format"`
	Source struct {
		Bytes string `json:"bytes"`
	} `json:"source"`
}

const (
	origin = "AI_EDITOR"
	// Kiro refuses an empty user turn; these stand in, as peers send them.
	emptyUserText    = "Continue"
	emptyResultsText = "Tool results provided."
	// maxToolDescription: Kiro refuses longer tool descriptions (10 KiB).
	maxToolDescription = 10_000
	// jsonInstruction stands in for JSON mode, which Kiro has no switch for.
	jsonInstruction = "Respond only with a single valid JSON object, with no text before or after it."
)

// Options pin what EncodeRequest otherwise derives (tests).
type Options struct {
	ConversationID string
}

// EncodeRequestWith encodes req as a generateAssistantResponse body.
func EncodeRequestWith(req *ir.Request, o Options) ([]byte, error) {
	turns := buildTurns(req.Messages)
	if len(turns) == 0 {
		return nil, ir.Errorf(ir.KindBadRequest, "kiro: the request has no messages")
	}
	if !turns[0].user { // history must open with the user
		turns = slices.Insert(turns, 0, &turn{user: true})
	}
	if !turns[len(turns)-1].user { // the current message must be the user's
		turns = append(turns, &turn{user: true})
	}
	pairResults(turns)
	if sys := systemText(req); sys != "" {
		turns[0].text = slices.Insert(turns[0].text, 0, sys)
	}
	model := ModelID(req.Model)
	cur := turns[len(turns)-1].userInput(model)
	if tools := toolSpecs(req); len(tools) > 0 {
		if cur.Context == nil {
			cur.Context = &userContext{}
		}
		cur.Context.Tools = tools
	}
	st := conversationState{ChatTriggerType: "MANUAL", ConversationID: o.ConversationID, CurrentMessage: currentMessage{*cur}}
	for _, t := range turns[:len(turns)-1] {
		if t.user {
			st.History = append(st.History, historyItem{UserInputMessage: t.userInput(model)})
		} else {
			st.History = append(st.History, historyItem{AssistantResponseMessage: t.assistant()})
		}
	}
	if st.ConversationID == "" {
		st.ConversationID = conversationID(turns[0])
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // code and markup stay readable; Kiro parses JSON either way
	if err := enc.Encode(request{st}); err != nil {
		return nil, &ir.Error{Kind: ir.KindBadRequest, Message: "kiro: the request could not be encoded", Cause: err}
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// turn is one side of the conversation, consecutive messages of a role
// merged (Kiro wants strict alternation).
type turn struct {
	user    bool
	text    []string
	images  []image
	results []toolResult
	uses    []toolUse
}

// buildTurns folds the messages into alternating turns. A system message
// in the middle of the conversation is the user's text: Kiro has no other
// place for it.
func buildTurns(msgs []ir.Message) []*turn {
	var turns []*turn
	for _, m := range msgs {
		user := m.Role != ir.RoleAssistant
		if len(turns) == 0 || turns[len(turns)-1].user != user {
			turns = append(turns, &turn{user: user})
		}
		t := turns[len(turns)-1]
		for i := range m.Content {
			t.add(&m.Content[i])
		}
	}
	return turns
}

func (t *turn) add(b *ir.Block) {
	switch {
	case b.Type == ir.BlockText && b.Text != "":
		t.text = append(t.text, b.Text)
	case b.Type == ir.BlockImage && t.user:
		if img, ok := toImage(b); ok {
			t.images = append(t.images, img)
		} else if b.URL != "" {
			t.text = append(t.text, "[Image: "+b.URL+"]") // Kiro takes image bytes only
		} else {
			t.text = append(t.text, "[An image in a format Kiro does not read ("+b.MediaType+") was left out]")
		}
	case b.Type == ir.BlockToolResult && t.user:
		t.results = append(t.results, toResult(b))
	case b.Type == ir.BlockToolUse && !t.user:
		t.uses = append(t.uses, toolUse{ToolUseID: b.ToolCallID, Name: b.ToolName, Input: objectOr(b.Input, "{}")})
	}
	// Thinking is dropped: Kiro's own answers carry none, and it takes no
	// other vendor's.
}

func toImage(b *ir.Block) (image, bool) {
	format, ok := strings.CutPrefix(b.MediaType, "image/")
	if b.Data == "" || !ok || !slices.Contains([]string{"png", "jpeg", "gif", "webp"}, format) {
		return image{}, false
	}
	img := image{Format: format}
	img.Source.Bytes = b.Data
	return img, true
}

func toResult(b *ir.Block) toolResult {
	var parts []string
	for _, c := range b.Content {
		switch c.Type {
		case ir.BlockText:
			parts = append(parts, c.Text)
		case ir.BlockImage:
			parts = append(parts, "[image]") // results take text only
		}
	}
	text := strings.Join(parts, "\n")
	if text == "" {
		text = "(no output)"
	}
	status := "success"
	if b.IsError {
		status = "error"
	}
	return toolResult{Content: []textPart{{text}}, Status: status, ToolUseID: b.ToolCallID}
}

// pairResults keeps Kiro's pairing rule: the results in a user turn answer
// the calls of the assistant turn before it, once each. A result for no
// such call becomes text (its content stays readable); a call left without
// a result gets one marked as an error, since Kiro refuses the history
// otherwise.
func pairResults(turns []*turn) {
	for i, t := range turns {
		if !t.user {
			continue
		}
		var calls []string
		if i > 0 {
			for _, u := range turns[i-1].uses {
				calls = append(calls, u.ToolUseID)
			}
		}
		var kept []toolResult
		for _, r := range t.results {
			if slices.Contains(calls, r.ToolUseID) && !slices.ContainsFunc(kept, func(k toolResult) bool { return k.ToolUseID == r.ToolUseID }) {
				kept = append(kept, r)
				continue
			}
			t.text = append(t.text, "[tool result "+r.ToolUseID+"]\n"+r.Content[0].Text)
		}
		for _, id := range calls {
			if !slices.ContainsFunc(kept, func(k toolResult) bool { return k.ToolUseID == id }) {
				kept = append(kept, toolResult{Content: []textPart{{"no result was sent for this call"}}, Status: "error", ToolUseID: id})
			}
		}
		t.results = kept
	}
}

func (t *turn) userInput(model string) *userInput {
	u := &userInput{Content: strings.Join(t.text, "\n\n"), ModelID: model, Origin: origin, Images: t.images}
	if len(t.results) > 0 {
		u.Context = &userContext{ToolResults: t.results}
	}
	if u.Content == "" {
		u.Content = emptyUserText
		if len(t.results) > 0 {
			u.Content = emptyResultsText
		}
	}
	return u
}

func (t *turn) assistant() *assistantResponse {
	return &assistantResponse{Content: strings.Join(t.text, "\n\n"), ToolUses: t.uses}
}

// systemText is the system prompt Kiro gets at the head of the first user
// turn (it has no system field).
func systemText(req *ir.Request) string {
	var parts []string
	for _, b := range req.System {
		if b.Type == ir.BlockText && b.Text != "" {
			parts = append(parts, b.Text)
		}
	}
	if rf := req.ResponseFormat; rf != nil && (rf.Type == "json_object" || rf.Type == "json_schema") {
		s := jsonInstruction
		if len(rf.Schema) > 0 {
			s += " It must match this JSON schema: " + string(rf.Schema)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n\n")
}

// toolSpecs are the function tools (hosted ones have no Kiro form), none
// when the client forbade tool use.
func toolSpecs(req *ir.Request) []toolSpec {
	if req.ToolChoice != nil && req.ToolChoice.Mode == "none" {
		return nil
	}
	var out []toolSpec
	for _, t := range req.Tools {
		if t.Kind != ir.ToolKindFunction || t.Name == "" {
			continue
		}
		var s toolSpec
		s.ToolSpecification.Name = t.Name
		s.ToolSpecification.Description = description(t)
		s.ToolSpecification.InputSchema.JSON = objectOr(t.Parameters, `{"type":"object","properties":{}}`)
		out = append(out, s)
	}
	return out
}

// description is never empty (Kiro refuses that) nor too long.
func description(t ir.Tool) string {
	d := strings.TrimSpace(t.Description)
	if d == "" {
		return t.Name
	}
	if len(d) <= maxToolDescription {
		return d
	}
	cut := maxToolDescription
	for cut > 0 && d[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return d[:cut] + "…"
}

// objectOr is raw when it is a JSON object, else fallback.
func objectOr(raw json.RawMessage, fallback string) json.RawMessage {
	if r := gjson.ParseBytes(raw); len(raw) > 0 && r.IsObject() && jsonscan.Valid(raw) {
		return raw
	}
	return json.RawMessage(fallback)
}

// conversationID names the conversation after how it starts, so every turn
// of one conversation carries the same id, as the IDE's do, without the
// gateway keeping state. It has the shape of a UUID.
func conversationID(first *turn) string {
	h := sha256.New()
	for _, s := range first.text {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x50 // version 5 (name-based, SHA)
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(sum[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// dashedVersion matches Anthropic's model names ("claude-sonnet-4-5",
// "claude-opus-4-1-20250805"), which Kiro spells with a dot and no date
// ("claude-sonnet-4.5").
var (
	dashedVersion = regexp.MustCompile(`^(claude-(?:sonnet|opus|haiku)-\d+)-(\d)(?:-\d{8})?$`)
	datedMajor    = regexp.MustCompile(`^(claude-(?:sonnet|opus|haiku)-\d+)-\d{8}$`)
)

// ModelID is the model id Kiro knows for model: Kiro's own names pass
// unchanged, Anthropic's are respelled.
func ModelID(model string) string {
	if m := dashedVersion.FindStringSubmatch(model); m != nil {
		return m[1] + "." + m[2]
	}
	if m := datedMajor.FindStringSubmatch(model); m != nil {
		return m[1]
	}
	return model
}
