// Package bulk fills benchmark stores fast: multi-row INSERTs inside large transactions.
package bulk

import (
	"context"
	"fmt"
	"strings"

	"shebao/internal/db"
)

// Insert inserts n rows made by row into table, 500 rows per statement and 100,000 per
// transaction.
func Insert(ctx context.Context, d *db.DB, table string, cols []string, n int, row func(i int) []any) error {
	const perStmt, perTx = 500, 100000
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for lo := 0; lo < n; lo += perTx {
		hi := min(n, lo+perTx)
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for s := lo; s < hi; s += perStmt {
				e := min(hi, s+perStmt)
				args := make([]any, 0, (e-s)*len(cols))
				for i := s; i < e; i++ {
					args = append(args, row(i)...)
				}
				q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", e-s), ",")
				if _, err := tx.Exec(ctx, q, args...); err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
