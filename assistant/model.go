package assistant

import (
	"context"
	"log/slog"

	openai "github.com/sashabaranov/go-openai"

	"shebao/internal/modelclient"
)

// ModelConfig configures the model the assistant composes answers with: the server
// (modelclient.Config) and the version of the prompts.
type ModelConfig struct {
	modelclient.Config
	// PromptVersion selects prompts/<name>.<version>.txt ["v2": passages with ids, cited per sentence].
	PromptVersion string
}

// modelClient is the model server's client with the prompts the assistant sends it.
type modelClient struct {
	*modelclient.Client
	prompts *promptSet
}

func newModelClient(cfg ModelConfig, log *slog.Logger) (*modelClient, error) {
	if cfg.PromptVersion == "" {
		cfg.PromptVersion = "v2"
	}
	ps, err := loadPrompts(cfg.PromptVersion)
	if err != nil {
		return nil, err
	}
	c, err := modelclient.New(cfg.Config, log)
	if err != nil {
		return nil, err
	}
	return &modelClient{Client: c, prompts: ps}, nil
}

// available reports whether the model is worth trying now.
func (m *modelClient) available() bool { return m.Available() }

// stream runs one streamed completion with a forced call of tool.
func (m *modelClient) stream(ctx context.Context, msgs []openai.ChatCompletionMessage, tool openai.Tool, onArgs func(string)) (*modelclient.Completion, error) {
	return m.StreamTool(ctx, msgs, tool, onArgs)
}
