package person

import (
	"context"
	"strings"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// TestProfilesKeyedBySubject upgrades a store made by the first schema and checks that the
// people and follows survive, and (on SQLite) that the home screen's reads are one primary-key
// search each.
func TestProfilesKeyedBySubject(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if err := d.Migrate(ctx, "person", Migrations[:1]); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO person_profiles (subject, name, city, updated_at) VALUES ('p1', '王小明', '西安市', 1)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO person_follows (subject, guide_code, seen_at) VALUES ('p1', 'SX-YL-012', 1), ('p1', 'SX-YB-005', 2)`); err != nil {
			t.Fatal(err)
		}
		s := openStore(t, d, Options{})
		p, err := s.Profile(ctx, "p1", "")
		if err != nil || p.Name != "王小明" || p.City != "西安市" {
			t.Fatalf("profile after the upgrade: %+v %v", p, err)
		}
		fs, err := s.Follows(ctx, "p1")
		if err != nil || len(fs) != 2 || fs[0].GuideCode != "SX-YB-005" {
			t.Fatalf("follows after the upgrade: %+v %v", fs, err)
		}
		if d.Dialect != db.SQLite {
			return
		}
		for table, q := range map[string]string{
			"person_profiles": `SELECT name, city FROM person_profiles WHERE subject = ?`,
			"person_follows":  `SELECT guide_code, seen_at FROM person_follows WHERE subject = ? ORDER BY guide_code`,
		} {
			if got := dbtest.SQLitePlan(t, d, q, "p1"); !strings.Contains(got, "USING PRIMARY KEY") {
				t.Errorf("%s: plan %q, want one primary-key search", table, got)
			}
		}
	})
}
