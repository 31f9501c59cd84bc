package event

import (
	"context"
	"errors"
	"testing"
)

func TestLocalDeliversInOrderAndSurvivesBadHandlers(t *testing.T) {
	b := NewLocal(nil)
	var got []int
	b.Subscribe("t", func(context.Context, Event) error { got = append(got, 1); return nil })
	b.Subscribe("t", func(context.Context, Event) error { panic("boom") })
	b.Subscribe("t", func(context.Context, Event) error { got = append(got, 3); return errors.New("x") })
	un := b.Subscribe("t", func(context.Context, Event) error { got = append(got, 4); return nil })
	b.Subscribe("other", func(context.Context, Event) error { got = append(got, 99); return nil })
	b.Publish(context.Background(), Event{Topic: "t"})
	un()
	b.Publish(context.Background(), Event{Topic: "t"})
	want := []int{1, 3, 4, 1, 3}
	if len(got) != len(want) {
		t.Fatalf("got %v want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
}
