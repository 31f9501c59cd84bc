package voice

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"shebao/internal/apperr"
)

// Audio is synthesised speech.
type Audio struct {
	Data        []byte
	ContentType string // audio/mpeg, audio/wav …
	Engine      string // "server" or "espeak"
	Cached      bool   // served from the cache
}

// SpeakRequest is one text to say, with the person's settings.
type SpeakRequest struct {
	Text  string
	Rate  float64 // speed factor, 1 = normal [Settings.Rate of the defaults]
	Voice string  // VoiceFemale or VoiceMale ["" = female]
}

// Speak synthesises text: with the speech server when one is configured, else (or when the
// server fails) with espeak-ng when installed, else voice_unavailable. Audio of texts without
// personal numbers is cached by text, voice and rate.
func (s *Service) Speak(ctx context.Context, r SpeakRequest) (Audio, error) {
	text := strings.TrimSpace(r.Text)
	if s.cfg.Normalize != nil {
		text = s.cfg.Normalize(text)
	}
	if text == "" || utf8.RuneCountInString(r.Text) > s.cfg.MaxSpeakRunes {
		return Audio{}, apperr.New(apperr.VoiceTextInvalid, "")
	}
	if r.Rate <= 0 {
		r.Rate = 1
	}
	r.Rate = clampRate(r.Rate)
	if r.Voice == "" {
		r.Voice = VoiceFemale
	}
	key := fmt.Sprintf("%s|%.2f|%s", r.Voice, r.Rate, text)
	cacheable := s.cache != nil && cacheableText(text)
	if cacheable {
		if a, ok := s.cache.get(key); ok {
			a.Cached = true
			return a, nil
		}
	}
	var a Audio
	var err error
	switch {
	case s.speech != nil:
		a, err = s.speakServer(ctx, text, r)
		if err != nil && s.espeak != "" {
			s.log.Warn("speech server failed; using espeak-ng", "err", err)
			a, err = s.speakEspeak(ctx, text, r)
		}
	case s.espeak != "":
		a, err = s.speakEspeak(ctx, text, r)
	default:
		return Audio{}, unavailable(errNotConfigured)
	}
	if err != nil {
		return Audio{}, unavailable(err)
	}
	if cacheable {
		s.cache.put(key, a)
	}
	return a, nil
}

// Prewarm synthesises texts into the cache (the fixed sentences), for each rate given. It stops
// at the first failure: a voice that cannot speak now will not speak the next one either.
func (s *Service) Prewarm(ctx context.Context, texts []string, rates ...float64) error {
	if !s.CanSpeak() || s.cache == nil {
		return nil
	}
	for _, rate := range rates {
		for _, t := range texts {
			if _, err := s.Speak(ctx, SpeakRequest{Text: t, Rate: rate}); err != nil {
				return err
			}
		}
	}
	return nil
}

// CacheStats reports the cache's bytes, entries, hits and misses.
func (s *Service) CacheStats() (bytes, entries int, hits, misses uint64) {
	if s.cache == nil {
		return 0, 0, 0, 0
	}
	return s.cache.stats()
}

// cacheableText keeps personal numbers out of the cache: a text with six or more digits said in
// a row (a phone or ID number read back) is synthesised each time, so that how fast it comes
// back never tells anyone that somebody else had it read.
func cacheableText(text string) bool {
	run := 0
	for _, r := range text {
		if strings.ContainsRune("零幺一二三四五六七八九0123456789", r) {
			run++
			if run >= 6 {
				return false
			}
		} else if r != '，' && r != ' ' {
			run = 0
		}
	}
	return true
}

// speakServer asks the OpenAI-compatible speech server.
func (s *Service) speakServer(ctx context.Context, text string, r SpeakRequest) (Audio, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	voice := s.cfg.SpeechVoices[r.Voice]
	if voice == "" {
		voice = s.cfg.SpeechVoices[VoiceFemale]
	}
	resp, err := s.speech.CreateSpeech(ctx, openai.CreateSpeechRequest{Model: openai.SpeechModel(s.cfg.SpeechModel), Input: text,
		Voice: openai.SpeechVoice(voice), ResponseFormat: openai.SpeechResponseFormat(s.cfg.SpeechFormat), Speed: r.Rate})
	if err != nil {
		return Audio{}, wrapf(err, "speech server")
	}
	defer resp.Close()
	data, err := io.ReadAll(io.LimitReader(resp, 32<<20))
	if err != nil {
		return Audio{}, wrapf(err, "read speech")
	}
	if len(data) == 0 {
		return Audio{}, fmt.Errorf("speech server sent no audio")
	}
	ct := resp.Header().Get("Content-Type")
	if !strings.HasPrefix(ct, "audio/") {
		if f, ok := Sniff(data); ok {
			ct = f.MIME()
		} else {
			ct = "audio/mpeg"
		}
	}
	return Audio{Data: data, ContentType: ct, Engine: "server"}, nil
}

// espeakVoices are espeak-ng's Mandarin voices for the app's voices.
var espeakVoices = map[string]string{VoiceFemale: "cmn+f3", VoiceMale: "cmn"}

// espeakBaseRate is espeak-ng's speed (-s, "words" per minute; a syllable in Mandarin) at rate
// 1: its default. The elder rate 0.8 is 140, slow and clear.
const espeakBaseRate = 175

// speakEspeak runs espeak-ng with the Mandarin voice, the text on stdin (never on the command
// line, where a leading "-" would be an option), WAV on stdout.
func (s *Service) speakEspeak(ctx context.Context, text string, r SpeakRequest) (Audio, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.EspeakTimeout)
	defer cancel()
	v := espeakVoices[r.Voice]
	if v == "" {
		v = espeakVoices[VoiceFemale]
	}
	cmd := exec.CommandContext(ctx, s.espeak, "-v", v, "-s", strconv.Itoa(int(espeakBaseRate*r.Rate)), "-b", "1", "--stdin", "--stdout")
	cmd.Stdin = strings.NewReader(text)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return Audio{}, fmt.Errorf("espeak-ng: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	if out.Len() < 44 {
		return Audio{}, fmt.Errorf("espeak-ng wrote no audio")
	}
	return Audio{Data: out.Bytes(), ContentType: "audio/wav", Engine: "espeak"}, nil
}

// lookEspeak resolves the espeak-ng command.
func lookEspeak(name string) (string, error) { return exec.LookPath(name) }
