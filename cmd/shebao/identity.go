package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"shebao/config"
	"shebao/content"
	"shebao/internal/db"
	"shebao/internal/identity"
	"shebao/internal/lease"
)

// verifiers are the token verifier and what stands behind it.
type verifiers struct {
	identity.Verifier
	keys        *identity.Keyring
	revocations *identity.Revocations // nil when opened without a store
}

// openVerifier builds the token verifier: local keys (in PostgreSQL when DATABASE_URL is set, so
// every replica shares them; else in the data dir), plus the province's identity service when an
// issuer is configured, both checked against the revocation list in store d (not checked when d
// is nil).
func openVerifier(ctx context.Context, cfg config.Config, d *db.DB, log *slog.Logger) (verifiers, error) {
	keys, err := openKeyring(ctx, cfg, d, log)
	if err != nil {
		return verifiers{}, err
	}
	out := verifiers{Verifier: keys.Verifier(), keys: keys}
	if cfg.OIDCIssuer != "" {
		idp, err := identity.NewJWKSVerifier(ctx, identity.JWKSConfig{Issuer: cfg.OIDCIssuer, JWKSURL: cfg.OIDCJWKSURL, Audience: cfg.OIDCAudience})
		if err != nil {
			return verifiers{}, fmt.Errorf("identity service %s: %w", cfg.OIDCIssuer, err)
		}
		out.Verifier = identity.Chain(keys.Verifier(), citizens{idp})
	}
	// Each token's signature is checked once, not on every request; revocation (below) is still
	// checked on every request, cached or not.
	out.Verifier = identity.CachedVerifier(out.Verifier, identity.VerifyCacheOptions{})
	if d != nil {
		rev, err := identity.OpenRevocations(ctx, d, identity.RevocationOptions{Refresh: cfg.TokenRevocationRefresh, Log: log})
		if err != nil {
			return verifiers{}, fmt.Errorf("token revocation list at %s: %w", d.Where(), err)
		}
		out.revocations = rev
		out.Verifier = identity.WithRevocations(out.Verifier, rev)
	}
	return out, nil
}

// openKeyring opens the signing keys: the identity_keys table of a PostgreSQL store d, or the
// files in the data dir. The first time a replica that signed with files runs on PostgreSQL, its
// files are imported into the table, so the tokens it issued before stay valid.
func openKeyring(ctx context.Context, cfg config.Config, d *db.DB, log *slog.Logger) (*identity.Keyring, error) {
	o := identity.KeyringOptions{MaxTTL: cfg.TokenMaxTTL}
	dir := filepath.Join(cfg.DataDir, "keys")
	if d != nil && d.Dialect == db.Postgres {
		kids, err := identity.ImportKeyFiles(ctx, d, dir)
		if err != nil {
			return nil, fmt.Errorf("signing keys in %s: %w", d.Where(), err)
		}
		if len(kids) > 0 {
			log.Info("imported the data dir's signing keys into PostgreSQL; the files are no longer read", "dir", dir, "kids", kids)
		}
		keys, err := identity.OpenKeyringDB(ctx, d, o)
		if err != nil {
			return nil, fmt.Errorf("signing keys in %s: %w", d.Where(), err)
		}
		return keys, nil
	}
	keys, err := identity.OpenKeyringWith(dir, o)
	if err != nil {
		return nil, fmt.Errorf("signing keys in %s: %w", dir, err)
	}
	return keys, nil
}

// pruneRevocations drops, once a day cluster-wide, the revocation entries of tokens that have
// expired anyway.
func pruneRevocations(ctx context.Context, log *slog.Logger, leases *lease.Leases, rev *identity.Revocations) {
	onceADay(ctx, log, leases, "prune-revocations", func() {
		if n, err := rev.Prune(ctx); err != nil && ctx.Err() == nil {
			log.Error("prune token revocations", "err", err)
		} else if n > 0 {
			log.Info("pruned token revocations", "count", n)
		}
	})
}

// actorOf turns a verified principal into the content package's actor.
func actorOf(p identity.Principal, ip string) content.Actor {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return content.Actor{ID: p.Subject, Name: p.Name, Roles: roles, IP: ip}
}

// cliActor is who runs a data command: the holder of --token, or for draft imports without a
// token, the local operator.
func cliActor(ctx context.Context, cfg config.Config, token string, needAdmin bool) (content.Actor, error) {
	if token == "" {
		if needAdmin {
			return content.Actor{}, usageError{"--publish needs --token with the admin role (mint one with: shebao token --subject NAME --role admin)"}
		}
		return content.Actor{ID: "cli", Name: "命令行", Roles: []string{"editor"}, IP: "local"}, nil
	}
	d, err := openDB(ctx, cfg)
	if err != nil {
		return content.Actor{}, err
	}
	defer d.Close()
	v, err := openVerifier(ctx, cfg, d, slog.New(slog.DiscardHandler))
	if err != nil {
		return content.Actor{}, err
	}
	p, err := v.Verify(ctx, token)
	if err != nil {
		return content.Actor{}, errors.New("--token is not valid: " + err.Error())
	}
	if needAdmin && !p.Has(identity.RoleAdmin) {
		return content.Actor{}, errors.New("--publish needs a token with the admin role")
	}
	return actorOf(p, "local"), nil
}

func runToken(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "token", "token --subject ID --role ROLE[,ROLE] [--name NAME] [--ttl 12h] [--rotate]\n"+
		"       shebao token --revoke TOKEN|JTI [--reason TEXT]\n"+
		"       shebao token --revoke-subject ID [--before 2026-01-02T15:04:05+08:00] [--reason TEXT]")
	cfgPath := configFlag(fs)
	subject := fs.String("subject", "", "account id the token is for (required)")
	roleList := fs.String("role", "", "comma-separated roles: user, editor, reviewer, publisher, admin (required)")
	name := fs.String("name", "", "display name")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid (at most token_max_ttl, 720h by default)")
	rotate := fs.Bool("rotate", false, "make a new signing key current before minting (old tokens stay valid)")
	revoke := fs.String("revoke", "", "refuse one token from now on: the token itself or its id (jti)")
	revokeSubject := fs.String("revoke-subject", "", "refuse every token of this account issued up to --before")
	before := fs.String("before", "", "with --revoke-subject: RFC 3339 time (default now); tokens issued later stay valid")
	reason := fs.String("reason", "", "why, kept with the revocation")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *revoke != "" || *revokeSubject != "" {
		return runRevoke(ctx, env, *cfgPath, *revoke, *revokeSubject, *before, *reason)
	}
	if *subject == "" || *roleList == "" {
		return usageError{"--subject and --role are required"}
	}
	var roles []identity.Role
	for _, r := range strings.Split(*roleList, ",") {
		role, err := identity.ParseRole(r)
		if err != nil {
			return usageError{fmt.Sprintf("unknown role %q (use user, editor, reviewer, publisher or admin)", strings.TrimSpace(r))}
		}
		roles = append(roles, role)
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	if *ttl <= 0 || *ttl > cfg.TokenMaxTTL {
		return usageError{fmt.Sprintf("--ttl must be between 1s and %s (token_max_ttl)", cfg.TokenMaxTTL)}
	}
	// With PostgreSQL the keys live there (shared by every replica), so the token is minted there.
	var d *db.DB
	if cfg.DatabaseURL != "" {
		if d, err = openDB(ctx, cfg); err != nil {
			return err
		}
		defer d.Close()
	}
	v, err := openVerifier(ctx, cfg, d, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if *rotate {
		if _, err := v.keys.Rotate(); err != nil {
			return err
		}
	}
	tok, err := v.keys.Mint(*subject, *name, roles, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, tok)
	return nil
}

// runRevoke adds a token or an account to the revocation list in the store; running servers
// refuse it within token_revocation_refresh.
func runRevoke(ctx context.Context, env *environment, cfgPath, token, subject, beforeText, reason string) error {
	if token != "" && subject != "" {
		return usageError{"use --revoke or --revoke-subject, not both"}
	}
	at := time.Now()
	if beforeText != "" {
		if subject == "" {
			return usageError{"--before goes with --revoke-subject"}
		}
		t, err := time.Parse(time.RFC3339, beforeText)
		if err != nil {
			return usageError{"--before must be an RFC 3339 time, e.g. 2026-01-02T15:04:05+08:00"}
		}
		at = t
	}
	cfg, err := loadConfig(env, cfgPath)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	v, err := openVerifier(ctx, cfg, d, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	const by = "cli"
	if subject != "" {
		if err := v.revocations.RevokeSubject(ctx, subject, at, by, reason); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "revoked every token of %s issued up to %s\n", subject, at.Format(time.RFC3339))
		return nil
	}
	jti, exp := token, time.Time{}
	if strings.Count(token, ".") == 2 {
		c, err := identity.PeekClaims(token)
		if err != nil {
			return usageError{err.Error()}
		}
		if c.ID == "" {
			return errors.New("the token has no id (jti); revoke its subject with --revoke-subject " + c.Subject)
		}
		jti, exp = c.ID, c.ExpiresAt
	}
	if err := v.revocations.RevokeToken(ctx, jti, exp, by, reason); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "revoked token %s\n", jti)
	return nil
}
