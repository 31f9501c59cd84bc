package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"shebao/config"
	"shebao/content"
	"shebao/internal/identity"
)

// openVerifier builds the token verifier: local keys in the data dir, plus the province's
// identity service when an issuer is configured.
func openVerifier(ctx context.Context, cfg config.Config) (identity.Verifier, *identity.Keyring, error) {
	keys, err := identity.OpenKeyring(filepath.Join(cfg.DataDir, "keys"))
	if err != nil {
		return nil, nil, fmt.Errorf("signing keys in %s: %w", filepath.Join(cfg.DataDir, "keys"), err)
	}
	if cfg.OIDCIssuer == "" {
		return keys.Verifier(), keys, nil
	}
	idp, err := identity.NewJWKSVerifier(ctx, identity.JWKSConfig{Issuer: cfg.OIDCIssuer, JWKSURL: cfg.OIDCJWKSURL, Audience: cfg.OIDCAudience})
	if err != nil {
		return nil, nil, fmt.Errorf("identity service %s: %w", cfg.OIDCIssuer, err)
	}
	return identity.Chain(keys.Verifier(), idp), keys, nil
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
	v, _, err := openVerifier(ctx, cfg)
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
	fs := newFlags(env, "token", "token --subject ID --role ROLE[,ROLE] [--name NAME] [--ttl 12h] [--rotate]")
	cfgPath := configFlag(fs)
	subject := fs.String("subject", "", "account id the token is for (required)")
	roleList := fs.String("role", "", "comma-separated roles: user, editor, reviewer, publisher, admin (required)")
	name := fs.String("name", "", "display name")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	rotate := fs.Bool("rotate", false, "make a new signing key current before minting (old tokens stay valid)")
	if err := fs.parse(args); err != nil {
		return err
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
	if *ttl <= 0 || *ttl > 90*24*time.Hour {
		return usageError{"--ttl must be between 1s and 2160h"}
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	_, keys, err := openVerifier(ctx, cfg)
	if err != nil {
		return err
	}
	if *rotate {
		if _, err := keys.Rotate(); err != nil {
			return err
		}
	}
	tok, err := keys.Mint(*subject, *name, roles, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, tok)
	return nil
}
