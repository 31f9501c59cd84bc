package db

import (
	"database/sql"
	"errors"
)

// Column reads the one column of every row into a slice (nil when there are none) and closes
// rows: the shape of every "list the codes / ids / bodies" query.
func Column[T any](rows *sql.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Scanner is a row to scan: *sql.Rows or *sql.Row.
type Scanner interface{ Scan(dest ...any) error }

// SkipRow, returned by an AppendRows scan function, leaves that row out and goes on.
var SkipRow = errors.New("db: skip this row")

// AppendRows scans every row into a T with scan, appends it to out and closes rows: the shape of
// every "list the entries" query. Pass []T{} as out for an empty (not nil) result when there are
// no rows, nil otherwise.
func AppendRows[T any](out []T, rows *sql.Rows, scan func(r Scanner, v *T) error) ([]T, error) {
	defer rows.Close()
	for rows.Next() {
		var v T
		switch err := scan(rows, &v); {
		case errors.Is(err, SkipRow):
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
