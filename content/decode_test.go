package content

import (
	"runtime"
	"strings"
	"testing"

	"shebao/internal/apperr"
)

// aliasBomb is the file of the report: one long scalar named once and repeated through aliases.
func aliasBomb(repeats, chars int) string {
	var b strings.Builder
	b.WriteString("guides:\n" + strings.Replace(strings.Replace(minimalGuideYAML, "CODE", "BOMB-1", 1), "    aliases: [测试]\n", "", 1))
	b.WriteString("    verify: [&s \"" + strings.Repeat("长", chars) + "\"]\n    aliases: [")
	for i := 0; i < repeats; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("*s")
	}
	b.WriteString("]\n")
	return b.String()
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestAliasBombIsRefusedSmall(t *testing.T) {
	bomb := []byte(aliasBomb(20000, 3000))
	if len(bomb) > 100<<10 {
		t.Fatalf("bomb is %d bytes, want under 100 KB like the report's", len(bomb))
	}
	for name, parse := range map[string]func() error{
		"bundle": func() error { _, err := ParseBundle(bomb); return err },
		"guides": func() error { _, err := ParseGuides("bomb.yaml", bomb); return err },
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			n := allocated(func() { err = parse() })
			if !apperr.Is(err, apperr.ImportTooLarge) {
				t.Fatalf("want import_too_large, got %v", err)
			}
			// The file expands to 60 million characters; refusing it may cost a few times the
			// file's own size (its parsed tree), not the expansion.
			if n > 16<<20 {
				t.Errorf("refusing a %d KB bomb allocated %d MB", len(bomb)>>10, n>>20)
			}
			t.Logf("%d KB file refused after allocating %.1f MB", len(bomb)>>10, float64(n)/(1<<20))
		})
	}
	// The same construction within the bounds still imports: aliases are legal YAML.
	if _, err := ParseBundle([]byte(aliasBomb(3, 100))); err != nil {
		t.Fatalf("a few aliases: %v", err)
	}
}

func TestImportLimits(t *testing.T) {
	lim := ImportLimits{MaxChars: 1000, MaxListItems: 10, MaxFieldChars: 50, MaxDepth: 5, MaxMarks: 300}
	list := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
	}
	cases := []struct {
		name  string
		yaml  bool
		doc   string
		bound string // "" = within the limits
	}{
		{"yaml within limits", true, "a: " + list(10, "x"), ""},
		{"yaml list too long", true, "a: " + list(11, "x"), "list_items"},
		{"yaml mapping too wide", true, "{a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11}", "list_items"},
		{"yaml field too long", true, "a: " + strings.Repeat("字", 51), "field_chars"},
		{"yaml field at the bound", true, "a: " + strings.Repeat("字", 50), ""},
		{"yaml aliases past the total", true, "a: &x " + strings.Repeat("y", 40) + "\nb: " + list(10, "*x") + "\nc: " + list(10, "*x") + "\nd: " + list(10, "*x"), "total_chars"},
		{"yaml nested aliases (billion laughs)", true, "a: &a " + list(10, "lol") + "\nb: &b " + list(10, "*a") + "\nc: &c " + list(10, "*b") + "\nd: " + list(10, "*c"), "total_chars"},
		{"yaml merge keys expand", true, "base: &b {k: " + strings.Repeat("v", 45) + "}\nm: " + list(10, "{<<: *b}") + "\nn: " + list(10, "{<<: *b}"), "total_chars"},
		{"yaml too deep", true, "a: [[[[[[x]]]]]]", "depth"},
		{"yaml too many values to parse", true, "a: " + list(301, "1"), "marks"},
		{"json within limits", false, `{"a":` + list(10, `"x"`) + `}`, ""},
		{"json list too long", false, `{"a":` + list(11, `"x"`) + `}`, "list_items"},
		{"json object too wide", false, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11}`, "list_items"},
		{"json field too long", false, `{"a":"` + strings.Repeat("字", 51) + `"}`, "field_chars"},
		{"json escapes count as decoded", false, `{"a":"` + strings.Repeat(`\u5b57`, 51) + `"}`, "field_chars"},
		{"json total", false, list(10, `"`+strings.Repeat("y", 49)+`"`) + list(10, `"`+strings.Repeat("y", 49)+`"`) + list(10, `"`+strings.Repeat("y", 49)+`"`), "total_chars"},
		{"json too deep", false, `[[[[[["x"]]]]]]`, "depth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.yaml {
				var v any
				err = decodeYAML([]byte(c.doc), &v, lim)
			} else {
				err = checkJSON([]byte(c.doc), lim)
			}
			if c.bound == "" {
				if err != nil {
					t.Fatalf("within limits: %v", err)
				}
				return
			}
			ae := wantKind(t, err, apperr.ImportTooLarge)
			if d, _ := ae.Details.(map[string]any); d["bound"] != c.bound {
				t.Errorf("bound %v, want %s (%s)", d["bound"], c.bound, ae.Message)
			}
		})
	}
}

// A file of millions of one-letter items is refused before the YAML parser builds its tree, which
// costs about 250 bytes per item.
func TestFlatListIsRefusedBeforeParsing(t *testing.T) {
	doc := []byte("guides: [" + strings.Repeat("x,", 2<<20) + "]\n")
	var err error
	n := allocated(func() { _, err = ParseBundle(doc) })
	ae := wantKind(t, err, apperr.ImportTooLarge)
	if d, _ := ae.Details.(map[string]any); d["bound"] != "marks" {
		t.Errorf("bound %v", d["bound"])
	}
	if n > 1<<20 {
		t.Errorf("refusing a %d MB flat list allocated %d MB", len(doc)>>20, n>>20)
	}
}

// Files only the command line can send get limits in proportion, so an export of any corpus
// imports again; aliases still cannot expand a file past twice its size.
func TestImportLimitsGrowWithTheFile(t *testing.T) {
	small := DefaultImportLimits.forSize(100 << 10)
	if small != DefaultImportLimits {
		t.Errorf("a small file gets %+v", small)
	}
	big := DefaultImportLimits.forSize(64 << 20)
	if big.MaxChars != 128<<20 || big.MaxListItems < 600000 || big.MaxMarks != 4<<20 || big.MaxFieldChars != DefaultImportLimits.MaxFieldChars {
		t.Errorf("a 64 MB file gets %+v", big)
	}
}
