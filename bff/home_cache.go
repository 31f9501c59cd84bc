package bff

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/lru"
)

// Defaults of NewHomeCache.
const (
	DefaultHomeCacheSize = 50_000
	// DefaultHomeCacheTTL bounds what no event reports: the 常用服务 lists (everyone's popularity,
	// itself re-read every minute or five, and the order of the person's own uses), and a change
	// on another replica whose event was lost because that replica stopped between its write and
	// the publish (a notice marked read, a profile or follow written). Everything else the home
	// shows is reported: steps by application.changed, new notices by person.changed written in
	// the notices' own transaction, guides by their publication. 30 s missed 7.1% of a Zipf mix
	// over 100k people at 20k requests/s, 2 min 5.3% (a simulation; BENCHMARKS.md, #20).
	DefaultHomeCacheTTL = 2 * time.Minute
)

// HomeCacheOptions configures NewHomeCache; zero fields take defaults: Size people kept, one not
// used recently dropped first (DefaultHomeCacheSize); an entry is recomputed after TTL at the
// latest (DefaultHomeCacheTTL).
type HomeCacheOptions = lru.Options

// HomeCache keeps each person's last GET /api/v1/me/home body and ETag, so that a repeated
// request (the app opening, a 304 revalidation) does no store reads. It is invalidated by the
// event log, which every replica reads: the person's application steps (application.changed),
// their own profile and follow writes (person.changed) and any guide being published or
// withdrawn (every entry). An entry also dies with the Beijing day (reminders are by date) and
// after TTL.
type HomeCache struct {
	mu  sync.Mutex
	c   *lru.Cache[string, *homeEntry] // by subject
	seq uint64                         // bumped by every invalidation
	// floor is the newest invalidation the cache no longer remembers per person (a dropped
	// tombstone, or InvalidateAll): a body computed before it is not stored.
	floor uint64
	// hits and misses count get's answers (shebao_home_cache_requests_total).
	hits, misses uint64
}

// homeEntry is a cached body, or a tombstone saying the person's home changed at seq.
type homeEntry struct {
	seq  uint64 // tombstone: the invalidation; body: the sequence when computing started
	tomb bool
	name string // the token's display name the body was computed with
	day  string // Beijing date of the reminders
	body []byte
	etag string
	gz   []byte // body gzipped, made at the first request that accepts gzip (putGzip)
}

// NewHomeCache returns an empty cache; Follow connects it to the event log.
func NewHomeCache(o HomeCacheOptions) *HomeCache {
	h := &HomeCache{}
	h.c = lru.New(o, lru.Options{Size: DefaultHomeCacheSize, TTL: DefaultHomeCacheTTL}, func(_ string, e *homeEntry) {
		if e.tomb { // called with mu held, from the cache's own methods
			h.floor = max(h.floor, e.seq)
		}
	})
	return h
}

// Follow registers the cache as an in-memory consumer of l from its head: the cache starts
// empty, so earlier events have nothing to invalidate.
func (h *HomeCache) Follow(ctx context.Context, l *eventlog.Log) (func(), error) {
	return l.Register(ctx, eventlog.Consumer{Name: "home-cache", Start: eventlog.FromHead,
		Topics: []string{event.ApplicationChanged, event.PersonChanged, event.GuidePublished, event.GuideUnpublished},
		Handle: func(_ context.Context, e event.Event) error {
			h.Handle(e)
			return nil
		}})
}

// Handle invalidates what e changes.
func (h *HomeCache) Handle(e event.Event) {
	switch e.Topic {
	case event.PersonChanged:
		if e.Key != "" {
			h.Invalidate(e.Key)
			return
		}
		var ps event.People
		if json.Unmarshal(e.Data, &ps) != nil {
			h.InvalidateAll()
			return
		}
		for _, p := range ps.Subjects {
			h.Invalidate(p)
		}
	case event.ApplicationChanged:
		var st event.ApplicationStep
		if json.Unmarshal(e.Data, &st) != nil || st.Person == "" {
			h.InvalidateAll() // cannot tell whose: safe, not clever
			return
		}
		h.Invalidate(st.Person)
	case event.GuidePublished, event.GuideUnpublished:
		h.InvalidateAll()
	}
}

// start returns the sequence to pass to put for a body computed from now on.
func (h *HomeCache) start() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq
}

// get returns the cached body of subject for the token name and day, if it is fresh, with its
// gzipped form when one was made.
func (h *HomeCache) get(subject, name, day string) (body []byte, etag string, gz []byte, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, found := h.c.Get(subject)
	if !found || e.tomb || e.name != name || e.day != day {
		h.misses++
		return nil, "", nil, false
	}
	h.hits++
	return e.body, e.etag, e.gz, true
}

// putGzip keeps gz, the gzipped form of subject's body with etag, beside that body if it is
// still the one cached.
func (h *HomeCache) putGzip(subject, etag string, gz []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, found := h.c.Peek(subject); found && !e.tomb && e.etag == etag {
		e.gz = gz
	}
}

// put stores a body whose computation began at sequence from, unless the person's home was
// invalidated since (then the body may already be stale, and the next request recomputes it).
func (h *HomeCache) put(subject, name, day string, from uint64, body []byte, etag string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, found := h.c.Peek(subject); found {
		if old.seq > from {
			return // invalidated (or recomputed by a later request) after this one began
		}
	} else if from < h.floor {
		return
	}
	h.c.Put(subject, &homeEntry{seq: from, name: name, day: day, body: body, etag: etag})
}

// Counts returns how many gets found a fresh body (hits) and how many did not (misses).
func (h *HomeCache) Counts() (hits, misses uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits, h.misses
}

// Invalidate drops subject's cached home, also one being computed right now.
func (h *HomeCache) Invalidate(subject string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.c.Put(subject, &homeEntry{seq: h.seq, tomb: true})
}

// InvalidateAll drops every cached home.
func (h *HomeCache) InvalidateAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.floor = h.seq
	h.c.Clear()
}

// personChanged records that subject's own data changed: at once in this process, and through
// the event log for the other replicas. A failed publish is logged; those replicas then catch
// up within the cache's TTL.
func (s *Server) personChanged(ctx context.Context, subject string) {
	s.Home.Invalidate(subject)
	if s.Events == nil {
		return
	}
	if err := s.Events.Publish(ctx, event.Event{Topic: event.PersonChanged, Key: subject, At: s.now()}); err != nil {
		s.log.Warn("home cache: publish person.changed", "err", err)
	}
}
