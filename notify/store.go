package notify

import (
	"fmt"

	"shebao/internal/db"
)

// Migrations is the schema of notify. Times are Unix microseconds; 0 means never.
var Migrations = []db.Migration{
	{
		Name: "notify",
		SQL: `
CREATE TABLE notify_notices (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	person TEXT NOT NULL,
	kind TEXT NOT NULL,
	key TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	link TEXT NOT NULL DEFAULT '',
	collapse TEXT NOT NULL DEFAULT '',
	urgent INTEGER NOT NULL DEFAULT 0,
	critical INTEGER NOT NULL DEFAULT 0,
	campaign_id BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	read_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notify_notices_inbox ON notify_notices (person, read_at, id);
CREATE INDEX notify_notices_campaign ON notify_notices (campaign_id);
CREATE TABLE notify_vapid_keys (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	public_key TEXT NOT NULL UNIQUE,
	private_key TEXT NOT NULL,
	current INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);
CREATE TABLE notify_subscriptions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	person TEXT NOT NULL,
	endpoint TEXT NOT NULL UNIQUE,
	p256dh TEXT NOT NULL,
	auth TEXT NOT NULL,
	vapid_key_id BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	seen_at BIGINT NOT NULL,
	delivered_at BIGINT NOT NULL DEFAULT 0,
	fails_4xx INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notify_subscriptions_person ON notify_subscriptions (person);
CREATE TABLE notify_settings (
	person TEXT PRIMARY KEY,
	disabled TEXT NOT NULL DEFAULT '',
	quiet_start INTEGER NOT NULL,
	quiet_end INTEGER NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE notify_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	notice_id BIGINT NOT NULL,
	subscription_id BIGINT NOT NULL DEFAULT 0,
	channel TEXT NOT NULL DEFAULT '',
	event TEXT NOT NULL,
	status INTEGER NOT NULL DEFAULT 0,
	detail TEXT NOT NULL DEFAULT '',
	resend INTEGER NOT NULL DEFAULT 0,
	at BIGINT NOT NULL
);
CREATE INDEX notify_log_notice ON notify_log (notice_id, subscription_id);
CREATE TABLE notify_campaigns (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL,
	segment TEXT NOT NULL,
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	link TEXT NOT NULL DEFAULT '',
	window_start INTEGER NOT NULL,
	window_end INTEGER NOT NULL,
	rate_per_minute INTEGER NOT NULL,
	state TEXT NOT NULL,
	cursor TEXT NOT NULL DEFAULT '',
	total INTEGER NOT NULL DEFAULT 0,
	enqueued INTEGER NOT NULL DEFAULT 0,
	batch INTEGER NOT NULL DEFAULT 0,
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE notify_people (
	person TEXT PRIMARY KEY,
	certification_due TEXT NOT NULL DEFAULT '',
	resident_insured INTEGER NOT NULL DEFAULT 0,
	resident_paid_through INTEGER NOT NULL DEFAULT 0,
	birth TEXT NOT NULL DEFAULT '',
	retirement_category TEXT NOT NULL DEFAULT ''
);
CREATE TABLE notify_secrets (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
)`,
	},
	{
		// Campaign segments read the person store now: move notify_people's facts there (a
		// person's own profile values win; the due date becomes the last certification, a year
		// before it), then drop the copy. Open migrates the person store first.
		Name: "notify_people into person_profiles",
		SQL: `
INSERT INTO person_profiles (subject, last_certified, birth_month, category, resident_insured, resident_paid_through, updated_at)
	SELECT person, CASE WHEN certification_due = '' THEN '' ELSE date(certification_due, '-1 year') END,
		birth, retirement_category, resident_insured, resident_paid_through, 0 FROM notify_people WHERE true
	ON CONFLICT (subject) DO UPDATE SET ` + keepOwn + `;
DROP TABLE notify_people`,
		PostgresSQL: `
INSERT INTO person_profiles (subject, last_certified, birth_month, category, resident_insured, resident_paid_through, updated_at)
	SELECT person, CASE WHEN certification_due = '' THEN '' ELSE to_char(certification_due::date - interval '1 year', 'YYYY-MM-DD') END,
		birth, retirement_category, resident_insured, resident_paid_through, 0 FROM notify_people
	ON CONFLICT (subject) DO UPDATE SET ` + keepOwn + `;
DROP TABLE notify_people`,
	},
}

// keepOwn is the update of the notify_people move: a profile's own value wins over the copy's.
const keepOwn = `last_certified = CASE WHEN person_profiles.last_certified = '' THEN excluded.last_certified ELSE person_profiles.last_certified END,
		birth_month = CASE WHEN person_profiles.birth_month = '' THEN excluded.birth_month ELSE person_profiles.birth_month END,
		category = CASE WHEN person_profiles.category = '' THEN excluded.category ELSE person_profiles.category END,
		resident_insured = excluded.resident_insured, resident_paid_through = excluded.resident_paid_through`

// b2i stores a bool in an INTEGER column (PostgreSQL does not convert a bool to an integer).
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// flag scans an INTEGER 0/1 column into a bool on both dialects.
type flag bool

// Scan implements sql.Scanner.
func (f *flag) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*f = v != 0
	case int32:
		*f = v != 0
	case bool:
		*f = flag(v)
	case nil:
		*f = false
	default:
		return fmt.Errorf("notify: cannot scan %T into a flag", src)
	}
	return nil
}
