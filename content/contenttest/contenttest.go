// Package contenttest gives the tests of other packages a content service loaded with the
// built-in Shaanxi guides (content's own tests cannot import it: they are in package content).
package contenttest

import (
	"context"
	"testing"

	"shebao/content"
)

// Seeded is a content service opened with o and holding the seed guides, published.
func Seeded(t testing.TB, o content.Options) *content.Service {
	t.Helper()
	ctx := context.Background()
	cs, err := content.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SeedIfEmpty(ctx); err != nil {
		t.Fatal(err)
	}
	return cs
}
