package voice

import (
	"os/exec"
	"testing"
	"time"

	"shebao/internal/apperr"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		b    []byte
		want Format
	}{
		{"wav", wavBytes(0.1), FormatWAV},
		{"ogg", oggOpusBytes(1), FormatOgg},
		{"webm", webmBytes(1, false), FormatWebM},
		{"mp4", mp4Bytes(1), FormatMP4},
		{"adts", []byte{0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC}, FormatAAC},
		{"mp3 id3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), FormatMP3},
		{"mp3 frame", []byte{0xFF, 0xFB, 0x90, 0x64}, FormatMP3},
	} {
		if got, ok := Sniff(c.b); !ok || got != c.want {
			t.Errorf("%s: Sniff = %q, %v", c.name, got, ok)
		}
	}
	for _, bad := range [][]byte{nil, []byte("hello"), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), []byte("%PDF-1.7"),
		[]byte("RIFF\x00\x00\x00\x00AVI "), []byte("<html>")} {
		if f, ok := Sniff(bad); ok {
			t.Errorf("Sniff(%q) = %q", bad, f)
		}
	}
}

func TestDurationFromContainers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		f    Format
		b    []byte
		want float64
	}{
		{"wav", FormatWAV, wavBytes(3), 3},
		{"ogg opus", FormatOgg, oggOpusBytes(12.5), 12.5},
		{"webm without duration (Chrome)", FormatWebM, webmBytes(25, false), 25},
		{"webm with duration", FormatWebM, webmBytes(7, true), 7},
		{"mp4", FormatMP4, mp4Bytes(61), 61},
	} {
		d, ok := Duration(c.f, c.b)
		if !ok || d.Seconds() < c.want-0.05 || d.Seconds() > c.want+0.05 {
			t.Errorf("%s: Duration = %v, %v; want %vs", c.name, d, ok, c.want)
		}
	}
	// Damaged or truncated containers say nothing rather than something wrong.
	for _, c := range []struct {
		f Format
		b []byte
	}{{FormatWAV, wavBytes(1)[:30]}, {FormatOgg, []byte("OggS\x00\x00")}, {FormatWebM, []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F}},
		{FormatMP4, []byte("\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00")}, {FormatAAC, []byte{0xFF, 0xF1}}} {
		if d, ok := Duration(c.f, c.b); ok {
			t.Errorf("%s damaged: Duration = %v", c.f, d)
		}
	}
}

// TestCheckAudioBadInput: every kind of bad upload has its own code and status.
func TestCheckAudioBadInput(t *testing.T) {
	t.Parallel()
	s, err := New(Config{MaxAudioBytes: 3 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		b      []byte
		kind   apperr.Kind
		status int
	}{
		{"empty", nil, apperr.AudioEmpty, 400},
		{"silence of no length", wavBytes(0), apperr.AudioEmpty, 400},
		{"too long wav", wavBytes(61), apperr.AudioTooLong, 400},
		{"too long webm", webmBytes(75, false), apperr.AudioTooLong, 400},
		{"too long mp4", mp4Bytes(90), apperr.AudioTooLong, 400},
		{"too large", make([]byte, 3<<20+1), apperr.AudioTooLarge, 413},
		{"not audio", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), apperr.AudioUnsupported, 400},
		{"text", []byte("这不是录音"), apperr.AudioUnsupported, 400},
	} {
		_, _, err := s.CheckAudio(c.b)
		ae, ok := apperr.As(err)
		if !ok || ae.Code != c.kind.Code || ae.Status != c.status {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if f, d, err := s.CheckAudio(wavBytes(59)); err != nil || f != FormatWAV || d < 58*time.Second {
		t.Errorf("59 s WAV refused: %v %v %v", f, d, err)
	}
}

// TestEspeakWAVDuration: the WAV espeak-ng streams to stdout (its sizes left unset) has a
// readable length.
func TestEspeakWAVDuration(t *testing.T) {
	t.Parallel()
	p, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)")
	}
	out, err := exec.Command(p, "-v", "cmn", "--stdout", "您好").Output()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := Duration(FormatWAV, out)
	if !ok || d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("espeak WAV duration %v %v", d, ok)
	}
}
