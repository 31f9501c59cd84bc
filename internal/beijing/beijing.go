// Package beijing is the program's one time zone: Beijing time (北京时间, UTC+8), in which every
// time shown to a person is written and "this month" is judged (a birth month in the future, a
// date in a report filter).
//
// China has kept UTC+8 without daylight saving since 1991, so a fixed zone is exact for every
// time the program shows and needs no tzdata: it behaves the same in a scratch container, with
// or without time/tzdata embedded, as on a laptop.
package beijing

import "time"

// offset is UTC+8 in seconds.
const offset = 8 * 60 * 60

var loc = time.FixedZone("CST", offset)

// Location returns Beijing time.
func Location() *time.Location { return loc }

// Now returns the current time in Beijing time.
func Now() time.Time { return time.Now().In(loc) }

// In returns t in Beijing time.
func In(t time.Time) time.Time { return t.In(loc) }

// DateTime formats t as Beijing time to the second, e.g. 2025-07-01 09:00:00, the form the
// console and messages show.
func DateTime(t time.Time) string { return t.In(loc).Format(time.DateTime) }
