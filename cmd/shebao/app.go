package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"shebao/assistant"
	"shebao/assistant/voice"
	"shebao/bff"
	"shebao/config"
	"shebao/internal/identity"
	"shebao/internal/person"
	"shebao/internal/queue"
	"shebao/internal/ratelimit"
	"shebao/notify"
	"shebao/search"
)

// openNotify builds notifications from the config and subscribes them to the event log. The
// person store gives guide followers, campaign segments and (sealed) phone numbers for SMS.
func openNotify(ctx context.Context, cfg config.Config, log *slog.Logger, st *store, people *person.Store) (*notify.Service, error) {
	o := notify.Options{
		Followers: people, People: people,
		DB: st.db, Queue: st.jobs, Log: log, BaseURL: cfg.AppBaseURL,
		VAPIDSubject: cfg.PushVAPIDSubject, VAPIDPublicKey: cfg.PushVAPIDPublicKey, VAPIDPrivateKey: cfg.PushVAPIDPrivateKey,
		Endpoints:   &notify.EndpointPolicy{Hosts: cfg.PushHosts, InsecureTestHosts: cfg.PushInsecureTestHosts},
		Concurrency: cfg.PushWorkers, Fail4xxLimit: cfg.PushFail4xxLimit, SubscriptionMaxIdle: cfg.PushSubscriptionMaxIdle,
		Minute: cfg.NotifyCampaignRatePeriod,
	}
	if cfg.SMSGatewayURL != "" {
		o.SMS = &notify.SMSGateway{URL: cfg.SMSGatewayURL, TemplateID: cfg.SMSTemplateID, Key: []byte(cfg.SMSKey)}
	}
	n, err := notify.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	if _, err := n.Follow(ctx, st.events); err != nil {
		return nil, fmt.Errorf("notify: follow the event log: %w", err)
	}
	return n, nil
}

// application is the wired server: the edge's dependencies plus what runs in the background.
type application struct {
	deps    bff.Deps
	st      *store
	search  *search.Service
	chat    *assistant.Service
	notify  *notify.Service
	person  *personal
	worker  *queue.Worker
	voice   *voice.Service
	log     *slog.Logger
	closers []func() error
}

func buildApp(ctx context.Context, cfg config.Config, log *slog.Logger, accessLog io.Writer, st *store, verifier identity.Verifier) (*application, error) {
	a := &application{st: st, log: log}
	idx, err := search.Open(ctx, search.Options{Dir: filepath.Join(cfg.DataDir, "index"), DB: st.db, Log: log})
	if err != nil {
		return nil, fmt.Errorf("open search index in %s: %w", filepath.Join(cfg.DataDir, "index"), err)
	}
	a.closers = append(a.closers, idx.Close)
	a.search = idx
	// The index follows the event log from the position it records, so it also sees publishes
	// made by other processes (replicas, `shebao import --publish`); it reads the store, not a cache.
	if err := idx.Follow(ctx, st.events, st.content); err != nil {
		return nil, fmt.Errorf("search index: follow the event log: %w", err)
	}
	if a.person, err = openPersonal(ctx, cfg, log, st); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.person.uses.Close)
	vs, voiceSettings, err := newVoice(ctx, cfg, log, st.db)
	if err != nil {
		return nil, err
	}
	a.voice = vs
	var lim ratelimit.Limiter // nil: in memory, per replica
	if st.redis != nil {
		// Message limits per person and per address hold across replicas: reconnecting to
		// another replica gives no fresh burst.
		lim = ratelimit.NewRedis(st.redis, "shebao:rl:", log)
	}
	chat, err := newAssistantWithVoice(ctx, cfg, log, st.db, st.content, idx, verifier, vs, voiceSettings, a.person, lim, st.events)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, chat.Close)
	a.chat = chat
	if a.notify, err = openNotify(ctx, cfg, log, st, a.person.people); err != nil {
		return nil, err
	}
	a.deps = bff.Deps{
		Notify:        a.notify,
		Unread:        a.notify,
		Content:       st.content,
		Log:           log,
		AccessLog:     accessLog,
		Version:       version,
		Auth:          verifier,
		Search:        idx,
		Chat:          chat.Handler(),
		Unanswered:    unansweredSource(chat),
		Voice:         vs,
		VoiceSettings: voiceSettings,
		TrustProxy:    cfg.TrustProxy,
		OIDC:          bff.AppOIDC{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID},
		Ready: []bff.ReadyCheck{
			{Name: "store", Check: func(ctx context.Context) error { return st.db.PingContext(ctx) }},
			{Name: "migrations", Check: st.schemaCurrent},
			{Name: "index", Check: func(context.Context) error {
				if !idx.Ready() {
					return fmt.Errorf("search index is being built")
				}
				return nil
			}},
		},
	}
	a.person.wire(&a.deps, cfg)
	host, _ := os.Hostname()
	a.worker = st.jobs.NewWorker(queue.WorkerOptions{Name: fmt.Sprintf("%s/%d", host, os.Getpid()), Concurrency: 2, Log: log})
	for kind, h := range st.content.JobHandlers() {
		a.worker.Handle(kind, h)
	}
	a.person.handle(a.worker)
	return a, nil
}

// background runs until ctx ends: a rebuild of the index when it needs one, the event log's poll
// (events appended by other processes reach the snapshot and the index within a poll), and the
// queue worker (scheduled publications, within a poll of their time, on exactly one replica).
func (a *application) background(ctx context.Context) {
	if a.search.NeedsRebuild() {
		// The server answers not-ready until the new index is swapped in.
		if err := a.search.RebuildFromStore(ctx); err != nil {
			a.log.Error("search index rebuild", "err", err)
		}
	}
	go pruneDaily(ctx, a.log, a.st.leases, a.chat, a.search)
	go prewarmVoice(ctx, a.log, a.voice)
	go a.st.events.Run(ctx)
	host, _ := os.Hostname()
	// Notifications have a worker of their own, with their own concurrency, so that a campaign
	// never delays a scheduled publish or an upstream submission.
	go a.notify.Worker(fmt.Sprintf("%s/%d/notify", host, os.Getpid())).Run(ctx)
	go a.notify.Run(ctx)
	a.worker.Run(ctx)
}

func (a *application) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Error("close", "err", err)
		}
	}
}

// unansweredSource gives the edge the assistant's questions the guides could not answer.
func unansweredSource(chat *assistant.Service) bff.UnansweredSource {
	return func(ctx context.Context, from, to time.Time) ([]bff.UnansweredGuide, error) {
		lines, err := chat.Unanswered(ctx, from, to)
		if err != nil {
			return nil, err
		}
		out := make([]bff.UnansweredGuide, len(lines))
		for i, l := range lines {
			out[i] = bff.UnansweredGuide{Code: l.Code, Count: l.Count, Questions: l.Questions}
		}
		return out, nil
	}
}
