// Package voice is how the app listens and speaks: audio in (format sniffed from the bytes,
// length read from the container, limits) to text through an OpenAI-compatible transcription
// server; text to audio through an OpenAI-compatible speech server or, with no server, the
// espeak-ng Mandarin voice on the machine; a bounded cache of synthesised sentences; and each
// person's voice settings (speech rate, voice, text size). It knows no conversation: the
// assistant and the HTTP edge build on it.
package voice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"shebao/internal/apperr"
	"shebao/internal/modelclient"
)

// Config configures the voice service. Zero values take the defaults in brackets.
type Config struct {
	// TranscribeBaseURL is the OpenAI-compatible server for transcription (the part before
	// /audio/transcriptions); empty = no transcription (voice_unavailable).
	TranscribeBaseURL string
	TranscribeAPIKey  string
	TranscribeModel   string // [whisper-1]
	// SpeechBaseURL is the OpenAI-compatible server for speech (the part before /audio/speech);
	// empty = espeak-ng when installed.
	SpeechBaseURL string
	SpeechAPIKey  string
	SpeechModel   string // [tts-1]
	SpeechFormat  string // response_format asked of the speech server: mp3, wav, opus, aac [mp3]
	// SpeechVoices maps the app's voices (female, male) to the speech server's voice names
	// [female: nova, male: onyx].
	SpeechVoices map[string]string
	// Espeak is the espeak-ng command; empty = not used. Used when no speech server is
	// configured, or when it fails.
	Espeak string
	// Timeout bounds every call to a server [10s]; EspeakTimeout bounds one espeak-ng run, which
	// is local and needs no more than a busy machine's scheduling delays [5s].
	Timeout       time.Duration
	EspeakTimeout time.Duration
	// MaxAudioBytes and MaxAudioLength bound what may be transcribed [2 MiB, 60s].
	MaxAudioBytes  int
	MaxAudioLength time.Duration
	// MaxSpeakRunes bounds the text of one synthesis [500].
	MaxSpeakRunes int
	// CacheBytes bounds the cache of synthesised audio [64 MiB]; negative = no cache. espeak-ng's
	// WAV is about 44 KB a second: a typical reply is 0.5–1.5 MB.
	CacheBytes int
	// Normalize, when set, rewrites the text before synthesis (the assistant's Speakable, so that
	// numbers and symbols are read right whatever the client sends).
	Normalize func(string) string
	// HTTPClient replaces the default client (whose transport bounds connecting and headers).
	HTTPClient *http.Client
	// Prompt biases recognition towards the domain's words [DomainPrompt].
	Prompt string
}

// DomainPrompt is the transcription prompt: the words of social insurance a general recogniser
// gets wrong, so that 资格认证 is not heard as 自格认证.
const DomainPrompt = "社保卡，社会保障卡，资格认证，养老金，养老保险，失业保险金，失业金，医保，医疗保险，异地就医备案，" +
	"工伤认定，生育津贴，退休，缴费年限，个人权益记录，转人工，12333。"

func (c Config) withDefaults() Config {
	if c.TranscribeModel == "" {
		c.TranscribeModel = openai.Whisper1
	}
	if c.SpeechModel == "" {
		c.SpeechModel = string(openai.TTSModel1)
	}
	if c.SpeechFormat == "" {
		c.SpeechFormat = "mp3"
	}
	if c.SpeechVoices == nil {
		c.SpeechVoices = map[string]string{VoiceFemale: "nova", VoiceMale: "onyx"}
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.EspeakTimeout <= 0 {
		c.EspeakTimeout = 5 * time.Second
	}
	if c.MaxAudioBytes <= 0 {
		c.MaxAudioBytes = 2 << 20
	}
	if c.MaxAudioLength <= 0 {
		c.MaxAudioLength = 60 * time.Second
	}
	if c.MaxSpeakRunes <= 0 {
		c.MaxSpeakRunes = 500
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = 64 << 20
	}
	if c.Prompt == "" {
		c.Prompt = DomainPrompt
	}
	return c
}

// Service transcribes and synthesises. It is safe for concurrent use.
type Service struct {
	cfg        Config
	log        *slog.Logger
	transcribe *openai.Client // nil: no transcription server
	speech     *openai.Client // nil: no speech server
	espeak     string         // resolved espeak-ng path, "" if absent
	cache      *audioCache
	jsonOnly   atomic.Bool // the transcription server refused verbose_json
}

// New returns a Service for cfg. An espeak command that is not installed is noted in the log
// and left out.
func New(cfg Config, log *slog.Logger) (*Service, error) {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, log: log.With("component", "voice")}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: modelclient.Transport(time.Second, cfg.Timeout, 16)}
	}
	client := func(base, key string) *openai.Client { return modelclient.OpenAI(base, key, hc) }
	if cfg.TranscribeBaseURL != "" {
		s.transcribe = client(cfg.TranscribeBaseURL, cfg.TranscribeAPIKey)
	}
	if cfg.SpeechBaseURL != "" {
		s.speech = client(cfg.SpeechBaseURL, cfg.SpeechAPIKey)
	}
	if cfg.Espeak != "" {
		p, err := lookEspeak(cfg.Espeak)
		if err != nil {
			s.log.Info("espeak-ng not installed: speech needs a speech server (apt-get install espeak-ng)", "command", cfg.Espeak)
		}
		s.espeak = p
	}
	if cfg.CacheBytes > 0 {
		s.cache = newAudioCache(cfg.CacheBytes)
	}
	return s, nil
}

// CanTranscribe reports whether a transcription server is configured.
func (s *Service) CanTranscribe() bool { return s.transcribe != nil }

// CanSpeak reports whether speech can be synthesised (a server or espeak-ng).
func (s *Service) CanSpeak() bool { return s.speech != nil || s.espeak != "" }

// Limits returns the audio limits in force.
func (s *Service) Limits() (maxBytes int, maxLength time.Duration) {
	return s.cfg.MaxAudioBytes, s.cfg.MaxAudioLength
}

// CheckAudio applies the input rules to an audio upload: not empty, within the size limit, one
// of the known formats by its bytes, and no longer than the length limit where the container
// says how long it is. It returns the format and the length (0 if unknown).
func (s *Service) CheckAudio(b []byte) (Format, time.Duration, error) {
	switch {
	case len(b) == 0:
		return "", 0, apperr.New(apperr.AudioEmpty, "")
	case len(b) > s.cfg.MaxAudioBytes:
		return "", 0, apperr.Newf(apperr.AudioTooLarge, "录音文件太大，请不要超过%dMB。", max(1, s.cfg.MaxAudioBytes>>20))
	}
	f, ok := Sniff(b)
	if !ok {
		return "", 0, apperr.New(apperr.AudioUnsupported, "")
	}
	d, known := Duration(f, b)
	if known && d > s.cfg.MaxAudioLength {
		return f, d, s.tooLong()
	}
	if known && d < 50*time.Millisecond {
		return f, d, apperr.New(apperr.AudioEmpty, "")
	}
	return f, d, nil
}

func (s *Service) tooLong() *apperr.Error {
	return apperr.Newf(apperr.AudioTooLong, "录音太长了，请在%d秒内说完。", int(s.cfg.MaxAudioLength/time.Second))
}

// unavailable is the error of a voice server that is not configured, down or too slow.
func unavailable(err error) *apperr.Error {
	return apperr.Wrap(apperr.VoiceUnavailable, "", err)
}

// errNotConfigured is the cause of voice_unavailable when no server is configured.
var errNotConfigured = errors.New("voice: not configured")

// timeout bounds one outbound call.
func (s *Service) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.Timeout)
}

func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}
