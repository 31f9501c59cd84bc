// Package wake is the nudge of a polling loop: a loop that runs on a ticker can be asked to run
// now, by callers that must never block on it (a request that just committed work for the loop).
package wake

import "time"

// Chan carries a pending nudge. Nudges given while one is pending fold into it, so a busy loop
// runs once more, not once per nudge.
type Chan chan struct{}

// New returns a Chan with room for the one pending nudge.
func New() Chan { return make(Chan, 1) }

// Wake leaves a nudge unless one is pending; it never blocks.
func (c Chan) Wake() {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Wait blocks until the loop should run again: it returns true when tick fires, a nudge is taken
// from c or more delivers (nil: never), and false when stop delivers or is closed (a context's
// Done, a Close).
func (c Chan) Wait(stop <-chan struct{}, tick <-chan time.Time, more <-chan struct{}) bool {
	select {
	case <-stop:
		return false
	case <-tick:
	case <-c:
	case <-more:
	}
	return true
}
