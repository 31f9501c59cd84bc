package content

import (
	"strings"

	"shebao/internal/spoken"
)

// requiredText trims s and returns it, or "" when it has nothing a reader can see
// (spoken.IsBlank), so a required reason or comment made only of spaces or zero-width
// characters counts as missing.
func requiredText(s string) string {
	if spoken.IsBlank(s) {
		return ""
	}
	return strings.TrimSpace(s)
}
