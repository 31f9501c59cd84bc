package identity_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"shebao/internal/identity"
)

// A local keyring mints a token for a staff member; the chain verifies it and Authorize decides
// what the holder may do.
func Example() {
	dataDir, _ := os.MkdirTemp("", "shebao")
	defer os.RemoveAll(dataDir)

	keys, err := identity.OpenKeyring(filepath.Join(dataDir, "keys"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// In production: identity.Chain(keys.Verifier(), jwksVerifier) with the province's service.
	verifier := identity.Chain(keys.Verifier())

	token, _ := keys.Mint("staff-7", "张编辑", []identity.Role{identity.RoleEditor}, time.Hour)
	p, err := verifier.Verify(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Subject, p.Name, p.Roles)
	fmt.Println(identity.Authorize(p, identity.RoleEditor, identity.RoleAdmin))
	fmt.Println(identity.Authorize(p, identity.RolePublisher))
	// Output:
	// staff-7 张编辑 [editor]
	// <nil>
	// forbidden: 您没有权限进行此操作。: identity: requires one of [publisher]
}
