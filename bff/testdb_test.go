package bff

import (
	"context"
	"os"
	"path/filepath"

	"shebao/internal/db"
)

// openTempDB opens a SQLite file in a fresh temporary directory (removed at process exit by the
// OS temp cleaner; each test gets its own).
func openTempDB() (*db.DB, error) {
	dir, err := os.MkdirTemp("", "shebao-bff-test-")
	if err != nil {
		return nil, err
	}
	return db.OpenSQLite(context.Background(), filepath.Join(dir, "shebao.db"))
}
