package application

import (
	"context"
	"encoding/json"
	"sync"

	"shebao/internal/event"
	"shebao/internal/eventlog"
)

// Progress hands each ApplicationChanged event to the open streams of the person it concerns
// (GET /api/v1/me/events). It follows the event log from its head, so it sees changes made by
// this process at once (Deliver after commit) and by other processes within a poll.
type Progress struct {
	mu   sync.Mutex
	subs map[string]map[chan event.ApplicationStep]struct{}
}

// NewProgress returns an empty hub; Follow connects it to the log.
func NewProgress() *Progress {
	return &Progress{subs: map[string]map[chan event.ApplicationStep]struct{}{}}
}

// Follow registers the hub as a consumer of the log (in memory: a stream that was not open
// missed nothing it can still show, so there is no position to keep).
func (p *Progress) Follow(ctx context.Context, l *eventlog.Log) (func(), error) {
	return l.Register(ctx, eventlog.Consumer{Name: "progress-streams", Topics: []string{event.ApplicationChanged}, Start: eventlog.FromHead, Fast: true,
		Handle: func(_ context.Context, e event.Event) error {
			var st event.ApplicationStep
			if json.Unmarshal(e.Data, &st) != nil {
				return nil // not ours to retry: a malformed payload never becomes well-formed
			}
			p.publish(st)
			return nil
		}})
}

// streamBuffer is how many steps a stream may fall behind. One that falls further is closed
// rather than passed over in silence: its channel closes after the steps it holds, the client
// is told to read its applications again and reconnects (a step dropped without a word was
// never shown: the screen stayed on the step before).
const streamBuffer = 16

// Watch opens a stream of person's steps; stop closes it. The channel is closed when the stream
// fell more than streamBuffer steps behind: the watcher must read the applications again.
func (p *Progress) Watch(person string) (steps <-chan event.ApplicationStep, stop func()) {
	ch := make(chan event.ApplicationStep, streamBuffer)
	p.mu.Lock()
	if p.subs[person] == nil {
		p.subs[person] = map[chan event.ApplicationStep]struct{}{}
	}
	p.subs[person][ch] = struct{}{}
	p.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.subs[person], ch)
			if len(p.subs[person]) == 0 {
				delete(p.subs, person)
			}
			p.mu.Unlock()
		})
	}
}

func (p *Progress) publish(st event.ApplicationStep) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ch := range p.subs[st.Person] {
		select {
		case ch <- st:
		default: // a stream that does not read is not allowed to hold up the others
			delete(p.subs[st.Person], ch)
			close(ch)
			if len(p.subs[st.Person]) == 0 {
				delete(p.subs, st.Person)
			}
		}
	}
}
