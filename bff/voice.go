package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/assistant/voice"
	"shebao/internal/apperr"
)

// VoiceSettings stores each signed-in person's voice settings (voice.SettingsStore).
type VoiceSettings interface {
	Settings(ctx context.Context, subject string) (voice.Settings, bool, error)
	SaveSettings(ctx context.Context, subject string, s voice.Settings) error
}

// voiceRoutes: transcription, speech and the person's voice settings. Kept in this file, apart
// from the profile routes, so that the two merge without touching each other.
func (s *Server) voiceRoutes(v1 fiber.Router) {
	v1.Post("/voice/transcribe", s.transcribe)
	v1.Post("/voice/speak", s.speakPost)
	v1.Get("/voice/speak", s.speakGet)
	v1.Get("/me/voice", s.getMyVoice)
	v1.Patch("/me/voice", s.patchMyVoice)
}

// transcribe answers POST /api/v1/voice/transcribe: the recording as the body (any audio
// Content-Type) or as the "file" field of a multipart form, the way browsers upload a Blob. The
// format is read from the bytes, not from what the client declared.
func (s *Server) transcribe(c *fiber.Ctx) error {
	if s.Voice == nil {
		return apperr.New(apperr.VoiceUnavailable, "")
	}
	maxBytes, _ := s.Voice.Limits()
	if n := c.Request().Header.ContentLength(); n > maxBytes+64<<10 { // room for multipart framing
		return apperr.Newf(apperr.AudioTooLarge, "录音文件太大，请不要超过%dMB。", max(1, maxBytes>>20))
	}
	audio := c.Body()
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			return apperr.New(apperr.AudioEmpty, "请在表单的 file 字段上传录音。")
		}
		if fh.Size > int64(maxBytes) {
			return apperr.Newf(apperr.AudioTooLarge, "录音文件太大，请不要超过%dMB。", max(1, maxBytes>>20))
		}
		f, err := fh.Open()
		if err != nil {
			return apperr.Wrap(apperr.InvalidBody, "", err)
		}
		defer f.Close()
		audio, err = io.ReadAll(io.LimitReader(f, int64(maxBytes)+1))
		if err != nil {
			return apperr.Wrap(apperr.InvalidBody, "", err)
		}
	}
	tr, err := s.Voice.Transcribe(c.UserContext(), bytes.Clone(audio))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(tr)
}

// speakBody is the body of POST /api/v1/voice/speak. Rate and voice default to the caller's
// settings (signed in) or the defaults (elder: the elder defaults).
type speakBody struct {
	Text  string  `json:"text"`
	Rate  float64 `json:"rate"`
	Voice string  `json:"voice"`
	Elder bool    `json:"elder"`
}

func (s *Server) speakPost(c *fiber.Ctx) error {
	var b speakBody
	if err := json.Unmarshal(c.Body(), &b); err != nil {
		return apperr.Wrap(apperr.InvalidBody, "", err)
	}
	return s.speak(c, b)
}

// speakGet is the same as a GET, so that an <audio src> can play an answer's audio_url and HTTP
// caches can keep it.
func (s *Server) speakGet(c *fiber.Ctx) error {
	b := speakBody{Text: c.Query("text"), Voice: c.Query("voice"), Elder: c.QueryBool("elder")}
	if r := c.Query("rate"); r != "" {
		v, err := strconv.ParseFloat(r, 64)
		if err != nil {
			return apperr.New(apperr.VoiceSettingsInvalid, "语速参数 rate 应为0.5到2之间的数。")
		}
		b.Rate = v
	}
	return s.speak(c, b)
}

func (s *Server) speak(c *fiber.Ctx, b speakBody) error {
	if s.Voice == nil {
		return apperr.New(apperr.VoiceUnavailable, "")
	}
	if err := (voice.Settings{Rate: b.Rate, Voice: b.Voice}).Validate(); err != nil {
		return apperr.New(apperr.VoiceSettingsInvalid, "").WithDetails(map[string]string{"reason": err.Error()})
	}
	set, err := s.voiceSettingsOf(c)
	if err != nil {
		return err
	}
	eff := set.Effective(b.Elder)
	if b.Rate == 0 {
		b.Rate = eff.Rate
	}
	if b.Voice == "" {
		b.Voice = eff.Voice
	}
	a, err := s.Voice.Speak(c.UserContext(), voice.SpeakRequest{Text: b.Text, Rate: b.Rate, Voice: b.Voice})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	c.Set("X-Voice-Engine", a.Engine)
	c.Set("X-Voice-Cache", map[bool]string{true: "hit", false: "miss"}[a.Cached])
	return c.Send(a.Data)
}

// voiceSettingsOf returns the signed-in caller's stored settings, or none for anonymous callers
// (whose settings live in their chat session only).
func (s *Server) voiceSettingsOf(c *fiber.Ctx) (voice.Settings, error) {
	p := principal(c)
	if p.Subject == "" || s.VoiceSettings == nil {
		return voice.Settings{}, nil
	}
	set, _, err := s.VoiceSettings.Settings(c.UserContext(), p.Subject)
	return set, err
}

// myVoice is the answer of GET and PATCH /api/v1/me/voice: the settings in force and what the
// person chose (empty fields: the default).
type myVoice struct {
	voice.Settings
	Chosen voice.Settings `json:"chosen"`
}

func (s *Server) myVoiceStore(c *fiber.Ctx) (string, error) {
	p := principal(c)
	if p.Subject == "" {
		return "", apperr.New(apperr.Unauthenticated, "登录后才能保存语音设置；未登录时可以在对话里说“说慢一点”。")
	}
	if s.VoiceSettings == nil {
		return "", apperr.New(apperr.Unavailable, "")
	}
	return p.Subject, nil
}

func (s *Server) getMyVoice(c *fiber.Ctx) error {
	subject, err := s.myVoiceStore(c)
	if err != nil {
		return err
	}
	set, _, err := s.VoiceSettings.Settings(c.UserContext(), subject)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(myVoice{Settings: set.Effective(c.QueryBool("elder")), Chosen: set})
}

// voicePatch is the body of PATCH /api/v1/me/voice: fields left out keep their value; an empty
// string or 0 goes back to the default.
type voicePatch struct {
	Rate     *float64 `json:"rate"`
	Voice    *string  `json:"voice"`
	TextSize *string  `json:"text_size"`
}

func (s *Server) patchMyVoice(c *fiber.Ctx) error {
	subject, err := s.myVoiceStore(c)
	if err != nil {
		return err
	}
	var p voicePatch
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return apperr.Wrap(apperr.InvalidBody, "", err)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	set, _, err := s.VoiceSettings.Settings(ctx, subject)
	if err != nil {
		return err
	}
	if p.Rate != nil {
		set.Rate = *p.Rate
	}
	if p.Voice != nil {
		set.Voice = *p.Voice
	}
	if p.TextSize != nil {
		set.TextSize = *p.TextSize
	}
	if err := set.Validate(); err != nil {
		return apperr.New(apperr.VoiceSettingsInvalid, "").WithDetails(map[string]string{"reason": err.Error()})
	}
	if err := s.VoiceSettings.SaveSettings(ctx, subject, set); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(myVoice{Settings: set.Effective(c.QueryBool("elder")), Chosen: set})
}
