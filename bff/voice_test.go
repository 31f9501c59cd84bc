package bff

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"shebao/assistant/voice"
	"shebao/internal/dbtest"
	"shebao/internal/identity"
)

// fakeTranscriber is an OpenAI-compatible transcription and speech server.
func fakeAudioServer(t *testing.T, text string, calls *atomic.Int32) string {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseMultipartForm(8 << 20); err != nil || r.FormValue("language") != "zh" {
			http.Error(w, `{"error":{"message":"bad request"}}`, 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"text": text, "duration": 1.0,
			"segments": []any{map[string]any{"start": 0, "end": 1, "text": text, "avg_logprob": -0.2, "no_speech_prob": 0.01}}})
	})
	mux.HandleFunc("POST /v1/audio/speech", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "audio/mpeg")
		w.Write([]byte("ID3\x04\x00fake mp3"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// wav is a 16 kHz mono WAV of the given length.
func wav(seconds float64) []byte {
	n := int(seconds * 16000)
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(16000), uint32(32000), uint16(2), uint16(16)} {
		le(v)
	}
	b.WriteString("data")
	le(uint32(2 * n))
	b.Write(make([]byte, 2*n))
	return b.Bytes()
}

type voiceEnv struct {
	*adminEnv
	calls atomic.Int32
}

func newVoiceEnv(t *testing.T, cfg voice.Config) *voiceEnv {
	t.Helper()
	d := dbtest.SQLite(t)
	ctx := context.Background()
	users, keys := newUsersEnv(t, d, map[string][]identity.Role{"grandma": {identity.RoleUser}, "grandpa": {identity.RoleUser}})
	e := &voiceEnv{adminEnv: users}
	if cfg.TranscribeBaseURL == "fake" {
		u := fakeAudioServer(t, "养老金认证怎么办", &e.calls)
		cfg.TranscribeBaseURL, cfg.SpeechBaseURL = u, u
	}
	vs, err := voice.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := voice.NewSettingsStore(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = New(Deps{Content: e.cs, Auth: keys.Verifier(), Voice: vs, VoiceSettings: store})
	return e
}

func (e *voiceEnv) upload(path, contentType string, body []byte) resp {
	e.t.Helper()
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	return roundTrip(e.t, e.srv, req)
}

func TestTranscribeRoute(t *testing.T) {
	e := newVoiceEnv(t, voice.Config{TranscribeBaseURL: "fake"})
	// raw body, declared as something else: the bytes decide
	r := e.upload("/api/v1/voice/transcribe", "video/webm", wav(1))
	if r.status != 200 || r.body["text"] != "养老金认证怎么办" || r.body["heard"] != true || r.body["format"] != "wav" {
		t.Errorf("raw: %d %s", r.status, r.raw)
	}
	// multipart, the way a browser uploads a Blob
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	fw, _ := w.CreateFormFile("file", "recording.wav")
	fw.Write(wav(2))
	w.Close()
	r = e.upload("/api/v1/voice/transcribe", w.FormDataContentType(), mp.Bytes())
	if r.status != 200 || r.body["text"] != "养老金认证怎么办" {
		t.Errorf("multipart: %d %s", r.status, r.raw)
	}
}

// TestTranscribeRouteBadInput: each bad upload has its status and code, and none reaches the
// transcription server.
func TestTranscribeRouteBadInput(t *testing.T) {
	e := newVoiceEnv(t, voice.Config{TranscribeBaseURL: "fake", MaxAudioBytes: 2 << 20})
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	w.WriteField("other", "x")
	w.Close()
	for _, c := range []struct {
		name, ct string
		body     []byte
		status   int
		code     string
	}{
		{"empty", "audio/webm", nil, 400, "audio_empty"},
		{"multipart without file", w.FormDataContentType(), mp.Bytes(), 400, "audio_empty"},
		{"too long", "audio/wav", wav(61), 400, "audio_too_long"},
		{"too large", "audio/wav", append(wav(1), make([]byte, 2<<20)...), 413, "audio_too_large"},
		{"not audio", "audio/webm", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 400, "audio_unsupported"},
	} {
		r := e.upload("/api/v1/voice/transcribe", c.ct, c.body)
		if r.status != c.status || r.errCode() != c.code {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
		}
	}
	if n := e.calls.Load(); n != 0 {
		t.Errorf("the server was asked %d times", n)
	}
	// no server configured
	none := newVoiceEnv(t, voice.Config{})
	if r := none.upload("/api/v1/voice/transcribe", "audio/wav", wav(1)); r.status != 503 || r.errCode() != "voice_unavailable" {
		t.Errorf("no server: %d %s", r.status, r.raw)
	}
}

func TestSpeakRoute(t *testing.T) {
	e := newVoiceEnv(t, voice.Config{TranscribeBaseURL: "fake"})
	r := e.do("", "POST", "/api/v1/voice/speak", map[string]any{"text": "您好"})
	if r.status != 200 || r.header.Get("Content-Type") != "audio/mpeg" || r.header.Get("X-Voice-Engine") != "server" || r.header.Get("X-Voice-Cache") != "miss" {
		t.Errorf("speak: %d %v %s", r.status, r.header, r.raw)
	}
	r = e.do("", "GET", "/api/v1/voice/speak?text="+url.QueryEscape("您好"), nil)
	if r.status != 200 || r.header.Get("X-Voice-Cache") != "hit" {
		t.Errorf("GET speak: %d %v", r.status, r.header)
	}
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"no text", map[string]any{"text": ""}, "voice_text_invalid"},
		{"too long", map[string]any{"text": strings.Repeat("字", 501)}, "voice_text_invalid"},
		{"bad rate", map[string]any{"text": "您好", "rate": 9}, "voice_settings_invalid"},
		{"bad voice", map[string]any{"text": "您好", "voice": "robot"}, "voice_settings_invalid"},
		{"not json", "{", "invalid_body"},
	} {
		if r := e.do("", "POST", "/api/v1/voice/speak", c.body); r.status != 400 || r.errCode() != c.code {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
		}
	}
	none := newVoiceEnv(t, voice.Config{Espeak: "no-such-espeak"})
	if r := none.do("", "POST", "/api/v1/voice/speak", map[string]any{"text": "您好"}); r.status != 503 || r.errCode() != "voice_unavailable" {
		t.Errorf("no voice: %d %s", r.status, r.raw)
	}
}

// TestSpeakRouteEspeak: with no speech server, espeak-ng speaks WAV.
func TestSpeakRouteEspeak(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)")
	}
	e := newVoiceEnv(t, voice.Config{Espeak: "espeak-ng"})
	r := e.do("", "POST", "/api/v1/voice/speak", map[string]any{"text": "请拨打12333。", "rate": 0.8})
	if r.status != 200 || r.header.Get("Content-Type") != "audio/wav" || r.header.Get("X-Voice-Engine") != "espeak" || !bytes.HasPrefix(r.raw, []byte("RIFF")) {
		t.Errorf("espeak: %d %v", r.status, r.header)
	}
}

func TestMyVoiceSettings(t *testing.T) {
	e := newVoiceEnv(t, voice.Config{})
	if r := e.do("", "GET", "/api/v1/me/voice", nil); r.status != 401 {
		t.Errorf("anonymous: %d %s", r.status, r.raw)
	}
	r := e.do("grandma", "GET", "/api/v1/me/voice?elder=true", nil)
	if r.status != 200 || r.body["rate"] != 0.8 || r.body["text_size"] != "large" {
		t.Errorf("elder defaults: %d %s", r.status, r.raw)
	}
	r = e.do("grandma", "PATCH", "/api/v1/me/voice", map[string]any{"rate": 0.7, "text_size": "x-large"})
	if r.status != 200 || r.body["rate"] != 0.7 || r.body["text_size"] != "x-large" || r.body["voice"] != "female" {
		t.Errorf("patch: %d %s", r.status, r.raw)
	}
	r = e.do("grandma", "PATCH", "/api/v1/me/voice", map[string]any{"voice": "male"})
	if r.status != 200 || r.body["rate"] != 0.7 || r.body["voice"] != "male" {
		t.Errorf("second patch lost the first: %d %s", r.status, r.raw)
	}
	if r := e.do("grandpa", "GET", "/api/v1/me/voice", nil); r.body["rate"] != 1.0 {
		t.Errorf("another person sees %s", r.raw)
	}
	for _, bad := range []any{map[string]any{"rate": 0.1}, map[string]any{"text_size": "huge"}, map[string]any{"colour": "red"}, "["} {
		if r := e.do("grandma", "PATCH", "/api/v1/me/voice", bad); r.status != 400 {
			t.Errorf("%v: %d %s", bad, r.status, r.raw)
		}
	}
	if r := e.do("grandma", "GET", "/api/v1/me/voice", nil); r.body["rate"] != 0.7 || r.body["voice"] != "male" {
		t.Errorf("bad patches changed the settings: %s", r.raw)
	}
}
