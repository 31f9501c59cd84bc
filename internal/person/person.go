// Package person is the signed-in person (办事人): the profile they declare or the identity service
// supplies, with the source of each field, the guides they follow, and the reminders that fall due
// for them. 身份证号 and phone are encrypted at rest (AES-256-GCM, see Sealer) and only ever leave
// the package masked.
package person

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/retirement"
	"shebao/internal/spoken"
)

// Source says where a profile field's value came from.
type Source string

// The sources of a profile field.
const (
	Declared Source = "declared" // the person typed or said it
	Identity Source = "identity" // the province's identity service vouched for it (token claims)
	Upstream Source = "upstream" // the 经办 system returned it
)

// Profile is what the app knows about a person. IDNumber and Phone are the masked forms; the
// clear values never leave the store except through Store.Clear for upstream submissions.
type Profile struct {
	Subject       string            `json:"subject"`
	Name          string            `json:"name,omitempty"`
	IDNumber      string            `json:"id_number,omitempty"`   // masked: 610***********123X
	BirthMonth    string            `json:"birth_month,omitempty"` // YYYY-MM
	Sex           string            `json:"sex,omitempty"`         // 男 or 女
	Category      string            `json:"category,omitempty"`    // retirement category: male, female50, female55
	City          string            `json:"city,omitempty"`
	Phone         string            `json:"phone,omitempty"`          // masked: 138****5678
	LastCertified string            `json:"last_certified,omitempty"` // YYYY-MM-DD of the last 养老金领取资格认证
	Sources       map[string]Source `json:"sources"`
	UpdatedAt     time.Time         `json:"updated_at,omitzero"`
}

// Patch is a partial update of a profile: nil fields are left alone, an empty string clears.
type Patch struct {
	Name          *string `json:"name"`
	IDNumber      *string `json:"id_number"`
	BirthMonth    *string `json:"birth_month"`
	Sex           *string `json:"sex"`
	Category      *string `json:"category"`
	City          *string `json:"city"`
	Phone         *string `json:"phone"`
	LastCertified *string `json:"last_certified"`
}

// Problem is one invalid field of a Patch.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// record is a profile row with the clear personal numbers.
type record struct {
	Profile
	id, phone string // clear values
}

// Store keeps profiles and follows.
type Store struct {
	db     *db.DB
	sealer *Sealer
	now    func() time.Time
}

// Options configure a Store.
type Options struct {
	DB *db.DB
	// Key is the base64 AES-256 key from config; empty = generated into the store (development).
	Key string
	Now func() time.Time
}

// Open migrates the person tables and loads the encryption key.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := o.DB.Migrate(ctx, "person", Migrations); err != nil {
		return nil, err
	}
	sl, err := openSealer(ctx, o.DB, o.Key)
	if err != nil {
		return nil, err
	}
	return &Store{db: o.DB, sealer: sl, now: o.Now}, nil
}

// Sealer returns the store's encryption, for other stores that keep personal values (forms).
func (s *Store) Sealer() *Sealer { return s.sealer }

// Profile returns the person's profile; a person never seen before gets an empty one (with the
// name their token carries, sourced to the identity service).
func (s *Store) Profile(ctx context.Context, subject, tokenName string) (Profile, error) {
	r, err := s.load(ctx, subject)
	if err != nil {
		return Profile{}, err
	}
	if r.Name == "" && tokenName != "" {
		r.Name, r.Sources["name"] = tokenName, Identity
	}
	return r.Profile, nil
}

// ElderAge is the age from which the app and the assistant default to elder mode (适老化).
const ElderAge = 65

// Elderly reports whether the person's declared or supplied birth month makes them ElderAge or
// older at now (false when the profile has no birth month or cannot be read).
func (s *Store) Elderly(ctx context.Context, subject string, now time.Time) bool {
	r, err := s.load(ctx, subject)
	if err != nil {
		return false
	}
	return ageAtLeast(r.BirthMonth, ElderAge, now)
}

// ageAtLeast reports whether someone born in birthMonth (YYYY-MM) has turned years by now's
// month; an unreadable month is false.
func ageAtLeast(birthMonth string, years int, now time.Time) bool {
	b, err := time.Parse("2006-01", birthMonth)
	if err != nil {
		return false
	}
	return !b.AddDate(years, 0, 0).After(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC))
}

// Clear returns the person's clear 身份证号 and phone, for a submission to the 经办 system.
func (s *Store) Clear(ctx context.Context, subject string) (id, phone string, err error) {
	r, err := s.load(ctx, subject)
	return r.id, r.phone, err
}

func (s *Store) load(ctx context.Context, subject string) (record, error) {
	r := record{Profile: Profile{Subject: subject, Sources: map[string]Source{}}}
	var idc, phc, sources string
	var updated int64
	err := s.db.QueryRowPrepared(ctx, `SELECT name, id_cipher, birth_month, sex, category, city, phone_cipher, last_certified, sources, updated_at
		FROM person_profiles WHERE subject = ?`, subject).Scan(&r.Name, &idc, &r.BirthMonth, &r.Sex, &r.Category, &r.City, &phc, &r.LastCertified, &sources, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("person: load profile: %w", err)
	}
	if r.id, err = s.sealer.OpenString(idc); err != nil {
		return r, err
	}
	if r.phone, err = s.sealer.OpenString(phc); err != nil {
		return r, err
	}
	r.IDNumber, r.Phone = MaskID(r.id), MaskPhone(r.phone)
	r.Sources = decodeSources(sources)
	r.UpdatedAt = time.UnixMicro(updated).UTC()
	return r, nil
}

// Update applies a patch the person declared, or one from another source (identity, upstream),
// and returns the new profile. Invalid fields make a profile_invalid error listing each.
func (s *Store) Update(ctx context.Context, subject string, p Patch, src Source) (Profile, error) {
	var out Profile
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := s.load(ctx, subject)
		if err != nil {
			return err
		}
		if err := apply(&r, p, src, s.now()); err != nil {
			return err
		}
		idc, err := s.sealer.SealString(r.id)
		if err != nil {
			return err
		}
		phc, err := s.sealer.SealString(r.phone)
		if err != nil {
			return err
		}
		now := s.now()
		_, err = tx.Exec(ctx, `INSERT INTO person_profiles (subject, name, id_cipher, birth_month, sex, category, city, phone_cipher, last_certified, sources, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (subject) DO UPDATE SET name = excluded.name, id_cipher = excluded.id_cipher, birth_month = excluded.birth_month,
			sex = excluded.sex, category = excluded.category, city = excluded.city, phone_cipher = excluded.phone_cipher,
			last_certified = excluded.last_certified, sources = excluded.sources, updated_at = excluded.updated_at`,
			subject, r.Name, idc, r.BirthMonth, r.Sex, r.Category, r.City, phc, r.LastCertified, encodeSources(r.Sources), now.UnixMicro())
		if err != nil {
			return fmt.Errorf("person: save profile: %w", err)
		}
		r.IDNumber, r.Phone, r.UpdatedAt = MaskID(r.id), MaskPhone(r.phone), now.UTC()
		out = r.Profile
		return nil
	})
	return out, err
}

// apply validates p and writes it into r. A 身份证号 also gives the birth month and sex (when
// the patch does not say them), sourced like the number.
func apply(r *record, p Patch, src Source, now time.Time) error {
	var ps []Problem
	bad := func(f, m string) { ps = append(ps, Problem{f, m}) }
	set := func(field string, dst *string, v string) {
		*dst = v
		if v == "" {
			delete(r.Sources, field)
		} else {
			r.Sources[field] = src
		}
	}
	if p.Name != nil {
		v := strings.TrimSpace(*p.Name)
		if n := utf8.RuneCountInString(v); v != "" && (n < 2 || n > 20) {
			bad("name", "姓名应为2到20个字")
		} else {
			set("name", &r.Name, v)
		}
	}
	if p.IDNumber != nil {
		v := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(*p.IDNumber), " ", ""))
		switch {
		case v == "":
			set("id_number", &r.id, "")
		case !spoken.ValidID(v):
			bad("id_number", "身份证号码不正确，请核对18位号码（含最后一位校验码）")
		default:
			set("id_number", &r.id, v)
			if b, ok := spoken.IDBirth(v); ok && p.BirthMonth == nil {
				set("birth_month", &r.BirthMonth, fmt.Sprintf("%04d-%02d", b.Year, b.Month))
			}
			if p.Sex == nil {
				set("sex", &r.Sex, map[bool]string{true: "男", false: "女"}[spoken.IDMale(v)])
			}
		}
	}
	if p.BirthMonth != nil {
		v := strings.TrimSpace(*p.BirthMonth)
		if v != "" {
			ym, err := retirement.ParseYearMonth(v)
			if err == nil {
				err = retirement.ValidateBirth(ym, now)
			}
			if err != nil {
				bad("birth_month", "出生年月应为真实的年月，格式如 1965-03")
			} else {
				set("birth_month", &r.BirthMonth, ym.String())
			}
		} else {
			set("birth_month", &r.BirthMonth, "")
		}
	}
	if p.Sex != nil {
		switch v := strings.TrimSpace(*p.Sex); v {
		case "男", "male":
			set("sex", &r.Sex, "男")
		case "女", "female":
			set("sex", &r.Sex, "女")
		case "":
			set("sex", &r.Sex, "")
		default:
			bad("sex", "性别应为男或女")
		}
	}
	if p.Category != nil {
		v := strings.TrimSpace(*p.Category)
		if _, err := retirement.ParseCategory(v); v != "" && err != nil {
			bad("category", "人员类别应为 male（男职工）、female55（原55岁退休的女职工）或 female50（原50岁退休的女职工）")
		} else {
			set("category", &r.Category, v)
		}
	}
	if p.City != nil {
		v := strings.TrimSpace(*p.City)
		if utf8.RuneCountInString(v) > 20 {
			bad("city", "城市名称不超过20个字")
		} else {
			set("city", &r.City, v)
		}
	}
	if p.Phone != nil {
		v := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(*p.Phone))
		if v != "" && !ValidMobile(v) {
			bad("phone", "手机号应为11位数字，以1开头")
		} else {
			set("phone", &r.phone, v)
		}
	}
	if p.LastCertified != nil {
		v := strings.TrimSpace(*p.LastCertified)
		if t, err := time.Parse("2006-01-02", v); v != "" && (err != nil || t.After(now)) {
			bad("last_certified", "上次认证日期应为不晚于今天的日期，格式如 2026-03-15")
		} else {
			set("last_certified", &r.LastCertified, v)
		}
	}
	if len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.Message
		}
		return apperr.New(apperr.ProfileInvalid, "个人信息填写不正确："+strings.Join(msgs, "；")+"。").WithDetails(ps)
	}
	return nil
}

// ValidMobile reports whether s is an 11-digit mainland mobile number (1[3-9]…).
func ValidMobile(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaskID shows the first three and last four characters of a 身份证号, the rest as stars.
func MaskID(id string) string {
	if len(id) < 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:3] + strings.Repeat("*", len(id)-7) + id[len(id)-4:]
}

// MaskPhone shows the first three and last four digits of a phone number.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}

func encodeSources(m map[string]Source) string {
	var b strings.Builder
	for _, k := range []string{"name", "id_number", "birth_month", "sex", "category", "city", "phone", "last_certified"} {
		if v, ok := m[k]; ok {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k + "=" + string(v))
		}
	}
	return b.String()
}

func decodeSources(s string) map[string]Source {
	m := map[string]Source{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = Source(v)
		}
	}
	return m
}
