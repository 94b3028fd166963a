package ir

// EventType is one of a small closed set of stream events. Every stream
// decoder produces only these, every stream encoder consumes only these.
//
// A well-formed stream is:
//
//	MessageStart (BlockStart (delta)* BlockStop)* Usage? MessageStop
//
// or, at any point, Error (after which nothing follows). Blocks may
// interleave only by Index (parallel tool calls); each Index is started once.
type EventType uint8

const (
	EvMessageStart   EventType = iota + 1 // ID, Model, Usage (input side, if known)
	EvBlockStart                          // Index, Block (Type; ToolCallID/ToolName for tool_use; ID)
	EvTextDelta                           // Index, Text
	EvThinkingDelta                       // Index, Text
	EvSignatureDelta                      // Index, Text = signature (Block.Origin tells whose)
	EvToolArgsDelta                       // Index, Text = a fragment of the arguments JSON
	EvBlockStop                           // Index
	EvUsage                               // Usage (cumulative: the latest wins)
	EvMessageStop                         // Stop, StopSequence
	EvError                               // Err
)

var eventNames = [...]string{"", "message_start", "block_start", "text_delta", "thinking_delta",
	"signature_delta", "tool_args_delta", "block_stop", "usage", "message_stop", "error"}

func (t EventType) String() string {
	if int(t) < len(eventNames) {
		return eventNames[t]
	}
	return "unknown"
}

// Event is one stream event. It is a value type so a decoder can append into
// a reused slice without allocating per event.
type Event struct {
	Type  EventType
	Index int

	// Block is set on EvBlockStart (only Type, ToolCallID, ToolName, ID,
	// Origin and, for redacted thinking, Data matter).
	Block *Block

	// Text carries the delta of TextDelta, ThinkingDelta, SignatureDelta and
	// ToolArgsDelta.
	Text string

	// MessageStart: ID and Model. Usage: on EvUsage and optionally on
	// EvMessageStart (input tokens known up front).
	ID    string
	Model string
	Usage *Usage

	// MessageStop.
	Stop         StopReason
	StopSequence string

	// Error.
	Err *Error
}
