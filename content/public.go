package content

import (
	"reflect"
	"regexp"
	"strings"
)

// Editors mark what they could not confirm in the guide text itself: a `verify` list, and inline
// notes such as “（待核实）”, “陕西承诺时限待核实” or “有报道称…（来源可靠性低，待核实）”. Those
// notes are for the editors who must check the figure; the public sees the figure with
// “以经办机构核定为准” and nothing about how reliable a source was. PublicView is the one place
// where a published guide becomes what citizens see, so the API, search (snippets) and the
// assistant all read the same cleaned text while the console keeps the stored one.

// DefersToAgency is what the public sees where an editor noted that a figure still needs checking.
const DefersToAgency = "以经办机构核定为准"

// unverifiedMarkers are the words of an editor's note that a figure is unconfirmed.
var unverifiedMarkers = []string{"待核实", "待确认", "待查证"}

// reliabilityMarkers are the words of a note about a source's reliability: a figure from such a
// source is as unconfirmed as one marked 待核实.
var reliabilityMarkers = []string{"可靠性", "来源不明", "来源存疑", "未经证实", "未经权威", "低质量资料"}

// hearsay matches a lead-in that attributes a figure to reports (有报道称, 据报道, 有低质量资料称…):
// the public sees the figure, not where an editor first read it. A verb is required after
// 资料/消息, so that “有关资料” in a list of materials is left alone.
var hearsay = regexp.MustCompile(`有[^，。；、（）()]{0,6}?(?:报道|资料|消息|传言)(?:称|说|显示|指出)[，,：:]?|据[^，。；、（）()]{0,4}?报道(?:称|说|显示|指出)?[，,：:]?|网传[，,：:]?`)

// parenthetical matches one innermost bracketed aside, full-width or ASCII.
var parenthetical = regexp.MustCompile(`[（(][^（）()]*[）)]`)

// PublicView returns the guide as citizens see it: the editors' `verify` list removed and every
// inline verification or source-reliability note replaced by DefersToAgency. g is not modified.
func PublicView(g Guide) Guide {
	g.Verify = nil
	v := reflect.ValueOf(&g).Elem()
	publicValue(v)
	return g
}

// publicValue cleans every settable string reachable from v, copying slices before it writes so
// that the caller's guide keeps its own backing arrays.
func publicValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); hasEditorNote(s) {
			v.SetString(PublicText(s))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				publicValue(f)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := 0; i < c.Len(); i++ {
			publicValue(c.Index(i))
		}
		v.Set(c)
	}
}

func hasEditorNote(s string) bool { return isNote(s) || hearsay.MatchString(s) }

// isNote reports whether s says that something is unconfirmed or from an unreliable source.
func isNote(s string) bool {
	return containsAny(s, unverifiedMarkers) || containsAny(s, reliabilityMarkers)
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// PublicText rewrites one text for the public: hearsay lead-ins (有报道称…) removed; a clause or
// bracketed aside that says a figure is unconfirmed or its source unreliable becomes
// “以经办机构核定为准” (an aside keeps its brackets); asides with other content stay.
func PublicText(s string) string {
	if !hasEditorNote(s) {
		return s
	}
	reported := hearsay.MatchString(s)
	s = hearsay.ReplaceAllString(s, "")
	// Asides first, innermost out, so that a clause rule never splits a bracket.
	var asides []string
	for {
		next := parenthetical.ReplaceAllStringFunc(s, func(p string) string {
			r := []rune(p)
			open, close := string(r[0]), string(r[len(r)-1])
			inner := p[len(open) : len(p)-len(close)]
			if isNote(placeholderRE.ReplaceAllString(inner, "")) {
				inner = publicClauses(inner)
			}
			asides = append(asides, open+inner+close)
			return placeholder(len(asides) - 1)
		})
		if next == s {
			break
		}
		s = next
	}
	s = restoreAsides(publicClauses(s), asides)
	if reported && !strings.Contains(s, DefersToAgency) {
		// A reported figure with no note of its own is still unconfirmed.
		end := strings.TrimRight(s, "。")
		s = end + "（" + DefersToAgency + "）" + s[len(end):]
	}
	return s
}

// placeholder stands for the i-th bracketed aside while clauses are rewritten: private-use
// characters that no guide text contains.
func placeholder(i int) string { return "\uE000" + string(rune(0xE100+i)) + "\uE001" }

var placeholderRE = regexp.MustCompile("\uE000(.)\uE001")

func restoreAsides(s string, asides []string) string {
	for placeholderRE.MatchString(s) {
		s = placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
			i := int([]rune(m)[1] - 0xE100)
			if i < 0 || i >= len(asides) {
				return ""
			}
			return asides[i]
		})
	}
	return s
}

// clauseEnd are the marks that end a clause.
const clauseEnd = "，；;。！？!?" // not ASCII commas: they also group digits (1,000元)

// publicClauses replaces each clause of s that is a note by DefersToAgency, once in a row. The
// asides in s are placeholders, so an aside's words do not count as its clause's, and the asides
// of a replaced clause (e.g. what other places promise) stay after the replacement.
func publicClauses(s string) string {
	type clause struct{ text, end string }
	var cs []clause
	start := 0
	for i, r := range s {
		if strings.ContainsRune(clauseEnd, r) {
			cs = append(cs, clause{s[start:i], string(r)})
			start = i + len(string(r))
		}
	}
	if start < len(s) || len(cs) == 0 {
		cs = append(cs, clause{s[start:], ""})
	}
	out := cs[:0]
	for _, c := range cs {
		if isNote(placeholderRE.ReplaceAllString(c.text, "")) {
			c.text = DefersToAgency + strings.Join(placeholderRE.FindAllString(c.text, -1), "")
		}
		if n := len(out); n > 0 && c.text == DefersToAgency && out[n-1].text == DefersToAgency {
			out[n-1].end = c.end
			continue
		}
		out = append(out, c)
	}
	var b strings.Builder
	for _, c := range out {
		b.WriteString(c.text)
		b.WriteString(c.end)
	}
	return b.String()
}
