package db

import "database/sql"

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

// Each reads every row with scan into a slice (nil when there are none) and closes rows: the
// shape of every "list the rows as structs" query.
func Each[T any](rows *sql.Rows, scan func(r *sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
