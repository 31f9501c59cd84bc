package voice

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAudioServer is an OpenAI-compatible audio server: POST /v1/audio/transcriptions
// (multipart: file, model, language, prompt, response_format) and POST /v1/audio/speech (JSON).
type fakeAudioServer struct {
	*httptest.Server
	mu sync.Mutex
	// what the last transcription request carried
	form      map[string]string
	file      []byte
	fileName  string
	speechReq map[string]any
	// behaviour
	transcript  string // the text to return
	segments    []any
	duration    float64
	jsonOnly    bool          // answer 400 to verbose_json, as gpt-4o-transcribe does
	delay       time.Duration // before answering
	speechAudio []byte
	transcripts atomic.Int32
	speeches    atomic.Int32
}

func newFakeAudioServer(t *testing.T) *fakeAudioServer {
	f := &fakeAudioServer{speechAudio: wavBytes(0.5)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", f.transcriptions)
	mux.HandleFunc("POST /v1/audio/speech", f.speech)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAudioServer) URL() string { return f.Server.URL + "/v1" }

func (f *fakeAudioServer) wait(r *http.Request) bool {
	f.mu.Lock()
	d := f.delay
	f.mu.Unlock()
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

func (f *fakeAudioServer) transcriptions(w http.ResponseWriter, r *http.Request) {
	f.transcripts.Add(1)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		http.Error(w, `{"error":{"message":"bad multipart"}}`, 400)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		http.Error(w, `{"error":{"message":"file missing"}}`, 400)
		return
	}
	data, _ := io.ReadAll(file)
	f.mu.Lock()
	f.form = map[string]string{}
	for k, v := range r.MultipartForm.Value {
		f.form[k] = v[0]
	}
	f.file, f.fileName = data, hdr.Filename
	jsonOnly, text, segs, dur := f.jsonOnly, f.transcript, f.segments, f.duration
	f.mu.Unlock()
	if !f.wait(r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	format := r.FormValue("response_format")
	if jsonOnly && format == "verbose_json" {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"message":"response_format 'verbose_json' is not compatible with this model","type":"invalid_request_error"}}`))
		return
	}
	if format == "verbose_json" {
		json.NewEncoder(w).Encode(map[string]any{"task": "transcribe", "language": "chinese", "duration": dur, "text": text, "segments": segs})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"text": text})
}

func (f *fakeAudioServer) speech(w http.ResponseWriter, r *http.Request) {
	f.speeches.Add(1)
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, 400)
		return
	}
	f.mu.Lock()
	f.speechReq = req
	audio := f.speechAudio
	f.mu.Unlock()
	if !f.wait(r) {
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Write(audio)
}

func (f *fakeAudioServer) set(fn func(f *fakeAudioServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// segment is one verbose_json segment.
func segment(start, end float64, text string, logprob, noSpeech float64) map[string]any {
	return map[string]any{"id": 0, "start": start, "end": end, "text": text, "avg_logprob": logprob, "no_speech_prob": noSpeech}
}
