package voice

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"shebao/internal/apperr"
	"shebao/internal/modelclient"
)

// Transcript is what was heard.
type Transcript struct {
	Text string `json:"text"`
	// Heard is false when nothing was said or the recogniser was not sure: the app then asks
	// again (NotHeard), and the text is empty — a guess is never passed on.
	Heard    bool    `json:"heard"`
	Message  string  `json:"message,omitempty"`          // NotHeard when Heard is false
	Format   Format  `json:"format"`                     // the container recognised
	Duration float64 `json:"duration_seconds,omitempty"` // from the container or the server
	// Confidence is the recogniser's average log-probability per token (≤ 0; closer to 0 is
	// surer) when the server reports segments.
	Confidence *float64 `json:"avg_logprob,omitempty"`
}

// NotHeard is what the app says when it did not understand.
const NotHeard = "没听清，请再说一遍。"

// Confidence thresholds, those Whisper itself uses to call a segment unreliable: an average
// log-probability below -1 (tokens at less than 37% on average), or a no-speech probability
// above 0.6 with a low log-probability.
const (
	minAvgLogprob   = -1.0
	maxNoSpeechProb = 0.6
)

// Transcribe checks the audio (CheckAudio) and asks the transcription server for Chinese text,
// with the domain prompt. It fails with voice_unavailable when no server is configured or it is
// down or slow (Timeout), and with the input errors of CheckAudio.
func (s *Service) Transcribe(ctx context.Context, audio []byte) (Transcript, error) {
	f, d, err := s.CheckAudio(audio)
	if err != nil {
		return Transcript{}, err
	}
	if s.transcribe == nil {
		return Transcript{}, unavailable(errNotConfigured)
	}
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	req := openai.AudioRequest{Model: s.cfg.TranscribeModel, FilePath: "audio." + string(f), Reader: bytes.NewReader(audio),
		Prompt: s.cfg.Prompt, Language: "zh", Format: openai.AudioResponseFormatVerboseJSON}
	if s.jsonOnly.Load() {
		req.Format = openai.AudioResponseFormatJSON
	}
	start := time.Now()
	resp, err := s.transcribe.CreateTranscription(ctx, req)
	if err != nil && modelclient.HTTPStatus(err) == http.StatusBadRequest && req.Format == openai.AudioResponseFormatVerboseJSON &&
		strings.Contains(strings.ToLower(err.Error()), "format") {
		// Some servers (gpt-4o-transcribe) only answer json: ask again, and from now on so.
		s.jsonOnly.Store(true)
		req.Format, req.Reader = openai.AudioResponseFormatJSON, bytes.NewReader(audio)
		resp, err = s.transcribe.CreateTranscription(ctx, req)
	}
	if err != nil {
		s.log.Warn("transcription failed", "status", modelclient.HTTPStatus(err), "bytes", len(audio), "format", f,
			"ms", time.Since(start).Milliseconds(), "err", err)
		if st := modelclient.HTTPStatus(err); st >= 400 && st < 500 && st != http.StatusTooManyRequests && st != http.StatusRequestTimeout &&
			st != http.StatusUnauthorized && st != http.StatusForbidden && st != http.StatusNotFound {
			// The server could not decode what we sent: the recording is damaged.
			return Transcript{}, apperr.Wrap(apperr.AudioUnsupported, "", err)
		}
		return Transcript{}, unavailable(err)
	}
	t := Transcript{Format: f, Duration: d.Seconds()}
	if resp.Duration > 0 {
		if time.Duration(resp.Duration*float64(time.Second)) > s.cfg.MaxAudioLength+time.Second {
			// The container did not say; the server's decoding does.
			return Transcript{}, s.tooLong()
		}
		if t.Duration == 0 {
			t.Duration = resp.Duration
		}
	}
	text := strings.TrimSpace(resp.Text)
	sure := true
	if len(resp.Segments) > 0 {
		var lp, weight float64
		speech := false
		for _, seg := range resp.Segments {
			w := max(seg.End-seg.Start, 0.01)
			lp += seg.AvgLogprob * w
			weight += w
			if !(seg.NoSpeechProb > maxNoSpeechProb && seg.AvgLogprob < minAvgLogprob) && strings.TrimSpace(seg.Text) != "" {
				speech = true
			}
		}
		avg := math.Round(lp/weight*1000) / 1000
		t.Confidence = &avg
		sure = speech && avg >= minAvgLogprob
	}
	if text == "" || !sure || onlyPunctuation(text) {
		t.Message = NotHeard
		s.log.Info("transcript not used", "empty", text == "", "bytes", len(audio), "ms", time.Since(start).Milliseconds())
		return t, nil
	}
	t.Text, t.Heard = text, true
	return t, nil
}

func onlyPunctuation(s string) bool {
	return strings.Trim(s, " ，。？！,.?!…、-") == ""
}
