package bff

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var fiberParam = regexp.MustCompile(`:([A-Za-z_]+)\??`)

// TestOpenAPIMatchesRoutes fails when a registered route is missing from openapi.json or a
// documented route is not registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := env(t)
	registered := map[string]bool{}
	for _, r := range e.srv.App().GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "USE" || r.Method == "CONNECT" || r.Method == "TRACE" || r.Method == "OPTIONS" {
			continue
		}
		if strings.HasPrefix(r.Path, "/admin") || strings.HasPrefix(r.Path, "/app") { // the console's and the app's pages and assets, not the API
			continue
		}
		p := fiberParam.ReplaceAllString(r.Path, "{$1}")
		registered[strings.ToLower(r.Method)+" "+p] = true
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
				documented[m+" "+p] = true
			}
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s is registered but not in openapi.json", k)
	}
	for _, k := range extra {
		t.Errorf("openapi.json documents %s but no such route is registered", k)
	}
}
