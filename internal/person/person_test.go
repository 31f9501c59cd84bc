package person

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// A valid 身份证号 (GB 11643 check digit) and a mobile number used across the tests.
const (
	testID    = "11010519491231002X"
	testPhone = "13812345678"
)

func str(s string) *string { return &s }

// openStore opens the person store on d with o, failing t if it cannot.
func openStore(t *testing.T, d *db.DB, o Options) *Store {
	t.Helper()
	o.DB = d
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open the person store: %v", err)
	}
	return s
}

func TestProfileRoundTripEncryptedAndMasked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := openStore(t, d, Options{})
		p, err := s.Profile(ctx, "u1", "张三")
		if err != nil || p.Name != "张三" || p.Sources["name"] != Identity {
			t.Fatalf("fresh profile = %+v, %v", p, err)
		}
		p, err = s.Update(ctx, "u1", Patch{IDNumber: str(testID), Phone: str("138 1234 5678"), Category: str("female55"), City: str("西安市")}, Declared)
		if err != nil {
			t.Fatal(err)
		}
		if p.IDNumber != "110***********002X" || p.Phone != "138****5678" || p.BirthMonth != "1949-12" || p.Sex != "女" {
			t.Fatalf("profile = %+v", p)
		}
		if p.Sources["id_number"] != Declared || p.Sources["birth_month"] != Declared {
			t.Fatalf("sources = %v", p.Sources)
		}
		// Nothing in the table holds the clear numbers.
		var idc, phc string
		if err := d.QueryRow(ctx, `SELECT id_cipher, phone_cipher FROM person_profiles WHERE subject = ?`, "u1").Scan(&idc, &phc); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(idc, "1949") || strings.Contains(phc, "5678") || !strings.HasPrefix(idc, "v1:") {
			t.Fatalf("stored in the clear: %q %q", idc, phc)
		}
		id, ph, err := s.Clear(ctx, "u1")
		if err != nil || id != testID || ph != testPhone {
			t.Fatalf("clear = %q %q %v", id, ph, err)
		}
		// A second Open reads the same generated key.
		if id, _, err := openStore(t, d, Options{}).Clear(ctx, "u1"); err != nil || id != testID {
			t.Fatalf("after reopen: %q %v", id, err)
		}
		// Another key cannot read it.
		s3 := openStore(t, d, Options{Key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
		if _, err := s3.Profile(ctx, "u1", ""); err == nil {
			t.Fatal("a different key opened the sealed values")
		}
	})
}

func TestPatchRejectsBadFields(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbtest.SQLite(t), Options{Now: func() time.Time { return time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) }})
	for _, tc := range []struct {
		name  string
		patch Patch
		field string
	}{
		{"check digit", Patch{IDNumber: str("110105194912310021")}, "id_number"},
		{"short id", Patch{IDNumber: str("11010519491231")}, "id_number"},
		{"phone", Patch{Phone: str("23812345678")}, "phone"},
		{"birth in the future", Patch{BirthMonth: str("2030-01")}, "birth_month"},
		{"birth month 13", Patch{BirthMonth: str("1960-13")}, "birth_month"},
		{"category", Patch{Category: str("worker")}, "category"},
		{"sex", Patch{Sex: str("x")}, "sex"},
		{"name", Patch{Name: str("张")}, "name"},
		{"certified in the future", Patch{LastCertified: str("2027-01-01")}, "last_certified"},
	} {
		_, err := s.Update(ctx, "u", tc.patch, Declared)
		e, ok := apperr.As(err)
		if !ok || e.Code != "profile_invalid" {
			t.Fatalf("%s: err = %v", tc.name, err)
		}
		ps := e.Details.([]Problem)
		if len(ps) != 1 || ps[0].Field != tc.field {
			t.Fatalf("%s: problems = %+v", tc.name, ps)
		}
		if strings.Contains(e.Message, "1949") || strings.Contains(e.Message, "2381") {
			t.Fatalf("%s: message echoes the number: %s", tc.name, e.Message)
		}
	}
}

func TestFollowers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := openStore(t, d, Options{})
		for _, sub := range []string{"b", "a"} {
			if err := s.Follow(ctx, sub, "SX-SBK-003"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Follow(ctx, "a", "SX-SBK-003"); err != nil { // again: marks seen
			t.Fatal(err)
		}
		fs, err := s.Followers(ctx, "SX-SBK-003")
		if err != nil || strings.Join(fs, ",") != "a,b" {
			t.Fatalf("followers = %v %v", fs, err)
		}
		if ok, _ := s.Unfollow(ctx, "a", "SX-SBK-003"); !ok {
			t.Fatal("unfollow")
		}
		if ok, _ := s.Unfollow(ctx, "a", "SX-SBK-003"); ok {
			t.Fatal("unfollowed twice")
		}
	})
}

func TestReminders(t *testing.T) {
	p := Profile{LastCertified: "2025-12-20", BirthMonth: "1966-09", Category: "male"}
	rs := Reminders(p, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	kinds := []string{}
	for _, r := range rs {
		kinds = append(kinds, r.Kind)
	}
	// 1966-09 male: 60 years + 6 months of delay (附件1: one month per four months of birth from 1965-01) → 2027-03.
	if strings.Join(kinds, ",") != "certification,medical_payment,retirement" {
		t.Fatalf("kinds = %v (%+v)", kinds, rs)
	}
	if rs[0].DueOn != "2026-12-20" || rs[2].DueOn != "2027-03-01" {
		t.Fatalf("due = %+v", rs)
	}
	if got := Reminders(Profile{}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Fatalf("empty profile in March: %+v", got)
	}
}

func TestAgeAtLeast(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		birth string
		want  bool
	}{
		{"1961-12", true},  // 65 this month
		{"1962-01", false}, // 65 next month
		{"1950-03", true},
		{"1990-05", false},
		{"", false},
		{"1961", false},
	} {
		if got := ageAtLeast(c.birth, ElderAge, now); got != c.want {
			t.Errorf("born %q: %v, want %v", c.birth, got, c.want)
		}
	}
}

// TestSelectPeopleSparse: SelectPeople walks the profiles in windows of limit and filters them;
// with few people matching, it still returns limit of them (or all that are left), in order,
// and a cursor walk reaches every match exactly once — the same as Count.
func TestSelectPeopleSparse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := openStore(t, d, Options{})
		var fs []CampaignFacts
		var want []string
		for i := range 50 {
			f := CampaignFacts{Subject: fmt.Sprintf("s%03d", i), LastCertified: "2025-01-01"}
			if i%7 == 3 { // 7 of 50 match
				f.LastCertified = "2025-06-15"
				want = append(want, f.Subject)
			}
			fs = append(fs, f)
		}
		if err := s.PutCampaignFacts(ctx, fs...); err != nil {
			t.Fatal(err)
		}
		sel := Selection{CertifiedFrom: "2025-06-01", CertifiedTo: "2025-06-30"}
		if n, err := s.CountPeople(ctx, sel); err != nil || n != len(want) {
			t.Fatalf("count %d, %v; want %d", n, err, len(want))
		}
		var got []string
		after := ""
		for {
			page, err := s.SelectPeople(ctx, sel, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if rest := len(want) - len(got); len(page) != min(3, rest) {
				t.Fatalf("after %q: %d people, want %d", after, len(page), min(3, rest))
			}
			for _, f := range page {
				got = append(got, f.Subject)
				after = f.Subject
			}
			if len(page) < 3 {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("walked %v, want %v", got, want)
		}
	})
}

// TestSelectPeopleIndexWithoutStatistics: on PostgreSQL with no statistics (autovacuum off, as on
// the development machine, or profiles loaded since the last ANALYZE), a campaign step's read is
// an index scan of the primary key — a filtered ORDER BY … LIMIT was a full scan and sort of
// every profile per step, O(n²) over a campaign of a million.
func TestSelectPeopleIndexWithoutStatistics(t *testing.T) {
	d := dbtest.PostgresOnly(t, "its planner")
	ctx := context.Background()
	openStore(t, d, Options{})
	if _, err := d.Exec(ctx, `INSERT INTO person_profiles (subject, last_certified, updated_at)
		SELECT 's' || lpad(i::text, 7, '0'), '2025-06-15', 0 FROM generate_series(1, 100000) i`); err != nil {
		t.Fatal(err)
	}
	f, args := Selection{CertifiedFrom: "2025-06-01", CertifiedTo: "2025-06-30"}.filters()
	plan := dbtest.PostgresPlan(t, d, selectPeopleSQL(f), append(args, "s0050000", 512)...)
	if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "Index") {
		t.Fatalf("a campaign step scans every profile: %s", plan)
	}
}
