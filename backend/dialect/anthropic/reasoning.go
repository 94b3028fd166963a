package anthropic

import "switchboard/backend/ir"

// applyReasoning turns the IR's reasoning request into thinking /
// output_config.effort and makes the rest of the body compatible with it:
//   - adaptive thinking stays adaptive, with its effort in output_config;
//   - an explicit budget or an effort from another dialect becomes
//     {type:"enabled", budget_tokens} (see thinkingBudgets);
//   - disabled or effort "none" becomes {type:"disabled"};
//   - max_tokens is raised above the budget (the budget counts against it);
//   - temperature and top_k are dropped and top_p only kept from 0.95 up,
//     as the API requires while thinking;
//   - thinking (enabled or adaptive) is left out when the tool choice forces
//     a tool, or when the last assistant turn called tools without a signed
//     thinking block first (history from another vendor whose reasoning
//     could not be restored): the API rejects both combinations, and one
//     turn without thinking is better than failing the loop.
func applyReasoning(out *outRequest, req *ir.Request, msgs []ir.Message) {
	r := req.Reasoning
	if r == nil {
		return
	}
	if r.Disabled || r.Effort == "none" {
		out.Thinking = &thinkingConfig{Type: "disabled"}
		return
	}
	th, effort := thinkingFor(r)
	if th == nil || forcesTool(out.ToolChoice) || !thinkingFitsHistory(msgs) {
		return
	}
	out.Thinking = th
	if effort != "" {
		if out.OutputConfig == nil {
			out.OutputConfig = &outConfig{}
		}
		out.OutputConfig.Effort = effort
	}
	if th.BudgetTokens > 0 && out.MaxTokens <= th.BudgetTokens {
		extra := req.MaxTokens
		if extra <= 0 {
			extra = DefaultMaxTokens
		}
		out.MaxTokens = th.BudgetTokens + extra
	}
	out.Temperature, out.TopK = nil, nil
	if out.TopP != nil && *out.TopP < 0.95 {
		out.TopP = nil
	}
}

// thinkingFor picks the thinking config and the output_config effort. The
// effort is only forwarded with Anthropic-shaped requests (adaptive or an
// explicit budget): older models reject output_config.effort, and an effort
// alone from another dialect is already expressed by the budget.
func thinkingFor(r *ir.Reasoning) (*thinkingConfig, string) {
	effort := encodeEffort(r.Effort)
	switch {
	case r.Adaptive:
		th := &thinkingConfig{Type: "adaptive"}
		if !r.IncludeThoughts {
			th.Display = "omitted"
		}
		return th, effort
	case r.BudgetTokens > 0:
		return &thinkingConfig{Type: "enabled", BudgetTokens: max(r.BudgetTokens, minThinkingBudget)}, effort
	case r.BudgetTokens < 0: // Gemini's "dynamic": let the effort decide, else medium
		b := thinkingBudgets[r.Effort]
		if b == 0 {
			b = thinkingBudgets["medium"]
		}
		return &thinkingConfig{Type: "enabled", BudgetTokens: b}, ""
	}
	if b := thinkingBudgets[r.Effort]; b > 0 {
		return &thinkingConfig{Type: "enabled", BudgetTokens: b}, ""
	}
	return nil, ""
}

// encodeEffort maps IR effort onto output_config.effort's scale.
func encodeEffort(e string) string {
	switch e {
	case "minimal", "low":
		return "low"
	case "medium", "high", "xhigh":
		return e
	}
	return ""
}

func forcesTool(c *outChoice) bool {
	return c != nil && (c.Type == "any" || c.Type == "tool")
}

// thinkingFitsHistory reports whether thinking may be enabled: when the last
// assistant turn used tools, it must start with a (signed) thinking block.
func thinkingFitsHistory(msgs []ir.Message) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		m := &msgs[i]
		if m.Role != ir.RoleAssistant {
			continue
		}
		if len(toolUseIDs(m.Content)) == 0 {
			return true
		}
		t := m.Content[0].Type
		return t == ir.BlockThinking || t == ir.BlockRedactedThinking
	}
	return true
}
