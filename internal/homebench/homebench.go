// Package homebench fills a store with people shaped like a province's app users, for the home
// screen's benchmarks (bench/megen over HTTP, bff's BenchmarkHomeMiss in process): profiles (each
// with a sealed 身份证号 and phone), applications spread over them and the seed guides (about a
// third in progress) with one to four timeline steps each, two follows, three notices (one
// unread in three) and two guide uses per person. Rows go in multi-row INSERTs inside large
// transactions (internal/bulk); values of every application share one sealed blob: the
// benchmarks read timelines and statuses, never the values. The same arguments give the same
// rows, apart from the times (relative to now) and the sealed blobs.
package homebench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"shebao/content"
	"shebao/internal/application"
	"shebao/internal/bulk"
	"shebao/internal/db"
	"shebao/internal/person"
	"shebao/notify"
)

// Fill migrates the tables the home screen reads and fills them with nPeople people (subjects
// Subject(0) …) and nApps applications, reporting each table's time to progress (nil: none).
func Fill(ctx context.Context, d *db.DB, nPeople, nApps int, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	st, err := person.Open(ctx, person.Options{DB: d})
	if err != nil {
		return err
	}
	if _, err := application.Open(ctx, application.Options{DB: d}); err != nil {
		return err
	}
	guides, err := content.LoadSeed(content.SeedFS())
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	idSealed, _ := st.Sealer().SealString("11010519491231002X")
	phoneSealed, _ := st.Sealer().SealString("13812345678")
	cats := []string{"male", "female55", "female50"}
	now := time.Now()
	err = bulk.Insert(ctx, d, "person_profiles", []string{"subject", "name", "id_cipher", "birth_month", "sex", "category", "city", "phone_cipher", "last_certified", "sources", "updated_at"},
		nPeople, func(i int) []any {
			return []any{Subject(i), "测试用户", idSealed, fmt.Sprintf("%d-%02d", 1955+rng.IntN(40), 1+rng.IntN(12)), "男", cats[rng.IntN(3)], "西安市", phoneSealed,
				now.AddDate(0, 0, -rng.IntN(400)).Format("2006-01-02"), "id_number=declared,phone=declared", now.UnixMicro()}
		})
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "people: %d in %s\n", nPeople, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	err = bulk.Insert(ctx, d, "person_follows", []string{"subject", "guide_code", "seen_at"}, nPeople*2, func(i int) []any {
		return []any{Subject(i / 2), guides[(i/2*7+i%2*13)%len(guides)].Code, now.Add(-time.Duration(rng.IntN(1000)) * time.Hour).UnixMicro()}
	})
	if err != nil {
		return err
	}
	// The inbox the home screen counts unread notices in (notify's table, as the server migrates it).
	if err := d.Migrate(ctx, "notify", notify.Migrations); err != nil {
		return err
	}
	start = time.Now()
	err = bulk.Insert(ctx, d, "notify_notices", []string{"person", "kind", "key", "title", "body", "created_at", "read_at"}, nPeople*3, func(i int) []any {
		at := now.Add(-time.Duration(rng.IntN(90*24)) * time.Hour).UnixMicro()
		read := int64(0)
		if i%3 != 0 {
			read = at + 3600e6
		}
		return []any{Subject(i / 3), "progress", fmt.Sprintf("bench-notice-%d", i), "办理进度", "您的申请已受理。", at, read}
	})
	if err != nil {
		return err
	}
	err = bulk.Insert(ctx, d, "guide_use", []string{"subject", "guide_code", "uses", "last_at"}, nPeople*2, func(i int) []any {
		return []any{Subject(i / 2), guides[(i/2*5+i%2*11)%len(guides)].Code, 1 + rng.IntN(20), now.UnixMicro()}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "notices and guide uses: %d + %d in %s\n", nPeople*3, nPeople*2, time.Since(start).Round(time.Millisecond))
	valuesSealed, _ := st.Sealer().SealString(`{"holder":"self"}`)
	statuses := []string{"accepted", "reviewing", "completed", "completed", "completed", "rejected", "benefit_paid", "needs_supplement", "submitted"}
	type app struct {
		id     string
		steps  int
		status string
		at     int64
	}
	var list []app
	err = bulk.Insert(ctx, d, "applications", []string{"id", "person", "form_code", "form_version", "guide_code", "guide_name", "title", "status", "detail", "office",
		"values_cipher", "last_seq", "upstream_seq", "sent_at", "created_at", "updated_at"}, nApps, func(i int) []any {
		g := guides[rng.IntN(len(guides))]
		status := statuses[rng.IntN(len(statuses))]
		steps := 1 + rng.IntN(4)
		at := now.Add(-time.Duration(rng.IntN(2*365*24)) * time.Hour).UnixMicro()
		a := app{id: appID(rng), steps: steps, status: status, at: at}
		list = append(list, a)
		return []any{a.id, Subject(rng.IntN(nPeople)), g.Code + "-F", 1, g.Code, g.Name, g.Name + "申请", status, "", "西安市社会保险经办中心",
			valuesSealed, steps, steps - 1, at, at, at}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "applications: %d in %s\n", nApps, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	type stepRow struct {
		a   *app
		seq int
	}
	var rows []stepRow
	for i := range list {
		for s := 1; s <= list[i].steps; s++ {
			rows = append(rows, stepRow{&list[i], s})
		}
	}
	err = bulk.Insert(ctx, d, "application_steps", []string{"application_id", "seq", "status", "detail", "office", "at"}, len(rows), func(i int) []any {
		r := rows[i]
		status := "submitted"
		if r.seq == r.a.steps {
			status = r.a.status
		} else if r.seq > 1 {
			status = "accepted"
		}
		return []any{r.a.id, r.seq, status, "", "西安市社会保险经办中心", r.a.at + int64(r.seq)*3600e6}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "steps: %d in %s\n", len(rows), time.Since(start).Round(time.Millisecond))
	return nil
}

// Subject is the subject of person i.
func Subject(i int) string { return fmt.Sprintf("bench-%06d", i) }

const b32 = "abcdefghijklmnopqrstuvwxyz234567"

func appID(rng *rand.Rand) string {
	b := []byte("ap")
	for i := 0; i < 16; i++ {
		b = append(b, b32[rng.IntN(32)])
	}
	return string(b)
}
