package voice

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
)

func newService(t *testing.T, cfg Config) *Service {
	t.Helper()
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantKind(t *testing.T, what string, err error, k apperr.Kind) {
	t.Helper()
	if ae, ok := apperr.As(err); !ok || ae.Code != k.Code || ae.Status != k.Status {
		t.Errorf("%s: err = %v, want %s", what, err, k.Code)
	}
}

// TestTranscribeSendsTheRealProtocol: the request is the OpenAI multipart form with Chinese,
// the domain prompt and verbose_json, and a sure transcript comes back as heard.
func TestTranscribeSendsTheRealProtocol(t *testing.T) {
	t.Parallel()
	fs := newFakeAudioServer(t)
	fs.set(func(f *fakeAudioServer) {
		f.transcript, f.duration = "社保卡丢了怎么办", 2
		f.segments = []any{segment(0, 2, "社保卡丢了怎么办", -0.2, 0.01)}
	})
	s := newService(t, Config{TranscribeBaseURL: fs.URL(), TranscribeModel: "whisper-large-v3"})
	audio := webmBytes(2, false)
	tr, err := s.Transcribe(context.Background(), audio)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Heard || tr.Text != "社保卡丢了怎么办" || tr.Format != FormatWebM || tr.Confidence == nil {
		t.Errorf("transcript %+v", tr)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.form["model"] != "whisper-large-v3" || fs.form["language"] != "zh" || fs.form["response_format"] != "verbose_json" ||
		!strings.Contains(fs.form["prompt"], "资格认证") || !strings.Contains(fs.form["prompt"], "失业保险金") {
		t.Errorf("form %v", fs.form)
	}
	if !bytes.Equal(fs.file, audio) || fs.fileName != "audio.webm" {
		t.Errorf("file %q of %d bytes", fs.fileName, len(fs.file))
	}
}

// TestTranscribeNeverGuesses: empty, low-confidence and no-speech transcripts are not heard.
func TestTranscribeNeverGuesses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		text string
		segs []any
	}{
		{"empty", "", nil},
		{"punctuation only", "。", []any{segment(0, 1, "。", -0.3, 0.1)}},
		{"low confidence", "社保卡挂失", []any{segment(0, 1, "社保卡挂失", -1.6, 0.2)}},
		{"no speech", "谢谢观看", []any{segment(0, 3, "谢谢观看", -1.2, 0.95)}},
		{"mostly unsure", "养老金认证", []any{segment(0, 0.5, "养老", -0.3, 0.1), segment(0.5, 3, "金认证", -1.5, 0.3)}},
	} {
		fs := newFakeAudioServer(t)
		fs.set(func(f *fakeAudioServer) { f.transcript, f.segments, f.duration = c.text, c.segs, 3 })
		s := newService(t, Config{TranscribeBaseURL: fs.URL()})
		tr, err := s.Transcribe(context.Background(), wavBytes(1))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if tr.Heard || tr.Text != "" || tr.Message != "没听清，请再说一遍。" {
			t.Errorf("%s: %+v", c.name, tr)
		}
	}
}

// TestTranscribeJSONOnlyServer: a server that refuses verbose_json is asked again with json.
func TestTranscribeJSONOnlyServer(t *testing.T) {
	t.Parallel()
	fs := newFakeAudioServer(t)
	fs.set(func(f *fakeAudioServer) { f.transcript, f.jsonOnly = "医保怎么报销", true })
	s := newService(t, Config{TranscribeBaseURL: fs.URL()})
	for i := 0; i < 2; i++ {
		tr, err := s.Transcribe(context.Background(), oggOpusBytes(2))
		if err != nil || !tr.Heard || tr.Text != "医保怎么报销" {
			t.Fatalf("%+v %v", tr, err)
		}
	}
	if n := fs.transcripts.Load(); n != 3 { // verbose_json refused once, then json twice
		t.Errorf("%d requests", n)
	}
}

// TestTranscribeFaults: no server, a server that is down, one that is slow, and one that says
// the recording is longer than allowed.
func TestTranscribeFaults(t *testing.T) {
	t.Parallel()
	_, err := newService(t, Config{}).Transcribe(context.Background(), wavBytes(1))
	wantKind(t, "not configured", err, apperr.VoiceUnavailable)

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	_, err = newService(t, Config{TranscribeBaseURL: down}).Transcribe(context.Background(), wavBytes(1))
	wantKind(t, "down", err, apperr.VoiceUnavailable)

	slow := newFakeAudioServer(t)
	slow.set(func(f *fakeAudioServer) { f.delay, f.transcript = 5*time.Second, "太慢了" })
	_, err = newService(t, Config{TranscribeBaseURL: slow.URL(), Timeout: 150 * time.Millisecond}).Transcribe(context.Background(), wavBytes(1))
	wantKind(t, "slow", err, apperr.VoiceUnavailable)

	long := newFakeAudioServer(t)
	long.set(func(f *fakeAudioServer) { f.transcript, f.duration = "很长的一段话", 95 })
	_, err = newService(t, Config{TranscribeBaseURL: long.URL()}).Transcribe(context.Background(), []byte{0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC})
	wantKind(t, "long by the server's count", err, apperr.AudioTooLong)

	// Bad input never reaches the server.
	_, err = newService(t, Config{TranscribeBaseURL: long.URL()}).Transcribe(context.Background(), []byte("not audio"))
	wantKind(t, "not audio", err, apperr.AudioUnsupported)
	if n := long.transcripts.Load(); n != 1 {
		t.Errorf("server asked %d times", n)
	}
}

// TestSpeakServerAndCache: the speech request is the OpenAI JSON; the second time the same
// sentence comes from the cache; a text with a phone number is never cached.
func TestSpeakServerAndCache(t *testing.T) {
	t.Parallel()
	fs := newFakeAudioServer(t)
	s := newService(t, Config{SpeechBaseURL: fs.URL(), SpeechModel: "cosyvoice", Normalize: func(s string) string { return strings.ReplaceAll(s, "12333", "幺二三三三") }})
	req := SpeakRequest{Text: "请拨打12333。", Rate: 0.8, Voice: VoiceMale}
	a, err := s.Speak(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Cached || a.Engine != "server" || a.ContentType != "audio/wav" || !bytes.Equal(a.Data, fs.speechAudio) {
		t.Errorf("audio %+v", a.ContentType)
	}
	fs.mu.Lock()
	got := fs.speechReq
	fs.mu.Unlock()
	if got["model"] != "cosyvoice" || got["input"] != "请拨打幺二三三三。" || got["voice"] != "onyx" || got["speed"] != 0.8 || got["response_format"] != "mp3" {
		t.Errorf("speech request %v", got)
	}
	b, err := s.Speak(context.Background(), req)
	if err != nil || !b.Cached || !bytes.Equal(b.Data, a.Data) {
		t.Errorf("second time: cached %v, %v", b.Cached, err)
	}
	if n := fs.speeches.Load(); n != 1 {
		t.Errorf("server asked %d times", n)
	}
	// another rate is another entry
	if c, _ := s.Speak(context.Background(), SpeakRequest{Text: req.Text, Rate: 1}); c.Cached {
		t.Error("another rate served from the cache")
	}
	for i := 0; i < 2; i++ {
		if c, err := s.Speak(context.Background(), SpeakRequest{Text: "您说的是幺三八，幺二三四，五六七八，对吗？"}); err != nil || c.Cached {
			t.Errorf("phone number read back: cached %v, %v", c.Cached, err)
		}
	}
}

// TestSpeakBadTextAndNoVoice: empty and over-long texts are refused; with no server and no
// espeak-ng, voice_unavailable.
func TestSpeakBadTextAndNoVoice(t *testing.T) {
	t.Parallel()
	fs := newFakeAudioServer(t)
	s := newService(t, Config{SpeechBaseURL: fs.URL()})
	for _, text := range []string{"", "   ", strings.Repeat("长", 501)} {
		_, err := s.Speak(context.Background(), SpeakRequest{Text: text})
		wantKind(t, "text "+text[:min(len(text), 6)], err, apperr.VoiceTextInvalid)
	}
	_, err := newService(t, Config{Espeak: "no-such-espeak-binary"}).Speak(context.Background(), SpeakRequest{Text: "您好"})
	wantKind(t, "no voice", err, apperr.VoiceUnavailable)
}

func espeakOrSkip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)")
	}
}

// TestSpeakEspeak: with no server, espeak-ng's Mandarin voice says the text as WAV, slower at
// a lower rate.
func TestSpeakEspeak(t *testing.T) {
	t.Parallel()
	espeakOrSkip(t)
	s := newService(t, Config{Espeak: "espeak-ng", CacheBytes: -1})
	text := "您好，我是陕西社保智能助手。请问您想办什么？"
	normal, err := s.Speak(context.Background(), SpeakRequest{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := s.Speak(context.Background(), SpeakRequest{Text: text, Rate: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	dn, ok1 := Duration(FormatWAV, normal.Data)
	ds, ok2 := Duration(FormatWAV, slow.Data)
	if normal.Engine != "espeak" || normal.ContentType != "audio/wav" || !ok1 || !ok2 || dn < time.Second || ds <= dn {
		t.Errorf("espeak: %s %s normal %v slow %v", normal.Engine, normal.ContentType, dn, ds)
	}
	// A text that looks like an option is read, not obeyed.
	if _, err := s.Speak(context.Background(), SpeakRequest{Text: "--help"}); err != nil {
		t.Errorf("text starting with --: %v", err)
	}
}

// TestSpeakServerDownFallsBackToEspeak: a speech server that is down or slow costs at most the
// timeout, and espeak-ng speaks instead.
func TestSpeakServerDownFallsBackToEspeak(t *testing.T) {
	t.Parallel()
	espeakOrSkip(t)
	slow := newFakeAudioServer(t)
	slow.set(func(f *fakeAudioServer) { f.delay = 5 * time.Second })
	s := newService(t, Config{SpeechBaseURL: slow.URL(), Espeak: "espeak-ng", Timeout: 200 * time.Millisecond})
	a, err := s.Speak(context.Background(), SpeakRequest{Text: "您好"})
	if err != nil || a.Engine != "espeak" {
		t.Errorf("engine %q, %v", a.Engine, err)
	}
}

// TestSpeakServerDownNoEspeak: without espeak-ng, a server that is down is voice_unavailable.
func TestSpeakServerDownNoEspeak(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	_, err := newService(t, Config{SpeechBaseURL: down}).Speak(context.Background(), SpeakRequest{Text: "您好"})
	wantKind(t, "down", err, apperr.VoiceUnavailable)
}

func TestAudioCacheIsBoundedLRU(t *testing.T) {
	t.Parallel()
	c := newAudioCache(1000)
	put := func(k string, n int) { c.put(k, Audio{Data: make([]byte, n)}) }
	put("a", 200)
	put("b", 200)
	put("c", 200)
	c.get("a") // a is now the most recent
	put("d", 240)
	put("e", 240) // over 1000: b goes first, then c
	if _, ok := c.get("b"); ok {
		t.Error("b kept")
	}
	if _, ok := c.get("a"); !ok {
		t.Error("recently used a evicted")
	}
	put("huge", 300) // more than a quarter of the bound: not kept
	if _, ok := c.get("huge"); ok {
		t.Error("oversized entry kept")
	}
	if size, _, _, _ := c.stats(); size > 1000 {
		t.Errorf("cache holds %d bytes", size)
	}
}

func TestSettingsRules(t *testing.T) {
	t.Parallel()
	var s Settings
	if e := s.Effective(true); e.Rate != ElderRate || e.TextSize != TextLarge || e.Voice != VoiceFemale {
		t.Errorf("elder defaults %+v", e)
	}
	if e := s.Effective(false); e.Rate != 1 || e.TextSize != TextNormal {
		t.Errorf("defaults %+v", e)
	}
	if r := s.Slower(true).Rate; r != 0.7 {
		t.Errorf("slower in elder mode: %v", r)
	}
	if r := s.Faster(false).Rate; r != 1.1 {
		t.Errorf("faster: %v", r)
	}
	slow := Settings{Rate: MinRate}
	if r := slow.Slower(false).Rate; r != MinRate {
		t.Errorf("below the slowest: %v", r)
	}
	if ts := s.Larger(false).Larger(false).Larger(false).TextSize; ts != TextXLarge {
		t.Errorf("larger: %v", ts)
	}
	if ts := s.Smaller(true).TextSize; ts != TextNormal {
		t.Errorf("smaller in elder mode: %v", ts)
	}
	for _, bad := range []Settings{{Rate: 0.2}, {Rate: 3}, {Voice: "robot"}, {TextSize: "huge"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestSettingsStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := NewSettingsStore(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, found, err := st.Settings(ctx, "p1"); err != nil || found {
			t.Fatalf("new person: %v %v", found, err)
		}
		want := Settings{Rate: 0.7, Voice: VoiceMale, TextSize: TextXLarge}
		if err := st.SaveSettings(ctx, "p1", want); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveSettings(ctx, "p1", Settings{Rate: 0.6, Voice: VoiceMale, TextSize: TextXLarge}); err != nil {
			t.Fatal(err)
		}
		got, found, err := st.Settings(ctx, "p1")
		if err != nil || !found || got != (Settings{Rate: 0.6, Voice: VoiceMale, TextSize: TextXLarge}) {
			t.Errorf("got %+v %v %v", got, found, err)
		}
		if err := st.SaveSettings(ctx, "p2", Settings{Rate: 9}); err == nil {
			t.Error("rate 9 saved")
		}
		// Migrations run twice are a no-op.
		if _, err := NewSettingsStore(ctx, d); err != nil {
			t.Fatal(err)
		}
	})
}
