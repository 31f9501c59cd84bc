package assistant

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"shebao/assistant/voice"
	"shebao/internal/apperr"
)

// Voice is what the chat needs of the voice service (voice.Service): transcribing audio
// messages and making the answers' audio.
type Voice interface {
	CanTranscribe() bool
	CanSpeak() bool
	Transcribe(ctx context.Context, audio []byte) (voice.Transcript, error)
	Speak(ctx context.Context, r voice.SpeakRequest) (voice.Audio, error)
}

// VoiceSettingsStore remembers the voice settings of signed-in people (voice.SettingsStore).
type VoiceSettingsStore interface {
	Settings(ctx context.Context, subject string) (voice.Settings, bool, error)
	SaveSettings(ctx context.Context, subject string, s voice.Settings) error
}

// RouteSettings is a turn that changed the voice settings ("说慢一点").
const RouteSettings Route = "settings"

// voiceCommand is one thing a person can say to change how the app speaks and shows text.
type voiceCommand struct {
	cues    []string
	change  func(s voice.Settings, elder bool) voice.Settings
	reply   string // said after the change
	atLimit string // said when the setting is already at its end
}

var voiceCommands = []voiceCommand{
	{[]string{"说慢一点", "说慢点", "慢一点说", "慢点说", "说得慢一点", "说得慢点", "讲慢一点", "讲慢点", "慢点讲", "再慢一点", "说慢一些", "说太快了", "讲太快了", "说得太快"},
		voice.Settings.Slower, "好的，我说慢一点。", "已经是最慢的语速了。"},
	{[]string{"说快一点", "说快点", "快一点说", "快点说", "说得快一点", "说得快点", "讲快一点", "讲快点", "再快一点", "说快一些", "说太慢了", "讲太慢了", "说得太慢"},
		voice.Settings.Faster, "好的，我说快一点。", "已经是最快的语速了。"},
	{[]string{"字大一点", "字大点", "字体大一点", "字再大一点", "字太小", "字看不清", "看不清字", "字放大", "大点字"},
		voice.Settings.Larger, "好的，字大一点了。", "字已经是最大的了。"},
	{[]string{"字小一点", "字小点", "字体小一点", "字太大", "字再小一点"},
		voice.Settings.Smaller, "好的，字小一点了。", "字已经是最小的了。"},
}

// detectVoiceCommand finds a voice command in a short message: "说慢一点", "请你说慢点好吗".
// Longer messages are questions that happen to hold the words.
func detectVoiceCommand(text string) *voiceCommand {
	if utf8.RuneCountInString(text) > 14 {
		return nil
	}
	for i := range voiceCommands {
		if containsAny(text, voiceCommands[i].cues) {
			return &voiceCommands[i]
		}
	}
	return nil
}

// voiceSettings changes the voice settings when the person asks, before anything else is
// answered: in the session for everyone, and remembered for a signed-in person.
func (t *turn) voiceSettings() (Answer, bool) {
	cmd := detectVoiceCommand(t.masked.Text)
	if cmd == nil {
		return Answer{}, false
	}
	elder := t.state.ElderMode
	old := t.state.Voice
	changed := cmd.change(old, elder)
	eff := changed.Effective(elder)
	text := cmd.reply
	if eff == old.Effective(elder) {
		text = cmd.atLimit
	}
	t.state.Voice = changed
	if st := t.svc.opts.VoiceSettings; st != nil && t.subject != "" {
		if err := st.SaveSettings(t.ctx, t.subject, changed); err != nil {
			t.svc.log.Error("save voice settings", "user", userRef(t.subject), "err", err)
		}
	}
	return Answer{Route: RouteSettings, Text: text, Voice: &eff, Suggestions: []string{"说慢一点", "说快一点", "字大一点"}}, true
}

// loadVoiceSettings puts a signed-in person's stored settings into the session at hello.
func (s *Service) loadVoiceSettings(ctx context.Context, subject string) (voice.Settings, bool) {
	if s.opts.VoiceSettings == nil || subject == "" {
		return voice.Settings{}, false
	}
	set, found, err := s.opts.VoiceSettings.Settings(ctx, subject)
	if err != nil {
		s.log.Error("load voice settings", "user", userRef(subject), "err", err)
		return voice.Settings{}, false
	}
	return set, found
}

// attachAudio makes the answer's audio when the client asked for speech, within the speech
// timeout: the audio is cached by the voice service and fetched from audio_url. A speech
// server that is down or slow leaves the answer as text, with audio_error voice_unavailable.
func (s *Service) attachAudio(ctx context.Context, st *sessionState, a *Answer) {
	if !st.Speech || a.Speakable == "" {
		return
	}
	if s.opts.Voice == nil || !s.opts.Voice.CanSpeak() {
		a.AudioError = apperr.VoiceUnavailable.Code
		return
	}
	eff := st.Voice.Effective(st.ElderMode)
	ctx, cancel := context.WithTimeout(ctx, s.limits.SpeechTimeout)
	defer cancel()
	if _, err := s.opts.Voice.Speak(ctx, voice.SpeakRequest{Text: a.Speakable, Rate: eff.Rate, Voice: eff.Voice}); err != nil {
		s.log.Warn("answer audio unavailable; sending text only", "err", err)
		a.AudioError = apperr.VoiceUnavailable.Code
		return
	}
	a.AudioURL = SpeakPath + "?" + url.Values{"text": {a.Speakable}, "rate": {strconv.FormatFloat(eff.Rate, 'f', -1, 64)},
		"voice": {eff.Voice}}.Encode()
}

// SpeakPath is the route that plays a text (GET, for audio_url).
const SpeakPath = "/api/v1/voice/speak"

// MaxAudioChunkBytes is the most audio one audio frame carries (decoded), so that the frame,
// base64 and JSON included, stays within the 8 KiB frame limit.
const MaxAudioChunkBytes = 6000

// audioUpload is an audio message being assembled from audio frames; reader goroutine only.
type audioUpload struct {
	id      string
	data    []byte
	dropped bool // refused: the remaining frames of this id are ignored
}

// audio takes one audio frame: appends its data to the message with its id, and on the final
// frame starts the turn that transcribes it.
func (c *conn) audio(f ClientFrame) {
	s := c.svc
	if f.ID == "" {
		c.badFrame("")
		return
	}
	up := c.upload
	if up == nil || up.id != f.ID {
		up = &audioUpload{id: f.ID} // a new recording replaces one never finished
		c.upload = up
		if s.opts.Voice == nil || !s.opts.Voice.CanTranscribe() {
			up.dropped = true
			c.reply(newError(apperr.VoiceUnavailable, f.ID))
		}
	}
	if up.dropped {
		if f.Final {
			c.upload = nil
		}
		return
	}
	chunk, err := base64.StdEncoding.DecodeString(f.Data)
	if err != nil || len(chunk) > MaxAudioChunkBytes {
		up.dropped = true
		c.badFrame(f.ID)
		return
	}
	if len(up.data)+len(chunk) > c.maxAudio() {
		up.dropped = true
		c.reply(newError(apperr.AudioTooLarge, f.ID))
		return
	}
	up.data = append(up.data, chunk...)
	if !f.Final {
		return
	}
	c.upload = nil
	if len(up.data) == 0 {
		c.reply(newError(apperr.AudioEmpty, f.ID))
		return
	}
	c.message(ClientFrame{Type: FrameMessage, ID: f.ID}, up.data)
}

// maxAudio is the most bytes of one audio message.
func (c *conn) maxAudio() int { return c.svc.limits.MaxAudioBytes }

// hear transcribes an audio message and tells the client what was heard. When nothing usable was
// heard it returns the event that says so (heard false, or an error) instead of sending it: no
// turn runs, and the caller ends the turn first, so that a client answering 没听清 at once by
// speaking again is not told the session is busy.
func (s *Service) hear(ctx context.Context, sess *session, id string, audio []byte) (string, event) {
	tr, err := s.opts.Voice.Transcribe(ctx, audio)
	if err != nil {
		ae, ok := apperr.As(err)
		if !ok {
			ae = apperr.Wrap(apperr.VoiceUnavailable, "", err)
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			ae = apperr.New(apperr.Cancelled, "")
		}
		return "", errorEvent(ae, id)
	}
	ev := &HeardEvent{eventHeader: eventHeader{Type: EventHeard}, ReplyTo: id, Heard: tr.Heard, Text: tr.Text}
	if !tr.Heard {
		ev.Message = voice.NotHeard
		ev.Speakable = strings.TrimSuffix(voice.NotHeard, "。") + "。"
		return "", ev
	}
	s.sendTransient(sess, ev)
	return tr.Text, nil
}

// FixedSpeakables are the fixed replies as they are said, in plain or elder wording (with the
// elder closing questions): what the speech cache is warmed with, so that the common replies
// cost nothing.
func FixedSpeakables(elder bool) []string {
	var out []string
	for plain, e := range elderReplies {
		if elder {
			out = append(out, Speakable(e))
		} else {
			out = append(out, Speakable(plain))
		}
	}
	out = append(out, Speakable(voice.NotHeard))
	if elder {
		out = append(out, Speakable(elderAskDone), Speakable(elderAskMore))
	}
	for _, c := range voiceCommands {
		out = append(out, Speakable(c.reply), Speakable(c.atLimit))
	}
	return out
}
