// Package config is shebao's one typed options struct: defaults that run with no file, an
// optional YAML file, and SHEBAO_* environment variables that override the file. Validation names
// the bad setting and why, in one line.
package config

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config holds every option. Each field's `env` tag names its environment variable and `doc`
// documents it once; Options() turns the tags into the table the README and sample config show.
type Config struct {
	Addr            string        `yaml:"addr" env:"SHEBAO_ADDR" doc:"HTTP listen address"`
	DataDir         string        `yaml:"data_dir" env:"SHEBAO_DATA_DIR" doc:"where the SQLite file, the search index and signing keys live"`
	DatabaseURL     string        `yaml:"database_url" env:"DATABASE_URL" doc:"PostgreSQL URL; empty = embedded SQLite file in the data dir"`
	RedisURL        string        `yaml:"redis_url" env:"REDIS_URL" doc:"Redis URL (redis://host:6379/0) shared by the replicas: wakes them on new events and keeps the rate limits; empty = none"`
	EventsSignal    string        `yaml:"events_signal" env:"SHEBAO_EVENTS_SIGNAL" doc:"how replicas wake each other on new events: auto (Redis if set, else PostgreSQL LISTEN/NOTIFY, else polling only), redis, postgres or none"`
	EventsPoll      time.Duration `yaml:"events_poll" env:"SHEBAO_EVENTS_POLL" doc:"how often each replica reads the event log for events from other processes; the fallback when the wake-up signal is down"`
	QueueLease      time.Duration `yaml:"queue_lease" env:"SHEBAO_QUEUE_LEASE" doc:"how long a replica's claim on a queue job lasts without renewal (a running worker renews it every third of it): a killed replica's jobs go to another after this"`
	LogLevel        string        `yaml:"log_level" env:"SHEBAO_LOG_LEVEL" doc:"debug, info, warn or error"`
	LogFormat       string        `yaml:"log_format" env:"SHEBAO_LOG_FORMAT" doc:"json or text"`
	Seed            bool          `yaml:"seed" env:"SHEBAO_SEED" doc:"load and publish the built-in Shaanxi guides when the store has none"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" env:"SHEBAO_SHUTDOWN_TIMEOUT" doc:"how long to drain in-flight requests on SIGINT/SIGTERM"`
	DrainDelay      time.Duration `yaml:"drain_delay" env:"SHEBAO_DRAIN_DELAY" doc:"on SIGTERM, how long /readyz answers 503 while requests are still served, before the listeners close (set it to the balancer's health-check interval)"`
	DebugAddr       string        `yaml:"debug_addr" env:"SHEBAO_DEBUG_ADDR" doc:"listen address for Go's pprof profiler (keep it on loopback); empty = off"`
	TrustProxy      bool          `yaml:"trust_proxy" env:"SHEBAO_TRUST_PROXY" doc:"take the client IP from X-Forwarded-For (only behind a trusted load balancer)"`
	AllowedOrigins  []string      `yaml:"allowed_origins" env:"SHEBAO_ALLOWED_ORIGINS" doc:"comma-separated origins allowed to open the chat WebSocket; empty = same host only"`
	SQLiteMaxConns  int           `yaml:"sqlite_max_conns" env:"SHEBAO_SQLITE_MAX_CONNS" doc:"most open connections to the SQLite file (SQLite writes one at a time; each connection holds file handles and a page cache)"`

	ChatMaxConnsPerIP   int `yaml:"chat_max_conns_per_ip" env:"SHEBAO_CHAT_MAX_CONNS_PER_IP" doc:"open chat WebSockets per client address (one NAT may hold a household or an office); more answer 429 too_many_connections"`
	ChatMaxConnsPerUser int `yaml:"chat_max_conns_per_user" env:"SHEBAO_CHAT_MAX_CONNS_PER_USER" doc:"open chat WebSockets per signed-in person; more are closed with 4005 too_many_connections"`

	TokenMaxTTL            time.Duration `yaml:"token_max_ttl" env:"SHEBAO_TOKEN_MAX_TTL" doc:"longest lifetime of a locally signed token: longer ones are neither minted nor accepted"`
	TokenRevocationRefresh time.Duration `yaml:"token_revocation_refresh" env:"SHEBAO_TOKEN_REVOCATION_REFRESH" doc:"how often each server re-reads the token revocation list (shebao token --revoke); a revocation made elsewhere takes effect within it"`

	OIDCIssuer   string `yaml:"oidc_issuer" env:"SHEBAO_OIDC_ISSUER" doc:"issuer of the province's identity service; empty = local tokens only"`
	OIDCJWKSURL  string `yaml:"oidc_jwks_url" env:"SHEBAO_OIDC_JWKS_URL" doc:"JWKS URL of the identity service; empty = discovered from the issuer"`
	OIDCAudience string `yaml:"oidc_audience" env:"SHEBAO_OIDC_AUDIENCE" doc:"audience tokens from the identity service must carry"`
	OIDCClientID string `yaml:"oidc_client_id" env:"SHEBAO_OIDC_CLIENT_ID" doc:"client id of the /app web client at the identity service (authorization code + PKCE, redirect to <origin>/app/); empty = no identity-service sign-in on /app"`

	Dev bool `yaml:"dev" env:"SHEBAO_DEV" doc:"development mode: a demo person and a demo editor with one-tap sign-in on /app (short-lived local tokens); never turn on in production"`

	PersonKey           string        `yaml:"person_key" env:"SHEBAO_PERSON_KEY" doc:"base64 of 32 bytes: the AES-256-GCM key that encrypts 身份证号, phone and form values at rest; empty = one generated into the store at first start (development only)"`
	Upstream            string        `yaml:"upstream" env:"SHEBAO_UPSTREAM" doc:"the 经办 system: simulator (built in, the embedded default) or http"`
	UpstreamURL         string        `yaml:"upstream_url" env:"SHEBAO_UPSTREAM_URL" doc:"base URL of the 经办 system's API when upstream is http"`
	UpstreamSecret      string        `yaml:"upstream_secret" env:"SHEBAO_UPSTREAM_SECRET" doc:"shared HMAC-SHA256 secret for requests to and webhooks from the 经办 system; empty = one generated into the store (simulator only)"`
	UpstreamTimeout     time.Duration `yaml:"upstream_timeout" env:"SHEBAO_UPSTREAM_TIMEOUT" doc:"timeout of one request to the 经办 system"`
	SimulatorStep       time.Duration `yaml:"simulator_step" env:"SHEBAO_SIMULATOR_STEP" doc:"time between two steps of a simulated application (seconds in a demo, hours to look real)"`
	SimulatorWebhookURL string        `yaml:"simulator_webhook_url" env:"SHEBAO_SIMULATOR_WEBHOOK_URL" doc:"where the simulator posts its signed status webhooks; empty = this server's own address"`
	MeRatePerUser       int           `yaml:"me_rate_per_user" env:"SHEBAO_ME_RATE_PER_USER" doc:"requests per second one person may make to /api/v1/me routes (burst 4x); more answer 429"`
	MeRatePerIP         int           `yaml:"me_rate_per_ip" env:"SHEBAO_ME_RATE_PER_IP" doc:"requests per second one client address may make to /api/v1/me routes (burst 4x); more answer 429"`

	ModelBaseURL   string        `yaml:"model_base_url" env:"SHEBAO_MODEL_BASE_URL" doc:"OpenAI-compatible model server, e.g. http://127.0.0.1:8000/v1; empty = no-model mode"`
	ModelAPIKey    string        `yaml:"model_api_key" env:"SHEBAO_MODEL_API_KEY" doc:"API key for the model server"`
	ModelName      string        `yaml:"model_name" env:"SHEBAO_MODEL_NAME" doc:"model name sent to the model server"`
	ModelTimeout   time.Duration `yaml:"model_timeout" env:"SHEBAO_MODEL_TIMEOUT" doc:"timeout for one model call"`
	ModelMaxTokens int           `yaml:"model_max_tokens" env:"SHEBAO_MODEL_MAX_TOKENS" doc:"max tokens in one model answer"`
	ModelNoThink   bool          `yaml:"model_no_think" env:"SHEBAO_MODEL_NO_THINK" doc:"send chat_template_kwargs enable_thinking=false (reasoning models on vLLM/SGLang)"`

	AppBaseURL               string        `yaml:"app_base_url" env:"SHEBAO_APP_BASE_URL" doc:"origin of the app, prefixed to the deep links and unsubscribe links in notifications, e.g. https://app.example.cn"`
	PushVAPIDSubject         string        `yaml:"push_vapid_subject" env:"SHEBAO_PUSH_VAPID_SUBJECT" doc:"contact in every VAPID signature: https: URL or mailto: at a real domain (Apple refuses others); empty = Web Push off, notices reach the inbox only"`
	PushVAPIDPublicKey       string        `yaml:"push_vapid_public_key" env:"SHEBAO_PUSH_VAPID_PUBLIC_KEY" doc:"VAPID key pair (base64url); empty = generated at first start and kept in the store. Old keys stay in use for the subscriptions made with them"`
	PushVAPIDPrivateKey      string        `yaml:"push_vapid_private_key" env:"SHEBAO_PUSH_VAPID_PRIVATE_KEY" doc:"private half of the VAPID key pair"`
	PushHosts                []string      `yaml:"push_hosts" env:"SHEBAO_PUSH_HOSTS" doc:"comma-separated push-service hosts subscriptions may point at (*.x matches subdomains); empty = the major browsers' services (FCM, Mozilla, Windows, Apple)"`
	PushInsecureTestHosts    []string      `yaml:"push_insecure_test_hosts" env:"SHEBAO_PUSH_INSECURE_TEST_HOSTS" doc:"INSECURE, tests only: host:port pairs allowed as push endpoints over plain http at any address (a local fake push service); logged at start when set"`
	PushWorkers              int           `yaml:"push_workers" env:"SHEBAO_PUSH_WORKERS" doc:"notification deliveries sent at once"`
	PushFail4xxLimit         int           `yaml:"push_fail_4xx_limit" env:"SHEBAO_PUSH_FAIL_4XX_LIMIT" doc:"a subscription answered only 4xx this many times in a row, never delivered, is dropped"`
	PushSubscriptionMaxIdle  time.Duration `yaml:"push_subscription_max_idle" env:"SHEBAO_PUSH_SUBSCRIPTION_MAX_IDLE" doc:"a subscription the app has not re-posted for this long expires"`
	NotifyCampaignRatePeriod time.Duration `yaml:"notify_campaign_rate_period" env:"SHEBAO_NOTIFY_CAMPAIGN_RATE_PERIOD" doc:"the period a campaign's rate_per_minute counts over (a minute; tests shorten it)"`
	SMSGatewayURL            string        `yaml:"sms_gateway_url" env:"SHEBAO_SMS_GATEWAY_URL" doc:"generic HTTP SMS gateway for critical reminders to people without push; empty = no SMS"`
	SMSTemplateID            string        `yaml:"sms_template_id" env:"SHEBAO_SMS_TEMPLATE_ID" doc:"template id registered with the SMS vendor"`
	SMSKey                   string        `yaml:"sms_key" env:"SHEBAO_SMS_KEY" doc:"HMAC-SHA256 key signing each SMS gateway request (X-Signature)"`
	VoiceTranscribeBaseURL   string        `yaml:"voice_transcribe_base_url" env:"SHEBAO_VOICE_TRANSCRIBE_BASE_URL" doc:"OpenAI-compatible transcription server (POST …/audio/transcriptions), e.g. http://127.0.0.1:8001/v1; empty = voice input off (voice_unavailable)"`
	VoiceTranscribeAPIKey    string        `yaml:"voice_transcribe_api_key" env:"SHEBAO_VOICE_TRANSCRIBE_API_KEY" doc:"API key for the transcription server"`
	VoiceTranscribeModel     string        `yaml:"voice_transcribe_model" env:"SHEBAO_VOICE_TRANSCRIBE_MODEL" doc:"transcription model name"`
	VoiceSpeechBaseURL       string        `yaml:"voice_speech_base_url" env:"SHEBAO_VOICE_SPEECH_BASE_URL" doc:"OpenAI-compatible speech server (POST …/audio/speech); empty = espeak-ng's Mandarin voice when installed"`
	VoiceSpeechAPIKey        string        `yaml:"voice_speech_api_key" env:"SHEBAO_VOICE_SPEECH_API_KEY" doc:"API key for the speech server"`
	VoiceSpeechModel         string        `yaml:"voice_speech_model" env:"SHEBAO_VOICE_SPEECH_MODEL" doc:"speech model name"`
	VoiceSpeechFormat        string        `yaml:"voice_speech_format" env:"SHEBAO_VOICE_SPEECH_FORMAT" doc:"audio format asked of the speech server: mp3, wav, opus or aac"`
	VoiceSpeechFemale        string        `yaml:"voice_speech_female" env:"SHEBAO_VOICE_SPEECH_FEMALE" doc:"the speech server's voice for the app's female voice"`
	VoiceSpeechMale          string        `yaml:"voice_speech_male" env:"SHEBAO_VOICE_SPEECH_MALE" doc:"the speech server's voice for the app's male voice"`
	VoiceEspeak              string        `yaml:"voice_espeak" env:"SHEBAO_VOICE_ESPEAK" doc:"espeak-ng command, used when no speech server is set or it fails; empty = never"`
	VoiceTimeout             time.Duration `yaml:"voice_timeout" env:"SHEBAO_VOICE_TIMEOUT" doc:"timeout of one call to a transcription or speech server (a local espeak-ng run has 5s)"`
	VoiceMaxAudioBytes       int           `yaml:"voice_max_audio_bytes" env:"SHEBAO_VOICE_MAX_AUDIO_BYTES" doc:"largest recording accepted for transcription (audio_too_large, 413)"`
	VoiceMaxAudioLength      time.Duration `yaml:"voice_max_audio_length" env:"SHEBAO_VOICE_MAX_AUDIO_LENGTH" doc:"longest recording accepted for transcription (audio_too_long)"`
	VoiceCacheBytes          int           `yaml:"voice_cache_bytes" env:"SHEBAO_VOICE_CACHE_BYTES" doc:"memory for synthesised sentences kept for reuse (greetings, fixed replies); 0 = no cache"`
}

// ModelExtraBody is what is merged into every model request body for the configured server.
func (c Config) ModelExtraBody() map[string]any {
	if !c.ModelNoThink {
		return nil
	}
	return map[string]any{"chat_template_kwargs": map[string]any{"enable_thinking": false}}
}

// Default returns the configuration that runs on a laptop with no file and no services.
func Default() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		EventsSignal:    "auto",
		EventsPoll:      500 * time.Millisecond,
		QueueLease:      30 * time.Second,
		LogLevel:        "info",
		LogFormat:       "json",
		Seed:            true,
		ShutdownTimeout: 15 * time.Second,
		// internal/db.DefaultSQLiteMaxConns, assistant.DefaultLimits, identity.DefaultMaxTokenTTL
		// and identity.DefaultRevocationRefresh say why these values.
		SQLiteMaxConns:         16,
		ChatMaxConnsPerIP:      64,
		ChatMaxConnsPerUser:    8,
		TokenMaxTTL:            30 * 24 * time.Hour,
		TokenRevocationRefresh: 5 * time.Second,
		ModelTimeout:           20 * time.Second,
		Upstream:               "simulator",
		UpstreamTimeout:        5 * time.Second,
		SimulatorStep:          20 * time.Second,
		MeRatePerUser:          10,
		MeRatePerIP:            100,
		ModelMaxTokens:         800,
		// notify.Options says why these values.
		PushWorkers:              16,
		PushFail4xxLimit:         5,
		PushSubscriptionMaxIdle:  60 * 24 * time.Hour,
		NotifyCampaignRatePeriod: time.Minute,
		VoiceTranscribeModel:     "whisper-1",
		VoiceSpeechModel:         "tts-1",
		VoiceSpeechFormat:        "mp3",
		VoiceSpeechFemale:        "nova",
		VoiceSpeechMale:          "onyx",
		VoiceEspeak:              "espeak-ng",
		VoiceTimeout:             10 * time.Second,
		VoiceMaxAudioBytes:       2 << 20,
		VoiceMaxAudioLength:      60 * time.Second,
		VoiceCacheBytes:          64 << 20,
	}
}

// Load builds the configuration: defaults, then the YAML file at path (if path is not empty),
// then environment variables from getenv. It validates the result.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config file %s: %w", path, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && err.Error() != "EOF" {
			return c, fmt.Errorf("config file %s: %s", path, oneLine(err.Error()))
		}
	}
	if err := applyEnv(&c, getenv); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func applyEnv(c *Config, getenv func(string) string) error {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("env")
		raw := getenv(name)
		if name == "" || raw == "" {
			continue
		}
		f := v.Field(i)
		switch f.Interface().(type) {
		case string:
			f.SetString(raw)
		case bool:
			b, err := strconv.ParseBool(raw)
			if err != nil {
				return fmt.Errorf("%s=%q: not a boolean (use true or false)", name, raw)
			}
			f.SetBool(b)
		case int:
			n, err := strconv.Atoi(raw)
			if err != nil {
				return fmt.Errorf("%s=%q: not a whole number", name, raw)
			}
			f.SetInt(int64(n))
		case time.Duration:
			d, err := time.ParseDuration(raw)
			if err != nil {
				return fmt.Errorf("%s=%q: not a duration (e.g. 15s, 2m)", name, raw)
			}
			f.SetInt(int64(d))
		case []string:
			var parts []string
			for _, p := range strings.Split(raw, ",") {
				if p = strings.TrimSpace(p); p != "" {
					parts = append(parts, p)
				}
			}
			f.Set(reflect.ValueOf(parts))
		}
	}
	return nil
}

// Validate checks every option and returns a one-line error naming the first bad setting.
func (c Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("SHEBAO_ADDR=%q: not a host:port listen address", c.Addr)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return fmt.Errorf("SHEBAO_DATA_DIR: must not be empty")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("DATABASE_URL: must be a postgres:// URL")
		}
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return fmt.Errorf("REDIS_URL: must be a redis:// or rediss:// URL")
		}
	}
	switch c.EventsSignal {
	case "auto", "none":
	case "redis":
		if c.RedisURL == "" {
			return fmt.Errorf("SHEBAO_EVENTS_SIGNAL=redis: needs REDIS_URL")
		}
	case "postgres":
		if c.DatabaseURL == "" {
			return fmt.Errorf("SHEBAO_EVENTS_SIGNAL=postgres: needs DATABASE_URL")
		}
	default:
		return fmt.Errorf("SHEBAO_EVENTS_SIGNAL=%q: must be auto, redis, postgres or none", c.EventsSignal)
	}
	if c.EventsPoll < 10*time.Millisecond || c.EventsPoll > time.Minute {
		return fmt.Errorf("SHEBAO_EVENTS_POLL=%s: must be between 10ms and 1m", c.EventsPoll)
	}
	if c.QueueLease < time.Second || c.QueueLease > 10*time.Minute {
		return fmt.Errorf("SHEBAO_QUEUE_LEASE=%s: must be between 1s and 10m", c.QueueLease)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("SHEBAO_LOG_LEVEL=%q: must be debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("SHEBAO_LOG_FORMAT=%q: must be json or text", c.LogFormat)
	}
	if c.DrainDelay < 0 || c.DrainDelay > 5*time.Minute {
		return fmt.Errorf("SHEBAO_DRAIN_DELAY=%s: must be between 0s and 5m", c.DrainDelay)
	}
	if c.ShutdownTimeout <= 0 || c.ShutdownTimeout > 10*time.Minute {
		return fmt.Errorf("SHEBAO_SHUTDOWN_TIMEOUT=%s: must be between 0s and 10m", c.ShutdownTimeout)
	}
	if c.SQLiteMaxConns < 1 || c.SQLiteMaxConns > 256 {
		return fmt.Errorf("SHEBAO_SQLITE_MAX_CONNS=%d: must be between 1 and 256", c.SQLiteMaxConns)
	}
	if c.ChatMaxConnsPerIP < 1 || c.ChatMaxConnsPerIP > 1_000_000 {
		return fmt.Errorf("SHEBAO_CHAT_MAX_CONNS_PER_IP=%d: must be between 1 and 1000000", c.ChatMaxConnsPerIP)
	}
	if c.ChatMaxConnsPerUser < 1 || c.ChatMaxConnsPerUser > 1000 {
		return fmt.Errorf("SHEBAO_CHAT_MAX_CONNS_PER_USER=%d: must be between 1 and 1000", c.ChatMaxConnsPerUser)
	}
	if c.TokenMaxTTL < time.Minute || c.TokenMaxTTL > 365*24*time.Hour {
		return fmt.Errorf("SHEBAO_TOKEN_MAX_TTL=%s: must be between 1m and 8760h (a year)", c.TokenMaxTTL)
	}
	if c.TokenRevocationRefresh < 100*time.Millisecond || c.TokenRevocationRefresh > 10*time.Minute {
		return fmt.Errorf("SHEBAO_TOKEN_REVOCATION_REFRESH=%s: must be between 100ms and 10m", c.TokenRevocationRefresh)
	}
	if c.ModelBaseURL != "" {
		u, err := url.Parse(c.ModelBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("SHEBAO_MODEL_BASE_URL=%q: must be an http(s) URL", c.ModelBaseURL)
		}
		if c.ModelName == "" {
			return fmt.Errorf("SHEBAO_MODEL_NAME: required when SHEBAO_MODEL_BASE_URL is set")
		}
	}
	if c.ModelTimeout <= 0 {
		return fmt.Errorf("SHEBAO_MODEL_TIMEOUT=%s: must be positive", c.ModelTimeout)
	}
	if c.ModelMaxTokens <= 0 || c.ModelMaxTokens > 32000 {
		return fmt.Errorf("SHEBAO_MODEL_MAX_TOKENS=%d: must be between 1 and 32000", c.ModelMaxTokens)
	}
	if c.PushWorkers < 1 || c.PushWorkers > 1024 {
		return fmt.Errorf("SHEBAO_PUSH_WORKERS=%d: must be between 1 and 1024", c.PushWorkers)
	}
	if c.PushFail4xxLimit < 1 || c.PushFail4xxLimit > 1000 {
		return fmt.Errorf("SHEBAO_PUSH_FAIL_4XX_LIMIT=%d: must be between 1 and 1000", c.PushFail4xxLimit)
	}
	if c.PushSubscriptionMaxIdle < time.Hour {
		return fmt.Errorf("SHEBAO_PUSH_SUBSCRIPTION_MAX_IDLE=%s: must be at least 1h", c.PushSubscriptionMaxIdle)
	}
	if c.NotifyCampaignRatePeriod < time.Millisecond || c.NotifyCampaignRatePeriod > time.Hour {
		return fmt.Errorf("SHEBAO_NOTIFY_CAMPAIGN_RATE_PERIOD=%s: must be between 1ms and 1h", c.NotifyCampaignRatePeriod)
	}
	if c.PushVAPIDSubject != "" {
		if err := notifySubject(c.PushVAPIDSubject); err != nil {
			return fmt.Errorf("SHEBAO_PUSH_VAPID_SUBJECT: %w", err)
		}
	}
	if (c.PushVAPIDPublicKey == "") != (c.PushVAPIDPrivateKey == "") {
		return fmt.Errorf("SHEBAO_PUSH_VAPID_PUBLIC_KEY and SHEBAO_PUSH_VAPID_PRIVATE_KEY: give both or neither")
	}
	if c.SMSGatewayURL != "" {
		u, err := url.Parse(c.SMSGatewayURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("SHEBAO_SMS_GATEWAY_URL=%q: must be an http(s) URL", c.SMSGatewayURL)
		}
		if c.SMSKey == "" || c.SMSTemplateID == "" {
			return fmt.Errorf("SHEBAO_SMS_KEY and SHEBAO_SMS_TEMPLATE_ID: required when SHEBAO_SMS_GATEWAY_URL is set")
		}
	}
	switch c.Upstream {
	case "simulator":
	case "http":
		u, err := url.Parse(c.UpstreamURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("SHEBAO_UPSTREAM_URL=%q: must be an http(s) URL when SHEBAO_UPSTREAM=http", c.UpstreamURL)
		}
		if len(c.UpstreamSecret) < 16 {
			return fmt.Errorf("SHEBAO_UPSTREAM_SECRET: at least 16 characters required when SHEBAO_UPSTREAM=http")
		}
	default:
		return fmt.Errorf("SHEBAO_UPSTREAM=%q: must be simulator or http", c.Upstream)
	}
	if c.UpstreamTimeout <= 0 || c.UpstreamTimeout > 2*time.Minute {
		return fmt.Errorf("SHEBAO_UPSTREAM_TIMEOUT=%s: must be between 0s and 2m", c.UpstreamTimeout)
	}
	if c.SimulatorStep < 10*time.Millisecond {
		return fmt.Errorf("SHEBAO_SIMULATOR_STEP=%s: must be at least 10ms", c.SimulatorStep)
	}
	if c.MeRatePerUser < 1 || c.MeRatePerIP < 1 {
		return fmt.Errorf("SHEBAO_ME_RATE_PER_USER and SHEBAO_ME_RATE_PER_IP: must be at least 1")
	}
	for _, u := range []struct{ env, v string }{{"SHEBAO_VOICE_TRANSCRIBE_BASE_URL", c.VoiceTranscribeBaseURL}, {"SHEBAO_VOICE_SPEECH_BASE_URL", c.VoiceSpeechBaseURL}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%s=%q: must be an http(s) URL", u.env, u.v)
		}
	}
	switch c.VoiceSpeechFormat {
	case "mp3", "wav", "opus", "aac":
	default:
		return fmt.Errorf("SHEBAO_VOICE_SPEECH_FORMAT=%q: must be mp3, wav, opus or aac", c.VoiceSpeechFormat)
	}
	if c.VoiceTimeout <= 0 || c.VoiceTimeout > 5*time.Minute {
		return fmt.Errorf("SHEBAO_VOICE_TIMEOUT=%s: must be between 0s and 5m", c.VoiceTimeout)
	}
	if c.VoiceMaxAudioBytes < 1024 || c.VoiceMaxAudioBytes > 4<<20 {
		// 4 MiB is the edge's body limit.
		return fmt.Errorf("SHEBAO_VOICE_MAX_AUDIO_BYTES=%d: must be between 1024 and 4194304", c.VoiceMaxAudioBytes)
	}
	if c.VoiceMaxAudioLength < time.Second || c.VoiceMaxAudioLength > 10*time.Minute {
		return fmt.Errorf("SHEBAO_VOICE_MAX_AUDIO_LENGTH=%s: must be between 1s and 10m", c.VoiceMaxAudioLength)
	}
	if c.VoiceCacheBytes < 0 || c.VoiceCacheBytes > 1<<30 {
		return fmt.Errorf("SHEBAO_VOICE_CACHE_BYTES=%d: must be between 0 and 1073741824", c.VoiceCacheBytes)
	}
	if c.OIDCJWKSURL != "" && c.OIDCIssuer == "" {
		return fmt.Errorf("SHEBAO_OIDC_ISSUER: required when SHEBAO_OIDC_JWKS_URL is set")
	}
	if c.OIDCClientID != "" && c.OIDCIssuer == "" {
		return fmt.Errorf("SHEBAO_OIDC_ISSUER: required when SHEBAO_OIDC_CLIENT_ID is set")
	}
	return nil
}

// Option describes one setting for documentation.
type Option struct {
	YAML, Env, Default, Doc string
	sample                  string // the default as a YAML value
}

// Options lists every setting with its default, for the README table and the sample config.
func Options() []Option {
	d := reflect.ValueOf(Default())
	t := d.Type()
	out := make([]Option, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		def := fmt.Sprint(d.Field(i).Interface())
		sample := def
		if s, ok := d.Field(i).Interface().([]string); ok {
			def = strings.Join(s, ",")
			sample = "[" + def + "]"
		} else if def == "" {
			sample = `""`
		}
		out = append(out, Option{YAML: f.Tag.Get("yaml"), Env: f.Tag.Get("env"), Default: def, Doc: f.Tag.Get("doc"), sample: sample})
	}
	return out
}

// SampleYAML renders a commented sample configuration listing every option with its default.
func SampleYAML() string {
	var b strings.Builder
	b.WriteString("# shebao configuration. Every option is shown with its default, commented out.\n")
	b.WriteString("# Environment variables (named after each option) override this file.\n\n")
	for _, o := range Options() {
		fmt.Fprintf(&b, "# %s (env %s)\n# %s: %s\n\n", o.Doc, o.Env, o.YAML, o.sample)
	}
	return b.String()
}

// MarkdownTable renders the options as the README's config table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| env | yaml | default | meaning |\n|---|---|---|---|\n")
	for _, o := range Options() {
		def := o.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", o.Env, o.YAML, def, o.Doc)
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// notifySubject is the quick check of the VAPID subject's form; notify.CheckSubject checks the
// domain when the server starts.
func notifySubject(s string) error {
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "mailto:") {
		return fmt.Errorf("%q must be an https: URL or a mailto: address", s)
	}
	return nil
}
