package voice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"shebao/internal/db"
)

// The app's voices.
const (
	VoiceFemale = "female"
	VoiceMale   = "male"
)

// Text size hints for the client.
const (
	TextNormal = "normal"
	TextLarge  = "large"
	TextXLarge = "x-large"
)

var textSizes = []string{TextNormal, TextLarge, TextXLarge}

// Rates: the slowest and fastest speech, the step of "说慢一点", and the default of elder mode.
const (
	MinRate   = 0.5
	MaxRate   = 2.0
	RateStep  = 0.1
	ElderRate = 0.8
)

// Settings are one person's voice settings. Zero fields mean "not chosen": Effective fills them
// with the defaults, which depend on elder mode.
type Settings struct {
	Rate     float64 `json:"rate,omitempty"`      // speech speed factor, 1 = normal
	Voice    string  `json:"voice,omitempty"`     // female or male
	TextSize string  `json:"text_size,omitempty"` // normal, large or x-large: a hint for the client
}

// Effective is s with the defaults filled in: rate 1 (0.8 in elder mode), the female voice,
// normal text (large in elder mode).
func (s Settings) Effective(elder bool) Settings {
	if s.Rate == 0 {
		s.Rate = 1
		if elder {
			s.Rate = ElderRate
		}
	}
	if s.Voice == "" {
		s.Voice = VoiceFemale
	}
	if s.TextSize == "" {
		s.TextSize = TextNormal
		if elder {
			s.TextSize = TextLarge
		}
	}
	return s
}

// Validate reports the first setting out of range.
func (s Settings) Validate() error {
	if s.Rate != 0 && (s.Rate < MinRate || s.Rate > MaxRate || math.IsNaN(s.Rate)) {
		return fmt.Errorf("rate must be between %.1f and %.1f", MinRate, MaxRate)
	}
	if s.Voice != "" && s.Voice != VoiceFemale && s.Voice != VoiceMale {
		return fmt.Errorf("voice must be %s or %s", VoiceFemale, VoiceMale)
	}
	if s.TextSize != "" && indexOf(textSizes, s.TextSize) < 0 {
		return fmt.Errorf("text_size must be normal, large or x-large")
	}
	return nil
}

// Slower, Faster and Larger are what "说慢一点", "说快一点" and "字大一点" do, from the effective
// settings; Smaller is "字小一点". Each stops at the end of its range.
func (s Settings) Slower(elder bool) Settings {
	e := s.Effective(elder)
	s.Rate = clampRate(e.Rate - RateStep)
	return s
}

// Faster is the opposite of Slower.
func (s Settings) Faster(elder bool) Settings {
	e := s.Effective(elder)
	s.Rate = clampRate(e.Rate + RateStep)
	return s
}

// Larger makes the text one size larger.
func (s Settings) Larger(elder bool) Settings {
	i := indexOf(textSizes, s.Effective(elder).TextSize)
	s.TextSize = textSizes[min(i+1, len(textSizes)-1)]
	return s
}

// Smaller makes the text one size smaller.
func (s Settings) Smaller(elder bool) Settings {
	i := indexOf(textSizes, s.Effective(elder).TextSize)
	s.TextSize = textSizes[max(i-1, 0)]
	return s
}

func clampRate(r float64) float64 {
	r = math.Round(r*100) / 100
	return math.Min(MaxRate, math.Max(MinRate, r))
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// Migrations are the voice settings table, its own so that it stays apart from the profile.
// The rate is stored in percent so that one integer column serves both dialects.
var Migrations = []db.Migration{{
	Name: "voice settings",
	SQL: `CREATE TABLE voice_settings (
	subject TEXT PRIMARY KEY,
	rate_percent INTEGER NOT NULL DEFAULT 0,
	voice TEXT NOT NULL DEFAULT '',
	text_size TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL
);`,
}}

// SettingsStore remembers the voice settings of signed-in people, keyed by their subject.
type SettingsStore struct {
	db  *db.DB
	now func() time.Time
}

// NewSettingsStore runs the migrations and returns the store.
func NewSettingsStore(ctx context.Context, d *db.DB) (*SettingsStore, error) {
	if err := d.Migrate(ctx, "voice", Migrations); err != nil {
		return nil, fmt.Errorf("voice: %w", err)
	}
	return &SettingsStore{db: d, now: time.Now}, nil
}

// Settings returns the stored settings of subject; found is false (and the settings zero) when
// the person never chose any.
func (st *SettingsStore) Settings(ctx context.Context, subject string) (Settings, bool, error) {
	var s Settings
	var pct int
	err := st.db.QueryRow(ctx, `SELECT rate_percent, voice, text_size FROM voice_settings WHERE subject = ?`, subject).
		Scan(&pct, &s.Voice, &s.TextSize)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, fmt.Errorf("load voice settings: %w", err)
	}
	s.Rate = float64(pct) / 100
	return s, true, nil
}

// SaveSettings stores the settings of subject, replacing what was there.
func (st *SettingsStore) SaveSettings(ctx context.Context, subject string, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	_, err := st.db.Exec(ctx, `INSERT INTO voice_settings (subject, rate_percent, voice, text_size, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET rate_percent = excluded.rate_percent, voice = excluded.voice,
		text_size = excluded.text_size, updated_at = excluded.updated_at`,
		subject, int(math.Round(s.Rate*100)), s.Voice, s.TextSize, st.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save voice settings: %w", err)
	}
	return nil
}
