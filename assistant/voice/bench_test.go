package voice

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"
)

// typicalReply is a reply of the no-model assistant as said (its speakable text, 62 characters).
const typicalReply = "办理社会保障卡挂失与解挂。先拨打幺二三三三，或在电子社保卡上办理临时挂失。同时拨打卡面银行客服电话挂失银行账户。还想了解什么，或者转人工？"

// BenchmarkSpeakEspeak is the cost of a typical reply synthesised by espeak-ng (no cache).
func BenchmarkSpeakEspeak(b *testing.B) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		b.Skip("espeak-ng is not installed")
	}
	s, _ := New(Config{Espeak: "espeak-ng", CacheBytes: -1}, nil)
	for b.Loop() {
		if _, err := s.Speak(context.Background(), SpeakRequest{Text: typicalReply, Rate: 0.8}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpeakCached is the same reply from the cache.
func BenchmarkSpeakCached(b *testing.B) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		b.Skip("espeak-ng is not installed")
	}
	s, _ := New(Config{Espeak: "espeak-ng"}, nil)
	req := SpeakRequest{Text: typicalReply, Rate: 0.8}
	if _, err := s.Speak(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if a, err := s.Speak(context.Background(), req); err != nil || !a.Cached {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranscribeOverhead is what Transcribe adds to the transcription server's own time
// (checks, multipart encoding, HTTP, decoding verbose_json) for a 5-second WebM recording: the
// "overhead-µs/op" metric is the time per call less the time spent in the server's handler.
func BenchmarkTranscribeOverhead(b *testing.B) {
	var inHandler atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			http.Error(w, "bad", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"task":"transcribe","language":"chinese","duration":5,"text":"社保卡丢了怎么办","segments":[{"id":0,"start":0,"end":5,"text":"社保卡丢了怎么办","avg_logprob":-0.2,"no_speech_prob":0.01}]}`))
		inHandler.Add(int64(time.Since(start)))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s, _ := New(Config{TranscribeBaseURL: srv.URL + "/v1"}, nil)
	audio := webmBytes(5, false)
	start := time.Now()
	for b.Loop() {
		if tr, err := s.Transcribe(context.Background(), audio); err != nil || !tr.Heard {
			b.Fatal(err)
		}
	}
	total := time.Since(start)
	b.ReportMetric(float64(total-time.Duration(inHandler.Load()))/float64(b.N)/1e3, "overhead-µs/op")
	b.ReportMetric(float64(inHandler.Load())/float64(b.N)/1e3, "server-µs/op")
	b.ReportMetric(float64(len(audio)), "audio-bytes")
}
