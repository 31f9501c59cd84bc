package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"shebao/internal/beijing"
	"time"

	"shebao/assistant"
	"shebao/assistant/formflow"
	"shebao/assistant/voice"
	"shebao/bff"
	"shebao/config"
	"shebao/content"
	apps "shebao/internal/application"
	"shebao/internal/db"
	"shebao/internal/eventlog"
	"shebao/internal/identity"
	"shebao/internal/lease"
	"shebao/internal/modelclient"
	"shebao/internal/ratelimit"
	"shebao/search"
)

// searchRetriever lets the assistant find guides through the search index. It receives the
// question after personal data was masked, so the search query log never sees it.
type searchRetriever struct{ idx *search.Service }

// GuideTerms are the question's terms with the guides' words for them (the search synonym table).
func (r searchRetriever) GuideTerms(q string) [][2]string { return r.idx.GuideTerms(q) }

func (r searchRetriever) Retrieve(ctx context.Context, q string, limit int) ([]assistant.Hit, error) {
	res, err := r.idx.Search(ctx, search.Request{Query: q, Limit: limit})
	if err != nil {
		return nil, err
	}
	hits := make([]assistant.Hit, len(res.Results))
	for i, h := range res.Results {
		hits[i] = assistant.Hit{Code: h.Code, Score: h.Score}
	}
	return hits, nil
}

// chatVerifier checks hello tokens with the same verifiers as the HTTP API.
type chatVerifier struct{ v identity.Verifier }

func (c chatVerifier) Verify(ctx context.Context, token string) (assistant.Principal, error) {
	p, err := c.v.Verify(ctx, token)
	if err != nil {
		return assistant.Principal{}, err
	}
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return assistant.Principal{Subject: p.Subject, Roles: roles}, nil
}

// modelConfig is the model server from the config, or nil for no-model mode.
func modelConfig(cfg config.Config) *assistant.ModelConfig {
	if cfg.ModelBaseURL == "" {
		return nil
	}
	return &assistant.ModelConfig{Config: modelclient.Config{BaseURL: cfg.ModelBaseURL, APIKey: cfg.ModelAPIKey, Model: cfg.ModelName,
		MaxTokens: cfg.ModelMaxTokens, Timeout: cfg.ModelTimeout, ExtraBody: cfg.ModelExtraBody()}}
}

func newAssistant(ctx context.Context, cfg config.Config, log *slog.Logger, d *db.DB, cs *content.Service, idx *search.Service, v identity.Verifier) (*assistant.Service, error) {
	return newAssistantWithVoice(ctx, cfg, log, d, cs, idx, v, nil, nil, nil, nil, nil)
}

// newAssistantWithVoice is newAssistant with the voice service, the voice settings store and the
// person and applications feature (each may be nil: text only, settings for the session only, no
// personal answers, forms neither prefilled nor submitted), the message rate limiter (nil: in
// memory, per replica) and the event log that carries sessions between replicas (nil: one server).
func newAssistantWithVoice(ctx context.Context, cfg config.Config, log *slog.Logger, d *db.DB, cs *content.Service, idx *search.Service,
	v identity.Verifier, vs *voice.Service, settings *voice.SettingsStore, p *personal, lim ratelimit.Limiter, events *eventlog.Log) (*assistant.Service, error) {
	o := assistant.Options{DB: d, Retriever: searchRetriever{idx}, Guides: content.PublishedGuides{S: cs}, Model: modelConfig(cfg),
		Log: log, AllowedOrigins: cfg.AllowedOrigins, ClientIP: bff.ClientIP(cfg.TrustProxy),
		Limits: assistant.Limits{ConnsPerIP: cfg.ChatMaxConnsPerIP, ConnsPerUser: cfg.ChatMaxConnsPerUser, MaxAudioBytes: cfg.VoiceMaxAudioBytes}, RateLimiter: lim,
		Events: events}
	if p != nil {
		o.Personal = &apps.Personal{Apps: p.apps, People: p.people}
		o.Elderly = func(ctx context.Context, subject string) bool { return p.people.Elderly(ctx, subject, beijing.Now()) }
	}
	if v != nil {
		o.Verifier = chatVerifier{v}
	}
	forms, err := newFormEngine(ctx, cfg, log, d, cs, p)
	if err != nil {
		return nil, err
	}
	o.Forms = forms
	if vs != nil {
		o.Voice = vs
	}
	if settings != nil {
		o.VoiceSettings = settings
	}
	svc, err := assistant.New(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("assistant: %w", err)
	}
	return svc, nil
}

// newFormEngine is the guided-form engine over the content's forms. With the person and
// applications feature (p), fields are prefilled from the profile and confirmed forms become
// applications; without it, a confirmed form is kept and the person pointed to 12333.
func newFormEngine(ctx context.Context, cfg config.Config, log *slog.Logger, d *db.DB, cs *content.Service, p *personal) (*formflow.Engine, error) {
	o := formflow.Options{DB: d, Forms: cs, Guides: content.PublishedGuides{S: cs}, Log: log}
	if p != nil {
		o.Profiles, o.Submitter = formProfiles{p.people}, formSubmitter{p.apps}
	}
	if mc := modelConfig(cfg); mc != nil {
		c, err := modelclient.New(mc.Config, log)
		if err != nil {
			return nil, fmt.Errorf("forms: %w", err)
		}
		if o.Proposer, err = formflow.NewModelProposer(c); err != nil {
			return nil, fmt.Errorf("forms: %w", err)
		}
	}
	e, err := formflow.New(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("forms: %w", err)
	}
	return e, nil
}

func runChat(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "chat", "chat [--url ws://127.0.0.1:8080/api/v1/chat] [--token TOKEN] [--json]")
	url := fs.String("url", "ws://127.0.0.1:8080/api/v1/chat", "chat endpoint of a running server")
	token := fs.String("token", "", "bearer token (optional; without it the session is anonymous)")
	asJSON := fs.Bool("json", false, "print every server event as one JSON line")
	if err := fs.parse(args); err != nil {
		return err
	}
	return assistant.RunTerminal(ctx, *url, *token, *asJSON, env.stdin, env.stdout)
}

// pruneDaily keeps stored history bounded, once a day cluster-wide: chat sessions idle for 30
// days, and search queries older than 180 days (the 办事堵点 report looks back weeks).
func pruneDaily(ctx context.Context, log *slog.Logger, leases *lease.Leases, svc *assistant.Service, idx *search.Service) {
	onceADay(ctx, log, leases, "prune-daily", func() {
		if n, err := svc.Prune(ctx, 30*24*time.Hour); err != nil && ctx.Err() == nil {
			log.Error("prune chat sessions", "err", err)
		} else if n > 0 {
			log.Info("pruned chat sessions", "count", n)
		}
		if n, err := idx.PruneQueryLog(ctx, time.Now().AddDate(0, 0, -180)); err != nil && ctx.Err() == nil {
			log.Error("prune search query log", "err", err)
		} else if n > 0 {
			log.Info("pruned search query log", "count", n)
		}
	})
}

// onceADay runs fn about once a day on one replica of all: every replica tries each hour (and
// at start) to take the lease name for 23 h; the one that takes it runs fn. A replica that dies
// while holding it leaves the work to whichever takes the lease next.
func onceADay(ctx context.Context, log *slog.Logger, leases *lease.Leases, name string, fn func()) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		b := make([]byte, 8)
		rand.Read(b)
		if ok, err := leases.Take(ctx, name, hex.EncodeToString(b), 23*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("daily work: lease not taken; will try again in an hour", "work", name, "err", err)
		} else if ok {
			fn()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newVoice builds the voice service from the config, and the voice settings store.
func newVoice(ctx context.Context, cfg config.Config, log *slog.Logger, d *db.DB) (*voice.Service, *voice.SettingsStore, error) {
	cache := cfg.VoiceCacheBytes
	if cache == 0 {
		cache = -1 // 0 in the config means no cache
	}
	vs, err := voice.New(voice.Config{
		TranscribeBaseURL: cfg.VoiceTranscribeBaseURL, TranscribeAPIKey: cfg.VoiceTranscribeAPIKey, TranscribeModel: cfg.VoiceTranscribeModel,
		SpeechBaseURL: cfg.VoiceSpeechBaseURL, SpeechAPIKey: cfg.VoiceSpeechAPIKey, SpeechModel: cfg.VoiceSpeechModel,
		SpeechFormat: cfg.VoiceSpeechFormat, SpeechVoices: map[string]string{voice.VoiceFemale: cfg.VoiceSpeechFemale, voice.VoiceMale: cfg.VoiceSpeechMale},
		Espeak: cfg.VoiceEspeak, Timeout: cfg.VoiceTimeout, MaxAudioBytes: cfg.VoiceMaxAudioBytes, MaxAudioLength: cfg.VoiceMaxAudioLength,
		CacheBytes: cache, Normalize: assistant.Speakable,
	}, log)
	if err != nil {
		return nil, nil, fmt.Errorf("voice: %w", err)
	}
	store, err := voice.NewSettingsStore(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	return vs, store, nil
}

// prewarmVoice fills the speech cache with the fixed replies at the normal and the elder rate.
func prewarmVoice(ctx context.Context, log *slog.Logger, vs *voice.Service) {
	if !vs.CanSpeak() {
		return
	}
	start := time.Now()
	for _, elder := range []bool{false, true} {
		rate := map[bool]float64{false: 1, true: voice.ElderRate}[elder]
		if err := vs.Prewarm(ctx, assistant.FixedSpeakables(elder), rate); err != nil {
			log.Warn("speech cache not warmed", "err", err)
			return
		}
	}
	bytes, entries, _, _ := vs.CacheStats()
	log.Info("speech cache warmed", "entries", entries, "bytes", bytes, "ms", time.Since(start).Milliseconds())
}
