package formflow

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"shebao/internal/modelclient"
)

//go:embed prompts/*
var promptFS embed.FS

// ModelProposer asks an OpenAI-compatible model, through a forced call of the form_command
// tool, which command a free-speech utterance means. It sees the form's fields and the
// utterance with personal data masked; what it proposes is checked by the Engine like any
// other proposal.
type ModelProposer struct {
	client *modelclient.Client
	system string
	tool   openai.Tool
}

// NewModelProposer returns a proposer over a model client.
func NewModelProposer(c *modelclient.Client) (*ModelProposer, error) {
	system, err := promptFS.ReadFile("prompts/form_command.v1.txt")
	if err != nil {
		return nil, err
	}
	toolJSON, err := promptFS.ReadFile("prompts/form_command_tool.v1.json")
	if err != nil {
		return nil, err
	}
	var def openai.FunctionDefinition
	if err := json.Unmarshal(toolJSON, &def); err != nil {
		return nil, fmt.Errorf("form_command tool: %w", err)
	}
	return &ModelProposer{client: c, system: string(system), tool: openai.Tool{Type: openai.ToolTypeFunction, Function: &def}}, nil
}

// promptField is a field as the model is told about it.
type promptField struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Kind    string   `json:"kind"`
	Options []string `json:"options,omitempty"`
}

// Propose implements Proposer. A model that is down, or answers with no tool call, has no
// proposal: the rules' reading stands.
func (m *ModelProposer) Propose(ctx context.Context, q Question) (Command, bool, error) {
	if !m.client.Available() {
		return Command{}, false, nil
	}
	state := "asking"
	switch {
	case q.Summary:
		state = "summary_read_back"
	case q.ReadBack:
		state = "value_read_back"
	}
	fields := make([]promptField, 0, len(q.Form.Fields))
	for _, f := range q.Form.Fields {
		pf := promptField{Key: f.Key, Label: f.Label, Kind: Kind(f.Type)}
		for _, o := range f.Options {
			pf.Options = append(pf.Options, o.Label)
		}
		fields = append(fields, pf)
	}
	user, _ := json.Marshal(map[string]any{"form": q.Form.Title, "state": state, "field_asked": q.Field, "fields": fields, "utterance": q.Utterance})
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: m.system},
		{Role: openai.ChatMessageRoleUser, Content: string(user)},
	}
	c, err := m.client.StreamTool(ctx, msgs, m.tool, nil)
	if err != nil {
		return Command{}, false, err
	}
	for _, call := range c.Calls {
		if call.Name != "" && call.Name != m.tool.Function.Name {
			continue
		}
		var cmd Command
		if err := json.Unmarshal([]byte(call.Args.String()), &cmd); err != nil {
			return Command{}, false, fmt.Errorf("form_command arguments: %w", err)
		}
		cmd.Op = Op(strings.TrimSpace(string(cmd.Op)))
		return cmd, true, nil
	}
	return Command{}, false, nil
}
