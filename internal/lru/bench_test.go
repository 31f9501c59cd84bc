package lru

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkGetZipf is the token cache's hit path at its default size: 100,000 keys of 32 bytes
// each holding a value of a principal's size, read in the Zipf mix of the home screen's
// benchmark (s = 1.1), with one put in twenty (a new or expired token).
func BenchmarkGetZipf(b *testing.B) {
	type principal struct {
		a, b, c, d, e string
		roles         []string
		t1, t2        time.Time
	}
	const n = 100_000
	keys := make([][32]byte, n)
	for i := range keys {
		for j := range 8 {
			keys[i][j] = byte(i >> (8 * (j % 4)))
		}
		keys[i][31] = byte(i)
	}
	c := New[[32]byte, principal](Options{Size: n, TTL: time.Hour}, Options{}, nil)
	for _, k := range keys {
		c.Put(k, principal{a: "subject"})
	}
	z := rand.NewZipf(rand.New(rand.NewPCG(5, 6)), 1.1, 1, n-1)
	order := make([]int, 1<<16)
	for i := range order {
		order[i] = int(z.Uint64())
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := keys[order[i&(len(order)-1)]]
		if i%20 == 0 {
			c.Put(k, principal{a: "subject"})
		} else if _, ok := c.Get(k); !ok {
			b.Fatal("miss")
		}
	}
}
