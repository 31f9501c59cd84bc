package bff

import (
	"container/list"
	"context"
	"encoding/json"
	"sync"
	"time"

	"shebao/internal/event"
	"shebao/internal/eventlog"
)

// Defaults of NewHomeCache.
const (
	DefaultHomeCacheSize = 50_000
	// DefaultHomeCacheTTL bounds what no event reports: the 常用服务 popularity (itself recomputed
	// every five minutes), the unread-notice count, and a person change on another replica whose
	// event was lost because that replica stopped between the write and the publish.
	DefaultHomeCacheTTL = 30 * time.Second
)

// HomeCacheOptions configures NewHomeCache; zero fields take defaults.
type HomeCacheOptions struct {
	Size int           // people kept, least recently used dropped first (DefaultHomeCacheSize)
	TTL  time.Duration // an entry is recomputed after this at the latest (DefaultHomeCacheTTL)
	Now  func() time.Time
}

// HomeCache keeps each person's last GET /api/v1/me/home body and ETag, so that a repeated
// request (the app opening, a 304 revalidation) does no store reads. It is invalidated by the
// event log, which every replica reads: the person's application steps (application.changed),
// their own profile and follow writes (person.changed) and any guide being published or
// withdrawn (every entry). An entry also dies with the Beijing day (reminders are by date) and
// after TTL.
type HomeCache struct {
	o HomeCacheOptions

	mu  sync.Mutex
	m   map[string]*list.Element // subject → element holding *homeEntry
	lru *list.List
	seq uint64 // bumped by every invalidation
	// floor is the newest invalidation the cache no longer remembers per person (a dropped
	// tombstone, or InvalidateAll): a body computed before it is not stored.
	floor uint64
}

// homeEntry is a cached body, or a tombstone saying the person's home changed at seq.
type homeEntry struct {
	subject string
	seq     uint64 // tombstone: the invalidation; body: the sequence when computing started
	tomb    bool
	name    string // the token's display name the body was computed with
	day     string // Beijing date of the reminders
	at      time.Time
	body    []byte
	etag    string
}

// NewHomeCache returns an empty cache; Follow connects it to the event log.
func NewHomeCache(o HomeCacheOptions) *HomeCache {
	if o.Size <= 0 {
		o.Size = DefaultHomeCacheSize
	}
	if o.TTL <= 0 {
		o.TTL = DefaultHomeCacheTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &HomeCache{o: o, m: map[string]*list.Element{}, lru: list.New()}
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

// get returns the cached body of subject for the token name and day, if it is fresh.
func (h *HomeCache) get(subject, name, day string) (body []byte, etag string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	el, found := h.m[subject]
	if !found {
		return nil, "", false
	}
	e := el.Value.(*homeEntry)
	if e.tomb || e.name != name || e.day != day || h.o.Now().Sub(e.at) >= h.o.TTL {
		return nil, "", false
	}
	h.lru.MoveToFront(el)
	return e.body, e.etag, true
}

// put stores a body whose computation began at sequence from, unless the person's home was
// invalidated since (then the body may already be stale, and the next request recomputes it).
func (h *HomeCache) put(subject, name, day string, from uint64, body []byte, etag string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	el, found := h.m[subject]
	if found {
		if old := el.Value.(*homeEntry); old.seq > from {
			return // invalidated (or recomputed by a later request) after this one began
		}
	} else if from < h.floor {
		return
	}
	e := &homeEntry{subject: subject, seq: from, name: name, day: day, at: h.o.Now(), body: body, etag: etag}
	h.set(el, e)
}

// Invalidate drops subject's cached home, also one being computed right now.
func (h *HomeCache) Invalidate(subject string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.set(h.m[subject], &homeEntry{subject: subject, seq: h.seq, tomb: true})
}

// InvalidateAll drops every cached home.
func (h *HomeCache) InvalidateAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.floor = h.seq
	clear(h.m)
	h.lru.Init()
}

// set stores e in el (nil: a new element) and drops the least recently used beyond Size; the
// caller holds mu.
func (h *HomeCache) set(el *list.Element, e *homeEntry) {
	if el != nil {
		el.Value = e
		h.lru.MoveToFront(el)
		return
	}
	h.m[e.subject] = h.lru.PushFront(e)
	for h.lru.Len() > h.o.Size {
		old := h.lru.Back()
		oe := old.Value.(*homeEntry)
		if oe.tomb {
			h.floor = max(h.floor, oe.seq)
		}
		h.lru.Remove(old)
		delete(h.m, oe.subject)
	}
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
