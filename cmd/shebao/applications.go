package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"

	"shebao/assistant/formflow"
	"shebao/bff"
	"shebao/config"
	"shebao/content"
	apps "shebao/internal/application"
	"shebao/internal/eventlog"
	"shebao/internal/guideuse"
	"shebao/internal/identity"
	"shebao/internal/person"
	"shebao/internal/queue"
	"shebao/internal/ratelimit"
)

// personal is the wired person and applications feature: the stores, the 经办 link and the
// progress streams.
type personal struct {
	people   *person.Store
	apps     *apps.Service
	progress *apps.Progress
	home     *bff.HomeCache  // the home screens, invalidated from the event log
	uses     *guideuse.Store // guide views and search clicks, for 常用服务
	events   *eventlog.Log
	secret   []byte
	sim      *apps.Simulator // nil when a real 经办 system is configured
	listen   atomic.Value    // string: the server's own address, for the simulator's webhooks
}

// openPersonal opens the person and application stores and the configured 经办 link.
func openPersonal(ctx context.Context, cfg config.Config, log *slog.Logger, st *store) (*personal, error) {
	p := &personal{}
	var err error
	if p.people, err = person.Open(ctx, person.Options{DB: st.db, Key: cfg.PersonKey}); err != nil {
		return nil, fmt.Errorf("person store: %w", err)
	}
	if cfg.PersonKey == "" {
		log.Warn("SHEBAO_PERSON_KEY is not set: personal numbers are encrypted with a key kept in the store itself (fine for development, not for production)")
	}
	guides := guideNames(st.content)
	if p.apps, err = apps.Open(ctx, apps.Options{DB: st.db, Events: st.events, Jobs: st.jobs, People: p.people, Forms: st.content,
		Guides: guides, Log: log}); err != nil {
		return nil, fmt.Errorf("application store: %w", err)
	}
	p.secret = []byte(cfg.UpstreamSecret)
	if len(p.secret) == 0 {
		if p.secret, err = person.StoredSecret(ctx, st.db, "upstream_secret", 32); err != nil {
			return nil, err
		}
	}
	client := &http.Client{Timeout: cfg.UpstreamTimeout}
	switch cfg.Upstream {
	case "http":
		p.apps.SetUpstream(&apps.HTTPClient{BaseURL: cfg.UpstreamURL, Secret: p.secret, Client: client})
	default:
		p.listen.Store("")
		p.sim = &apps.Simulator{DB: st.db, Jobs: st.jobs, Secret: p.secret, Step: cfg.SimulatorStep, Guides: guides, Client: client, Log: log,
			WebhookURL: func() string {
				if cfg.SimulatorWebhookURL != "" {
					return cfg.SimulatorWebhookURL
				}
				return "http://" + p.listen.Load().(string) + "/api/v1/upstream/events"
			}}
		p.apps.SetUpstream(p.sim)
	}
	p.progress = apps.NewProgress()
	if _, err := p.progress.Follow(ctx, st.events); err != nil {
		return nil, fmt.Errorf("progress streams: %w", err)
	}
	if p.uses, err = guideuse.Open(ctx, guideuse.Options{DB: st.db, Log: log}); err != nil {
		return nil, fmt.Errorf("guide use counts: %w", err)
	}
	p.home, p.events = bff.NewHomeCache(bff.HomeCacheOptions{}), st.events
	if _, err := p.home.Follow(ctx, st.events); err != nil {
		return nil, fmt.Errorf("home cache: %w", err)
	}
	return p, nil
}

// listening records the server's address for the simulator's webhooks: a wildcard host is
// reached on loopback.
func (p *personal) listening(addr net.Addr) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	p.listen.Store(net.JoinHostPort(host, port))
}

// handle registers the feature's queue handlers on w and lets enqueues wake it.
func (p *personal) handle(w *queue.Worker) {
	for kind, h := range p.apps.JobHandlers() {
		w.Handle(kind, h)
	}
	if p.sim != nil {
		for kind, h := range p.sim.JobHandlers() {
			w.Handle(kind, h)
		}
		p.sim.Wake = w.Wake
	}
	p.apps.SetWake(w.Wake)
}

// wire adds the feature to the edge's dependencies.
func (p *personal) wire(d *bff.Deps, cfg config.Config) {
	d.People, d.Applications, d.Progress, d.UpstreamSecret = p.people, p.apps, p.progress, p.secret
	d.Home, d.Events, d.GuideUse = p.home, p.events, p.uses
	d.AllowedOrigins = cfg.AllowedOrigins
	d.MeLimits = bff.MeLimits{
		PerUser: ratelimit.Rate{Burst: 4 * cfg.MeRatePerUser, PerSecond: float64(cfg.MeRatePerUser)},
		PerIP:   ratelimit.Rate{Burst: 4 * cfg.MeRatePerIP, PerSecond: float64(cfg.MeRatePerIP)},
	}
}

// guideNames gives a guide's name and 受理条件 from the published guides.
func guideNames(cs *content.Service) apps.GuideNames {
	return func(code string) (string, []string) {
		g, err := cs.Guide(code)
		if err != nil {
			return "", nil
		}
		return g.Guide.Name, g.Guide.Conditions
	}
}

// citizens makes every person the province's identity service vouches for an app user (role
// user), whatever roles its tokens carry for other applications: that service is how citizens
// sign in. Editorial roles still come only from the token.
type citizens struct{ idp *identity.JWKSVerifier }

// Issuer is the identity service's issuer, for identity.Chain.
func (c citizens) Issuer() string { return c.idp.Issuer() }

// Verify verifies with the identity service and adds RoleUser.
func (c citizens) Verify(ctx context.Context, token string) (identity.Principal, error) {
	p, err := c.idp.Verify(ctx, token)
	if err == nil && !slices.Contains(p.Roles, identity.RoleUser) {
		p.Roles = append(p.Roles, identity.RoleUser)
	}
	return p, err
}

// formProfiles gives the guided forms the person's name, 身份证号 and phone to prefill (the
// value submitted, and its masked display).
type formProfiles struct{ people *person.Store }

// ProfileValues implements formflow.Profiles.
func (f formProfiles) ProfileValues(ctx context.Context, subject string) (map[string]formflow.ProfileValue, error) {
	prof, err := f.people.Profile(ctx, subject, "")
	if err != nil {
		return nil, err
	}
	id, phone, err := f.people.Clear(ctx, subject)
	if err != nil {
		return nil, err
	}
	out := map[string]formflow.ProfileValue{}
	if prof.Name != "" {
		out["name"] = formflow.ProfileValue{Value: prof.Name, Display: prof.Name}
	}
	if id != "" {
		out["id_number"] = formflow.ProfileValue{Value: id, Display: prof.IDNumber}
	}
	if phone != "" {
		out["phone"] = formflow.ProfileValue{Value: phone, Display: prof.Phone}
	}
	return out, nil
}

// formSubmitter turns a confirmed guided form into an application, once per form session.
type formSubmitter struct{ apps *apps.Service }

// Submit implements formflow.Submitter.
func (f formSubmitter) Submit(ctx context.Context, s formflow.Submission) (formflow.Receipt, error) {
	a, err := f.apps.Submit(ctx, s.Subject, apps.Submission{FormCode: s.Form, FormVersion: s.Version, Values: s.Values, Key: s.Session})
	if err != nil {
		return formflow.Receipt{}, err
	}
	next := "已提交，办理进度会在“我的办件”里更新。"
	if a.Delivery == "queued" {
		next = a.Notice
	}
	return formflow.Receipt{ApplicationID: a.ID, NextStep: next}, nil
}
