package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/beijing"
)

// Preferences are what a person chose: kinds switched off and quiet hours (Beijing time).
type Preferences struct {
	Kinds      map[Kind]bool `json:"kinds"`       // every kind, true = on
	QuietStart string        `json:"quiet_start"` // "21:00"
	QuietEnd   string        `json:"quiet_end"`   // "08:00"; equal to start = no quiet hours
}

type settings struct {
	disabled   map[Kind]bool
	start, end int // minutes after midnight
}

func (s *Service) settings(ctx context.Context, person string) (settings, error) {
	m, err := s.settingsOf(ctx, []string{person})
	return m[person], err
}

// settingsOf is the settings of people (the defaults for those who saved none), by person.
func (s *Service) settingsOf(ctx context.Context, people []string) (map[string]settings, error) {
	out := make(map[string]settings, len(people))
	for _, p := range people {
		out[p] = settings{disabled: map[Kind]bool{}, start: s.opts.QuietStart, end: s.opts.QuietEnd}
	}
	if len(people) == 0 {
		return out, nil
	}
	in, args := inList("person", people)
	rows, err := s.db.QueryPrepared(ctx, `SELECT person, disabled, quiet_start, quiet_end FROM notify_settings WHERE `+in, args...)
	if err != nil {
		return nil, fmt.Errorf("notify: settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var person, dis string
		st := settings{disabled: map[Kind]bool{}}
		if err := rows.Scan(&person, &dis, &st.start, &st.end); err != nil {
			return nil, fmt.Errorf("notify: settings: %w", err)
		}
		for _, k := range strings.Split(dis, ",") {
			if k != "" {
				st.disabled[Kind(k)] = true
			}
		}
		out[person] = st
	}
	return out, rows.Err()
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseHHMM(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Preferences returns person's preferences (the defaults when none were saved).
func (s *Service) Preferences(ctx context.Context, person string) (Preferences, error) {
	st, err := s.settings(ctx, person)
	if err != nil {
		return Preferences{}, err
	}
	p := Preferences{Kinds: map[Kind]bool{}, QuietStart: hhmm(st.start), QuietEnd: hhmm(st.end)}
	for _, k := range Kinds() {
		p.Kinds[k] = !st.disabled[k]
	}
	return p, nil
}

// SetPreferences saves person's preferences; kinds not named keep their setting.
func (s *Service) SetPreferences(ctx context.Context, person string, p Preferences) (Preferences, error) {
	st, err := s.settings(ctx, person)
	if err != nil {
		return Preferences{}, err
	}
	for k, on := range p.Kinds {
		if !k.Valid() {
			return Preferences{}, apperr.Newf(apperr.InvalidPreferences, "未知的通知类型：%s。", k)
		}
		st.disabled[k] = !on
	}
	if p.QuietStart != "" || p.QuietEnd != "" {
		a, ok1 := parseHHMM(p.QuietStart)
		b, ok2 := parseHHMM(p.QuietEnd)
		if !ok1 || !ok2 {
			return Preferences{}, apperr.New(apperr.InvalidPreferences, "免打扰时间格式应为 HH:MM，例如 21:00。")
		}
		st.start, st.end = a, b
	}
	if err := s.saveSettings(ctx, person, st); err != nil {
		return Preferences{}, err
	}
	return s.Preferences(ctx, person)
}

func (s *Service) saveSettings(ctx context.Context, person string, st settings) error {
	var dis []string
	for _, k := range Kinds() {
		if st.disabled[k] {
			dis = append(dis, string(k))
		}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO notify_settings (person, disabled, quiet_start, quiet_end, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (person) DO UPDATE SET disabled = excluded.disabled, quiet_start = excluded.quiet_start,
			quiet_end = excluded.quiet_end, updated_at = excluded.updated_at`,
		person, strings.Join(dis, ","), st.start, st.end, s.now().UnixMicro())
	if err != nil {
		return fmt.Errorf("notify: save settings: %w", err)
	}
	return nil
}

// quietWait is how long until the quiet window [start, end) (minutes, Beijing time) ends, or 0
// when t is outside it. A window may wrap midnight (21:00–08:00).
func quietWait(t time.Time, start, end int) time.Duration {
	if start == end {
		return 0
	}
	bt := beijing.In(t)
	m := bt.Hour()*60 + bt.Minute()
	in := (start < end && m >= start && m < end) || (start > end && (m >= start || m < end))
	if !in {
		return 0
	}
	day := time.Date(bt.Year(), bt.Month(), bt.Day(), 0, 0, 0, 0, beijing.Location())
	open := day.Add(time.Duration(end) * time.Minute)
	if !open.After(bt) {
		open = open.AddDate(0, 0, 1)
	}
	return open.Sub(bt)
}

// UnsubscribeToken is the signed token of the one-tap link in every payload: it turns kind off
// for person, needs no sign-in and never expires (a link in an old notification still works).
func (s *Service) UnsubscribeToken(person string, k Kind) string {
	body := base64.RawURLEncoding.EncodeToString([]byte(person + "\x00" + string(k)))
	m := hmac.New(sha256.New, s.unsub)
	m.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// UnsubscribeByToken turns off the kind named in a token made by UnsubscribeToken.
func (s *Service) UnsubscribeByToken(ctx context.Context, token string) (Kind, error) {
	body, sig, ok := strings.Cut(token, ".")
	bad := apperr.New(apperr.InvalidUnsubscribeToken, "")
	if !ok {
		return "", bad
	}
	m := hmac.New(sha256.New, s.unsub)
	m.Write([]byte(body))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", bad
	}
	person, kind, ok := strings.Cut(string(raw), "\x00")
	if !ok || !Kind(kind).Valid() || person == "" {
		return "", bad
	}
	if _, err := s.SetPreferences(ctx, person, Preferences{Kinds: map[Kind]bool{Kind(kind): false}}); err != nil {
		return "", err
	}
	return Kind(kind), nil
}
