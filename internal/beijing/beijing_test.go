package beijing

import (
	"testing"
	"time"
)

func TestBeijingTime(t *testing.T) {
	t.Parallel()
	utc := time.Date(2025, 6, 30, 17, 30, 0, 0, time.UTC)
	if got := DateTime(utc); got != "2025-07-01 01:30:00" {
		t.Errorf("DateTime = %q", got)
	}
	// The same offset in winter and summer, now and in the 1980s (no daylight saving is applied).
	for _, at := range []time.Time{utc, time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(1988, 7, 1, 0, 0, 0, 0, time.UTC)} {
		if _, off := In(at).Zone(); off != 8*3600 {
			t.Errorf("%v: offset %d", at, off)
		}
	}
	d, err := time.ParseInLocation(time.DateOnly, "2025-07-01", Location())
	if err != nil || !d.Equal(time.Date(2025, 6, 30, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("midnight in Beijing = %v %v", d.UTC(), err)
	}
}
