package content

import "shebao/internal/db"

// The columns every document and version table has had since the first migration: each migration
// spells its tables around them (the text of the migrations already applied is unchanged), and the
// names list what the version-store migration copies.
const (
	documentNames   = "code, state, published_version, latest_version, replacement, state_reason, created_at, updated_at, public_updated_at"
	versionNames    = "code, version, status, body, major, change_note, revision, based_on, created_by, created_at, edited_by, edited_at, submitted_by, submitted_at, reviewed_by, reviewed_at, review_comment, published_by, published_at, scheduled_at, forced, force_reason, retro_reviewed_by, scheduled_by"
	documentColumns = `	state TEXT NOT NULL,
	published_version INTEGER,
	latest_version INTEGER NOT NULL,
	replacement TEXT NOT NULL DEFAULT '',
	state_reason TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	public_updated_at TEXT NOT NULL DEFAULT ''
`
	versionColumns = `	status TEXT NOT NULL,
	body TEXT NOT NULL,
	major INTEGER NOT NULL DEFAULT 1,
	change_note TEXT NOT NULL DEFAULT '',
	revision INTEGER NOT NULL DEFAULT 1,
	based_on INTEGER NOT NULL DEFAULT 0,
	created_by TEXT NOT NULL,
	created_at TEXT NOT NULL,
	edited_by TEXT NOT NULL,
	edited_at TEXT NOT NULL,
	submitted_by TEXT NOT NULL DEFAULT '',
	submitted_at TEXT NOT NULL DEFAULT '',
	reviewed_by TEXT NOT NULL DEFAULT '',
	reviewed_at TEXT NOT NULL DEFAULT '',
	review_comment TEXT NOT NULL DEFAULT '',
	published_by TEXT NOT NULL DEFAULT '',
	published_at TEXT NOT NULL DEFAULT '',
	scheduled_at TEXT NOT NULL DEFAULT '',
	forced INTEGER NOT NULL DEFAULT 0,
	force_reason TEXT NOT NULL DEFAULT '',
	retro_reviewed_by TEXT NOT NULL DEFAULT '',
`
)

// Migrations is the ordered schema of the content component. Times are stored as UTC text in a
// fixed-width format so they sort and compare the same way in both dialects.
var Migrations = []db.Migration{
	{
		Name: "guides, versions, audit log, outbox",
		SQL: `
CREATE TABLE guides (
	code TEXT PRIMARY KEY,
` + documentColumns + `);
CREATE TABLE guide_versions (
	code TEXT NOT NULL,
	version INTEGER NOT NULL,
` + versionColumns + `	PRIMARY KEY (code, version)
);
CREATE INDEX guide_versions_status ON guide_versions (status, scheduled_at);
CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 0,
	ip TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_code ON audit_log (code, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	topic TEXT NOT NULL,
	key TEXT NOT NULL,
	data TEXT NOT NULL,
	created_at TEXT NOT NULL,
	delivered_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (delivered_at, id)`,
	},
	{
		// Forms are versioned and reviewed like guides, in parallel tables with the same workflow
		// columns; scheduled_by remembers which publisher set a schedule, since the server itself
		// carries it out.
		Name: "forms, form versions, scheduled_by",
		SQL: `
ALTER TABLE guide_versions ADD COLUMN scheduled_by TEXT NOT NULL DEFAULT '';
CREATE INDEX guide_versions_retro ON guide_versions (forced, retro_reviewed_by);
CREATE TABLE forms (
	code TEXT PRIMARY KEY,
` + documentColumns + `);
CREATE TABLE form_versions (
	code TEXT NOT NULL,
	version INTEGER NOT NULL,
` + versionColumns + `	scheduled_by TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (code, version)
);
CREATE INDEX form_versions_status ON form_versions (status, scheduled_at);
CREATE INDEX form_versions_retro ON form_versions (forced, retro_reviewed_by)`,
	},
	{
		// Guides and forms share one version store: documents and document_versions keyed by kind.
		// Every row of the four old tables is copied; the audit log, already keyed by kind, stays.
		Name: "one version store for guides and forms",
		SQL: `
CREATE TABLE documents (
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
` + documentColumns + `,	PRIMARY KEY (kind, code)
);
INSERT INTO documents (kind, ` + documentNames + `) SELECT 'guide', ` + documentNames + ` FROM guides;
INSERT INTO documents (kind, ` + documentNames + `) SELECT 'form', ` + documentNames + ` FROM forms;
CREATE TABLE document_versions (
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
	version INTEGER NOT NULL,
` + versionColumns + `	scheduled_by TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, code, version)
);
INSERT INTO document_versions (kind, ` + versionNames + `) SELECT 'guide', ` + versionNames + ` FROM guide_versions;
INSERT INTO document_versions (kind, ` + versionNames + `) SELECT 'form', ` + versionNames + ` FROM form_versions;
CREATE INDEX document_versions_status ON document_versions (status, scheduled_at);
CREATE INDEX document_versions_retro ON document_versions (forced, retro_reviewed_by);
DROP TABLE guide_versions;
DROP TABLE form_versions;
DROP TABLE guides;
DROP TABLE forms`,
	},
	{
		// Events moved to the shared event log (internal/eventlog), which content.New migrates
		// first. Every outbox row is kept, in order; delivered_at has no successor, since each
		// consumer now keeps its own position (a rebuilt snapshot or index starts from the store).
		Name: "outbox rows moved into the event log",
		SQL: `
INSERT INTO event_log (topic, key, data, created_at) SELECT topic, key, data, created_at FROM outbox ORDER BY id;
DROP TABLE outbox`,
	},
}
