package assistant

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkFormTurn measures the server time of one guided-form turn in no-model mode: the whole
// chat pipeline (sanitise, mask, route) and the form engine (load the stored form session, read
// and validate the value, save the session, store the form event), on SQLite. The script is the
// shortest 社保卡挂失, started again when submitted.
func BenchmarkFormTurn(b *testing.B) {
	r := newFormRig(b, sqliteDB(b), nil)
	r.svc.log = slog.New(slog.DiscardHandler)
	sess, _, err := r.svc.openSession(context.Background(), "", "u1")
	if err != nil {
		b.Fatal(err)
	}
	script := []string{"帮我挂失社保卡", "对", "对", "遗失", "对", "对", "对", "对"}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		a, err := r.svc.Answer(context.Background(), sess.id, script[i%len(script)])
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
		if a.Route != RouteForm {
			b.Fatalf("turn %d %q: route %s %q", i, script[i%len(script)], a.Route, a.Text)
		}
	}
	b.StopTimer()
	reportLatency(b, ds)
}
