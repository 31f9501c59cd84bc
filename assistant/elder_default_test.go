package assistant

import (
	"context"
	"testing"
)

// A signed-in person of 65+ starts in elder mode when the client does not say (适老化); the
// client's own choice in hello wins; an anonymous person starts in the normal mode. Every reply
// in the default elder mode keeps the elder limits.
func TestElderModeDefaultFor65Plus(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, func(o *Options) {
		o.Verifier = fakeVerifier{"tok-old": {Subject: "old"}, "tok-young": {Subject: "young"}}
		o.Elderly = func(_ context.Context, subject string) bool { return subject == "old" }
	})
	for _, c := range []struct {
		name  string
		hello map[string]any
		want  bool
	}{
		{"65+ by default", map[string]any{"token": "tok-old"}, true},
		{"65+ who turned it off", map[string]any{"token": "tok-old", "elder_mode": false}, false},
		{"younger by default", map[string]any{"token": "tok-young"}, false},
		{"younger who turned it on", map[string]any{"token": "tok-young", "elder_mode": true}, true},
		{"anonymous", nil, false},
	} {
		ws := dial(t, wsURL(srv), nil)
		if got := ws.hello(c.hello); got.ElderMode != c.want {
			t.Errorf("%s: ready elder_mode %v, want %v", c.name, got.ElderMode, c.want)
		}
		if c.name != "65+ by default" {
			continue
		}
		ws.send(map[string]any{"type": "message", "id": "m1", "text": "办退休要带什么材料"})
		ans, _ := ws.until(EventAnswer)
		if issues := CheckElder(Answer{Text: ans.Text, Suggestions: ans.Suggestions, Route: ans.Route}); len(issues) > 0 {
			t.Errorf("%s: reply %q breaks the elder limits: %+v", c.name, ans.Text, issues)
		}
	}
}
