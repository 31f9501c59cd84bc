package search

import "shebao/internal/db"

// migrations are the search component's tables, in order; never edit a released step, add one.
// Times are Unix milliseconds in BIGINT so that one statement serves SQLite and PostgreSQL.
var migrations = []db.Migration{
	{
		Name: "query log, synonyms, best bets",
		SQL: `CREATE TABLE search_queries (
	id TEXT PRIMARY KEY,
	created_at BIGINT NOT NULL,
	query TEXT NOT NULL,
	corrected TEXT NOT NULL DEFAULT '',
	results INTEGER NOT NULL,
	clicked_code TEXT,
	clicked_at BIGINT
);
CREATE INDEX search_queries_created ON search_queries (created_at);
CREATE TABLE search_synonyms (
	term TEXT PRIMARY KEY,
	expansions TEXT NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0,
	updated_at BIGINT NOT NULL
);
CREATE TABLE search_best_bets (
	query_key TEXT NOT NULL,
	query TEXT NOT NULL,
	code TEXT NOT NULL,
	position INTEGER NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (query_key, code)
)`,
	},
	{
		// Query ids begin with their time, so the primary key serves the report's time ranges;
		// the extra index only slowed down every logged search.
		Name: "drop the query log's time index",
		SQL:  `DROP INDEX search_queries_created`,
	},
	{
		// One row per query id, with how many searches and clicks it had: identical searches
		// made in the same second share an id (newQueryID), so a busy server writes a row per
		// distinct query per second instead of one per search. SQLite keeps the rows in the
		// primary key's B-tree (WITHOUT ROWID) instead of a rowid tree plus a key index.
		Name:        "query log counts searches and clicks per query id",
		SQL:         countedQueryLog + " WITHOUT ROWID;\n" + copyQueryLog,
		PostgresSQL: countedQueryLog + ";\n" + copyQueryLog,
	},
}

// Migrations returns the search component's migrations, for readiness checks (db.UpToDate).
func Migrations() []db.Migration { return migrations }

// countedQueryLog is the query log with counts (SQLite adds WITHOUT ROWID).
const countedQueryLog = `CREATE TABLE search_queries_v2 (
	id TEXT PRIMARY KEY,
	created_at BIGINT NOT NULL,
	query TEXT NOT NULL,
	corrected TEXT NOT NULL DEFAULT '',
	results INTEGER NOT NULL,
	searches INTEGER NOT NULL,
	clicks INTEGER NOT NULL DEFAULT 0
)`

// copyQueryLog moves the per-search rows of the first query log into the counted one.
const copyQueryLog = `INSERT INTO search_queries_v2 (id, created_at, query, corrected, results, searches, clicks)
	SELECT id, created_at, query, corrected, results, 1, CASE WHEN clicked_code IS NULL THEN 0 ELSE 1 END FROM search_queries;
DROP TABLE search_queries;
ALTER TABLE search_queries_v2 RENAME TO search_queries`
