package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/blevesearch/bleve/v2"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/eventlog"
)

// positionKey is the bleve internal key under which an index records how far into the event log
// it is: the position travels with the index (a copied or restored index knows its own), and a
// restart catches up from there.
const positionKey = "shebao_eventlog_position"

// GuideStore is where the index reads published guides: one when an event names it, all of them
// when it rebuilds. content.Service is one.
type GuideStore interface {
	LoadPublished(ctx context.Context, code string) (content.Guide, error)
	LoadAllPublished(ctx context.Context) ([]content.Guide, error)
}

// Follow keeps the index current from the event log: it is a broadcast consumer with a name of
// its own (so every replica's index sees every event) whose position is stored in the index. A
// published guide is loaded from store and indexed, an unpublished one removed; a failure is
// retried by the log. Follow catches up at once from the index's position; an index that records
// none (built before positions, or by Rebuild) is marked for RebuildFromStore. Synonym and
// best-bet changes, from any replica, are read by a second consumer that reloads them.
func (s *Service) Follow(ctx context.Context, lg *eventlog.Log, store GuideStore) error {
	head, err := lg.Head(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.events, s.store = lg, store
	if s.idx != nil {
		switch pos, ok, _ := getPosition(s.idx); {
		case !ok:
			s.log.Info("search index records no event-log position, will rebuild from the store", "path", s.idxPath)
			s.needsRebuild = true
		case pos > head:
			// Further than the log goes: the index was built from another store.
			// The position is dropped so that the consumer starts at the head, as for a new index.
			s.log.Warn("search index is ahead of the event log (another store?), will rebuild", "path", s.idxPath, "position", pos, "head", head)
			s.needsRebuild = true
			if err := s.idx.DeleteInternal([]byte(positionKey)); err != nil {
				s.mu.Unlock()
				return fmt.Errorf("search: reset index position: %w", err)
			}
		}
	}
	s.mu.Unlock()
	name := "search.index:memory:" + s.instance
	if s.opts.Dir != "" {
		dir, _ := filepath.Abs(s.opts.Dir)
		name = "search.index:" + dir
	}
	unIndex, err := lg.Register(ctx, eventlog.Consumer{Name: name, Topics: []string{event.GuidePublished, event.GuideUnpublished},
		Handle: s.onGuideEvent, Position: indexPosition{s}, Start: eventlog.FromHead})
	if err != nil {
		return err
	}
	unSyn, err := lg.Register(ctx, eventlog.Consumer{Name: "search.synonyms:" + s.instance, Topics: []string{event.SynonymsChanged},
		Handle: s.onSynonymsEvent, Start: eventlog.FromHead})
	if err != nil {
		unIndex()
		return err
	}
	s.mu.Lock()
	s.unsubscribe = append(s.unsubscribe, unIndex, unSyn)
	s.mu.Unlock()
	// A change committed between Open's load and the registration above is in the tables now.
	if err := errors.Join(s.reloadSynonyms(ctx), s.reloadBestBets(ctx)); err != nil {
		return err
	}
	if err := lg.Deliver(ctx); err != nil {
		s.log.Warn("search catch-up from the event log; will retry", "err", err)
	}
	return nil
}

// RebuildFromStore rebuilds the index from every published guide in the store and records the
// log position they reflect: the head is read before the guides, so the guides are at least that
// current, and events after it are handed over again (harmless: indexing is idempotent).
func (s *Service) RebuildFromStore(ctx context.Context) error {
	s.mu.RLock()
	lg, store := s.events, s.store
	s.mu.RUnlock()
	if lg == nil || store == nil {
		return errors.New("search: RebuildFromStore needs Follow first")
	}
	head, err := lg.Head(ctx)
	if err != nil {
		return err
	}
	guides, err := store.LoadAllPublished(ctx)
	if err != nil {
		return fmt.Errorf("search: load published guides: %w", err)
	}
	return s.rebuild(ctx, guides, head)
}

// onGuideEvent applies one guide event. The store is read for the guide's current state, so an
// old event handed over again (catch-up, retry) converges on the store: a guide published and
// unpublished since is removed rather than indexed.
func (s *Service) onGuideEvent(ctx context.Context, e event.Event) error {
	code := e.Key
	var ge content.GuideEvent
	if len(e.Data) > 0 && json.Unmarshal(e.Data, &ge) == nil && ge.Code != "" {
		code = ge.Code
	}
	if code == "" {
		s.log.Warn("search: guide event without a code, skipped", "event", e.ID, "topic", e.Topic)
		return nil
	}
	if e.Topic == event.GuideUnpublished {
		return s.apply(op{code: code, at: e.ID})
	}
	g, err := s.store.LoadPublished(ctx, code)
	if apperr.Is(err, apperr.GuideNotFound) {
		return s.apply(op{code: code, at: e.ID})
	}
	if err != nil {
		return fmt.Errorf("search: load published guide %s: %w", code, err)
	}
	return s.apply(op{guide: &g, code: g.Code, at: e.ID})
}

// onSynonymsEvent reloads synonyms and best bets changed by another replica (this replica's own
// changes are loaded when they are made).
func (s *Service) onSynonymsEvent(ctx context.Context, e event.Event) error {
	if e.Key == s.instance {
		return nil
	}
	return errors.Join(s.reloadSynonyms(ctx), s.reloadBestBets(ctx))
}

// synonymsChanged records a synonym or best-bet change made by write in one transaction with its
// event, reloads the tables here, and hands the event to the other consumers and replicas.
func (s *Service) synonymsChanged(ctx context.Context, write func(tx *db.Tx) error) error {
	s.mu.RLock()
	lg := s.events
	s.mu.RUnlock()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		if lg == nil {
			return nil // not following a log (evaluation, tests): nobody else to tell
		}
		err := eventlog.Append(ctx, tx, event.Event{Topic: event.SynonymsChanged, Key: s.instance})
		return err
	})
	if err != nil {
		return err
	}
	if err := errors.Join(s.reloadSynonyms(ctx), s.reloadBestBets(ctx)); err != nil {
		return err
	}
	if lg != nil {
		if err := lg.Deliver(ctx); err != nil {
			s.log.Warn("event delivery after a synonyms change; the log will retry", "err", err)
		}
	}
	return nil
}

// indexPosition keeps the index consumer's position inside the index being served.
type indexPosition struct{ s *Service }

func (p indexPosition) Load(context.Context) (int64, bool, error) {
	p.s.mu.RLock()
	idx := p.s.idx
	p.s.mu.RUnlock()
	if idx == nil {
		return 0, false, nil
	}
	return getPosition(idx)
}

func (p indexPosition) Save(_ context.Context, pos int64) error {
	p.s.wmu.Lock() // not across a rebuild's swap
	defer p.s.wmu.Unlock()
	p.s.mu.RLock()
	idx := p.s.idx
	p.s.mu.RUnlock()
	if idx == nil {
		return nil // the coming rebuild records its own
	}
	// A guide event already wrote its position with the document (writeIndex): no second batch.
	if at, ok, err := getPosition(idx); err == nil && ok && at >= pos {
		return nil
	}
	return setPosition(idx, pos)
}

func getPosition(idx bleve.Index) (int64, bool, error) {
	b, err := idx.GetInternal([]byte(positionKey))
	if err != nil || len(b) == 0 {
		return 0, false, err
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil, err
}

func setPosition(idx bleve.Index, pos int64) error {
	return idx.SetInternal([]byte(positionKey), []byte(strconv.FormatInt(pos, 10)))
}
