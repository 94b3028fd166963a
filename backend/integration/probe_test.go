package integration

import (
	"testing"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"
)

func TestProbe(t *testing.T) {
	_ = openai.NewClient(option.WithBaseURL("http://x"))
	_ = responses.ResponseNewParams{}
	_ = anthropic.NewClient(aoption.WithBaseURL("http://x"))
	_ = genai.ClientConfig{}
}
