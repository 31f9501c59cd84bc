package assistant

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shebao/assistant/voice"
)

// fakeAudio is an OpenAI-compatible audio server: POST /v1/audio/transcriptions (multipart) and
// POST /v1/audio/speech (JSON).
type fakeAudio struct {
	srv         *httptest.Server
	transcript  atomic.Value // string
	speechDelay atomic.Int64 // nanoseconds
	speeches    atomic.Int32
}

func newFakeAudio(t *testing.T, transcript string) *fakeAudio {
	f := &fakeAudio{}
	f.transcript.Store(transcript)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(8 << 20); err != nil || r.FormValue("language") != "zh" || r.FormValue("model") == "" {
			http.Error(w, `{"error":{"message":"bad request"}}`, 400)
			return
		}
		text := f.transcript.Load().(string)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"text": text, "duration": 1.0,
			"segments": []any{map[string]any{"start": 0, "end": 1, "text": text, "avg_logprob": -0.1, "no_speech_prob": 0.01}}})
	})
	mux.HandleFunc("POST /v1/audio/speech", func(w http.ResponseWriter, r *http.Request) {
		f.speeches.Add(1)
		io.Copy(io.Discard, r.Body) // the server notices a client that gave up only after the body
		select {
		case <-time.After(time.Duration(f.speechDelay.Load())):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "audio/mpeg")
		w.Write([]byte("ID3\x04\x00 fake"))
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAudio) service(t *testing.T, cfg voice.Config) *voice.Service {
	cfg.TranscribeBaseURL, cfg.SpeechBaseURL = f.srv.URL+"/v1", f.srv.URL+"/v1"
	vs, err := voice.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// testWAV is a 16 kHz mono WAV of silence.
func testWAV(seconds float64) []byte {
	n := int(seconds * 16000)
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(16000), uint32(32000), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(2*n))
	b.Write(make([]byte, 2*n))
	return b.Bytes()
}

// sendAudio sends a recording as audio frames of at most chunk bytes.
func (c *wsClient) sendAudio(id string, audio []byte, chunk int) {
	c.t.Helper()
	for i := 0; i == 0 || i < len(audio); i += chunk {
		end := min(i+chunk, len(audio))
		c.send(map[string]any{"type": "audio", "id": id, "format": "audio/wav", "data": base64.StdEncoding.EncodeToString(audio[i:end]), "final": end == len(audio)})
	}
}

type heardEvent struct {
	Type    string `json:"type"`
	ReplyTo string `json:"reply_to"`
	Heard   bool   `json:"heard"`
	Text    string `json:"text"`
	Message string `json:"message"`
}

type answerExtras struct {
	AudioURL   string          `json:"audio_url"`
	AudioError string          `json:"audio_error"`
	Voice      *voice.Settings `json:"voice"`
}

// TestWSAudioMessage: a recording sent in audio frames is transcribed, the client is told what
// was heard, then the answer comes, with its audio.
func TestWSAudioMessage(t *testing.T) {
	t.Parallel()
	fa := newFakeAudio(t, "社保卡丢了怎么办")
	_, srv, _ := testServer(t, func(o *Options) { o.Voice = fa.service(t, voice.Config{}) })
	c := dial(t, wsURL(srv), nil)
	ready := c.hello(map[string]any{"speech": true})
	var r struct {
		VoiceInput  bool            `json:"voice_input"`
		VoiceOutput bool            `json:"voice_output"`
		Voice       *voice.Settings `json:"voice"`
		Limits      ReadyLimits     `json:"limits"`
	}
	json.Unmarshal([]byte(ready.raw), &r)
	if !r.VoiceInput || !r.VoiceOutput || r.Voice == nil || r.Voice.Rate != 1 || r.Limits.MaxAudioChunk != MaxAudioChunkBytes || r.Limits.MaxAudioBytes == 0 {
		t.Errorf("ready %s", ready.raw)
	}
	c.sendAudio("a1", testWAV(1), MaxAudioChunkBytes)
	heard, _ := c.until(EventHeard)
	var h heardEvent
	json.Unmarshal([]byte(heard.raw), &h)
	if !h.Heard || h.Text != "社保卡丢了怎么办" || h.ReplyTo != "a1" {
		t.Errorf("heard %s", heard.raw)
	}
	ans, _ := c.until(EventAnswer)
	var x answerExtras
	json.Unmarshal([]byte(ans.raw), &x)
	if ans.ReplyTo != "a1" || ans.Route != RouteGuide || !strings.HasPrefix(x.AudioURL, SpeakPath+"?") || x.AudioError != "" {
		t.Errorf("answer %s", ans.raw)
	}
	if fa.speeches.Load() == 0 {
		t.Error("the answer's audio was not made")
	}
}

// TestWSAudioNotHeard: an empty transcript is "没听清，请再说一遍" and no answer (never a guess).
func TestWSAudioNotHeard(t *testing.T) {
	t.Parallel()
	fa := newFakeAudio(t, "")
	_, srv, _ := testServer(t, func(o *Options) { o.Voice = fa.service(t, voice.Config{}) })
	c := dial(t, wsURL(srv), nil)
	c.hello(nil)
	c.sendAudio("a1", testWAV(1), MaxAudioChunkBytes)
	heard, _ := c.until(EventHeard)
	var h heardEvent
	json.Unmarshal([]byte(heard.raw), &h)
	if h.Heard || h.Text != "" || h.Message != "没听清，请再说一遍。" {
		t.Errorf("heard %s", heard.raw)
	}
	// The person says it again at once: the turn ended before 没听清 was sent, so it is not busy.
	c.send(map[string]any{"type": "message", "id": "m2", "text": "社保卡丢了怎么办"})
	if ev := c.next(); ev.Type == EventError {
		t.Fatalf("speaking again after 没听清: %s", ev.raw)
	}
	c.until(EventAnswer)
}

// TestWSAudioBadInput: each bad recording gets its error code and the connection stays.
func TestWSAudioBadInput(t *testing.T) {
	t.Parallel()
	fa := newFakeAudio(t, "你好")
	_, srv, _ := testServer(t, func(o *Options) {
		o.Voice = fa.service(t, voice.Config{MaxAudioBytes: 3 << 20})
		o.Limits.MaxAudioBytes = 40000
		o.Limits.User.Burst, o.Limits.User.PerSecond = 50, 50
	})
	c := dial(t, wsURL(srv), nil)
	c.hello(nil)
	for _, tc := range []struct {
		name  string
		audio []byte
		chunk int
		code  string
	}{
		{"too large", testWAV(2), MaxAudioChunkBytes, "audio_too_large"},
		{"not audio", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR this is a picture"), MaxAudioChunkBytes, "audio_unsupported"},
		{"empty", nil, MaxAudioChunkBytes, "audio_empty"},
		{"chunk over the limit", testWAV(0.3), MaxAudioChunkBytes + 1, "bad_frame"},
	} {
		c.sendAudio("b-"+tc.name[:3], tc.audio, tc.chunk)
		ev, _ := c.until(EventError)
		if ev.Code != tc.code || ev.ReplyTo != "b-"+tc.name[:3] {
			t.Errorf("%s: %s", tc.name, ev.raw)
		}
		// frames of a refused recording that were still in flight are ignored
		c.send(map[string]any{"type": "ping", "id": tc.name})
		for {
			if ev := c.next(); ev.Type == EventPong {
				break
			} else if ev.Type == EventError {
				t.Errorf("%s: a second error %s", tc.name, ev.raw)
			}
		}
	}
	c.send(map[string]any{"type": "audio", "id": "x", "data": "%%% not base64", "final": true})
	if ev := c.next(); ev.Code != "bad_frame" {
		t.Errorf("bad base64: %s", ev.raw)
	}
	// no transcription server
	_, srv2, _ := testServer(t, nil)
	c2 := dial(t, wsURL(srv2), nil)
	ready := c2.hello(nil)
	if strings.Contains(ready.raw, `"voice_input":true`) {
		t.Errorf("ready %s", ready.raw)
	}
	c2.sendAudio("n1", testWAV(0.5), MaxAudioChunkBytes)
	if ev := c2.next(); ev.Code != "voice_unavailable" || ev.ReplyTo != "n1" {
		t.Errorf("no server: %s", ev.raw)
	}
}

// TestWSSpeechServerSlow: a speech server that does not answer in time leaves the answer as
// text, sent in the normal time with audio_error voice_unavailable; the conversation goes on.
func TestWSSpeechServerSlow(t *testing.T) {
	t.Parallel()
	fa := newFakeAudio(t, "")
	fa.speechDelay.Store(int64(10 * time.Second))
	_, srv, _ := testServer(t, func(o *Options) {
		o.Voice = fa.service(t, voice.Config{})
		o.Limits.SpeechTimeout = 100 * time.Millisecond
	})
	c := dial(t, wsURL(srv), nil)
	c.hello(map[string]any{"speech": true})
	for _, id := range []string{"s1", "s2"} {
		c.send(map[string]any{"type": "message", "id": id, "text": "社保卡丢了怎么办"})
		ans, _ := c.until(EventAnswer)
		var x answerExtras
		json.Unmarshal([]byte(ans.raw), &x)
		if ans.Text == "" || x.AudioURL != "" || x.AudioError != "voice_unavailable" {
			t.Errorf("%s: %s", id, ans.raw)
		}
	}
	// a client that did not ask for speech gets none and no note
	c2 := dial(t, wsURL(srv), nil)
	c2.hello(nil)
	c2.send(map[string]any{"type": "message", "id": "t1", "text": "社保卡丢了怎么办"})
	ans, _ := c2.until(EventAnswer)
	if strings.Contains(ans.raw, "audio_") {
		t.Errorf("text client: %s", ans.raw)
	}
}

// TestVoiceCommandsInChat: "说慢一点" and the like change the settings before anything is
// answered; a signed-in person's are remembered, an anonymous person's last the session.
func TestVoiceCommandsInChat(t *testing.T) {
	t.Parallel()
	d := sqliteDB(t)
	ctx := context.Background()
	store, err := voice.NewSettingsStore(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := testService(t, func(o *Options) { o.VoiceSettings = store })
	sess, _, err := s.openSession(ctx, "", "grandma")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		say  string
		rate float64
		size string
		text string
	}{
		{"说慢一点", 0.9, "normal", "好的，我说慢一点。"},
		{"请你说慢点好吗", 0.8, "normal", "好的，我说慢一点。"},
		{"字大一点", 0.8, "large", "好的，字大一点了。"},
		{"说快一点", 0.9, "large", "好的，我说快一点。"},
	} {
		a, err := s.Answer(ctx, sess.id, c.say)
		if err != nil {
			t.Fatal(err)
		}
		if a.Route != RouteSettings || a.Voice == nil || a.Voice.Rate != c.rate || a.Voice.TextSize != c.size || a.Text != c.text {
			t.Errorf("%s: %+v %v", c.say, a, a.Voice)
		}
	}
	got, found, err := store.Settings(ctx, "grandma")
	if err != nil || !found || got.Rate != 0.9 || got.TextSize != "large" {
		t.Errorf("stored %+v %v %v", got, found, err)
	}
	for i := 0; i < 10; i++ {
		s.Answer(ctx, sess.id, "说慢一点")
	}
	if a, _ := s.Answer(ctx, sess.id, "说慢一点"); a.Text != "已经是最慢的语速了。" || a.Voice.Rate != voice.MinRate {
		t.Errorf("at the slowest: %q %v", a.Text, a.Voice)
	}
	// anonymous: the session only
	anon, err := s.Answer(ctx, "", "说慢一点")
	if err != nil || anon.Voice == nil || anon.Voice.Rate != 0.9 {
		t.Fatalf("anonymous %+v %v", anon, err)
	}
	if _, found, _ := store.Settings(ctx, ""); found {
		t.Error("anonymous settings stored")
	}
	// elder mode starts slower
	eid := elderSession(t, s)
	if a, _ := s.Answer(ctx, eid, "说慢一点"); a.Voice == nil || a.Voice.Rate != 0.7 || !strings.Contains(a.Text, "转人工") {
		t.Errorf("elder: %q %v", a.Text, a.Voice)
	}
	// a question that mentions speed is a question
	if a, _ := s.Answer(ctx, sess.id, "养老金认证太慢了怎么投诉，说慢一点的那种窗口在哪里"); a.Route == RouteSettings {
		t.Errorf("long question taken as a command: %q", a.Text)
	}
}
