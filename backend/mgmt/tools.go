package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"switchboard/backend/clitools"
)

// SetTools wires the CLI tool configurator.
func (s *Services) SetTools(t *clitools.Service) { s.tools = t }

var errNoTools = errors.New("CLI tool configuration is not available")

// ToolsOverview is the CLI Tools page.
type ToolsOverview struct {
	Tools   []clitools.Status `json:"tools"`
	Manual  []ManualTool      `json:"manual"`
	Snippet string            `json:"snippet"`
}

// ManualTool is a tool configured in its own UI, with instructions.
type ManualTool struct {
	ID           string `json:"id"`
	Instructions string `json:"instructions"`
}

// ToolsOverview detects tools and lists the manual ones.
func (s *Services) ToolsOverview(ctx context.Context) (ToolsOverview, error) {
	if s.tools == nil {
		return ToolsOverview{}, errNoTools
	}
	v := ToolsOverview{Tools: s.tools.Detect(ctx), Snippet: s.tools.ShellSnippet(), Manual: []ManualTool{}}
	for _, id := range []string{"cursor", "roo-code", "vscode-copilot"} {
		if text, ok := s.tools.Instructions(id); ok {
			v.Manual = append(v.Manual, ManualTool{ID: id, Instructions: text})
		}
	}
	return v, nil
}

// PlanTool previews what applying would change (a diff per file).
func (s *Services) PlanTool(ctx context.Context, id string, c clitools.Choice) (*clitools.Plan, error) {
	if s.tools == nil {
		return nil, errNoTools
	}
	p, err := s.tools.Plan(ctx, id, c)
	return p, toolError(err)
}

// ApplyTool points the tool at Switchboard.
func (s *Services) ApplyTool(ctx context.Context, id string, c clitools.Choice) (*clitools.Result, error) {
	if s.tools == nil {
		return nil, errNoTools
	}
	r, err := s.tools.Apply(ctx, id, c)
	if err == nil {
		s.bus.Publish("tools", id)
	}
	return r, toolError(err)
}

// UndoTool restores the tool's configuration.
func (s *Services) UndoTool(ctx context.Context, id string) (*clitools.Result, error) {
	if s.tools == nil {
		return nil, errNoTools
	}
	r, err := s.tools.Undo(ctx, id)
	if err == nil {
		s.bus.Publish("tools", id)
	}
	return r, toolError(err)
}

// toolError marks the errors a user can act on as ErrInvalid (400).
func toolError(err error) error {
	var me *clitools.MalformedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &me), errors.Is(err, clitools.ErrUnknownTool), errors.Is(err, clitools.ErrNoModel), errors.Is(err, clitools.ErrNotApplied),
		errors.Is(err, clitools.ErrUnknownSlot):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return err
}

func (h *HTTP) toolRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/tools", func(w http.ResponseWriter, r *http.Request) {
		v, err := h.svc.ToolsOverview(r.Context())
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, v)
	})
	choice := func(w http.ResponseWriter, r *http.Request) (clitools.Choice, bool) {
		var c clitools.Choice
		return c, h.decode(w, r, &c)
	}
	api("POST /api/tools/{id}/plan", func(w http.ResponseWriter, r *http.Request) {
		if c, ok := choice(w, r); ok {
			p, err := h.svc.PlanTool(r.Context(), r.PathValue("id"), c)
			h.result(w, r, p, err)
		}
	})
	api("POST /api/tools/{id}/apply", func(w http.ResponseWriter, r *http.Request) {
		if c, ok := choice(w, r); ok {
			res, err := h.svc.ApplyTool(r.Context(), r.PathValue("id"), c)
			h.result(w, r, res, err)
		}
	})
	api("POST /api/tools/{id}/undo", func(w http.ResponseWriter, r *http.Request) {
		res, err := h.svc.UndoTool(r.Context(), r.PathValue("id"))
		h.result(w, r, res, err)
	})
}

func (h *HTTP) result(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, 200, v)
}
