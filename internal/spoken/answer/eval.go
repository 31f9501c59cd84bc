package answer

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"strings"
	"time"

	"shebao/internal/apperr"
)

// Sets are the evaluation sets kept with the parser: parse_own.tsv, written with it, and
// parse_independent.tsv, written by someone who had not seen it. `shebao eval parse` reads them
// from the binary, so it works from any directory.
//
//go:embed testdata/parse_own.tsv testdata/parse_independent.tsv
var Sets embed.FS

// SetNames are the file names of Sets, in the order reports show them.
var SetNames = []string{"testdata/parse_own.tsv", "testdata/parse_independent.tsv"}

// Invalid is the expected value of an answer that must be refused.
const Invalid = "INVALID"

// Case is one line of an evaluation set: type<TAB>today<TAB>spoken<TAB>expected.
type Case struct {
	Line     int
	Kind     Kind
	Today    string // YYYY-MM-DD, or - for none said (the evaluation's own today is used)
	Spoken   string
	Expected string // the canonical value, or Invalid
}

// Miss is a case the parser got wrong.
type Miss struct {
	Case
	Got string // the canonical value, or Invalid (reason code)
}

// Tally counts the cases of one kind.
type Tally struct{ Cases, Correct int }

// Accuracy is the share of cases right, from 0 to 1 (1 with no cases).
func (t Tally) Accuracy() float64 {
	if t.Cases == 0 {
		return 1
	}
	return float64(t.Correct) / float64(t.Cases)
}

// Report is the outcome of an evaluation.
type Report struct {
	ByKind map[Kind]*Tally
	All    Tally
	Misses []Miss
}

// CheckDigits is the tally of the kinds whose numbers carry a check digit (idcard, bankcard).
func (r *Report) CheckDigits() Tally {
	var t Tally
	for _, k := range []Kind{IDCard, BankCard} {
		if k := r.ByKind[k]; k != nil {
			t.Cases += k.Cases
			t.Correct += k.Correct
		}
	}
	return t
}

// ReadCases reads an evaluation set. Blank lines and lines starting with # are skipped.
func ReadCases(r io.Reader) ([]Case, error) {
	var out []Case
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: want 4 tab-separated fields (type, today, spoken, expected), got %d", n, len(f))
		}
		c := Case{Line: n, Kind: Kind(strings.TrimSpace(f[0])), Today: strings.TrimSpace(f[1]), Spoken: f[2],
			Expected: strings.TrimSpace(f[3])}
		if !knownKind(c.Kind) || c.Kind == Choice {
			return nil, fmt.Errorf("line %d: unknown type %q", n, c.Kind)
		}
		if c.Today != "-" {
			if _, err := time.Parse(time.DateOnly, c.Today); err != nil {
				return nil, fmt.Errorf("line %d: today %q is not YYYY-MM-DD or -", n, c.Today)
			}
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

func knownKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Evaluate parses every case and compares it with what was expected. now stands for today on
// the lines that give none.
func Evaluate(cases []Case, now time.Time) *Report {
	rep := &Report{ByKind: map[Kind]*Tally{}}
	for _, c := range cases {
		today := now
		if c.Today != "-" {
			today, _ = time.Parse(time.DateOnly, c.Today)
		}
		got := Invalid
		v, err := Parse(c.Kind, c.Spoken, today)
		if err == nil {
			got = v.Text
		}
		t := rep.ByKind[c.Kind]
		if t == nil {
			t = &Tally{}
			rep.ByKind[c.Kind] = t
		}
		t.Cases++
		rep.All.Cases++
		if got == c.Expected || (c.Kind == YesNo && strings.EqualFold(got, c.Expected)) ||
			(c.Kind == IDCard && got == strings.ToUpper(c.Expected)) {
			t.Correct++
			rep.All.Correct++
			continue
		}
		if e, ok := apperr.As(err); ok {
			got += " (" + e.Code + ")"
		}
		rep.Misses = append(rep.Misses, Miss{Case: c, Got: got})
	}
	return rep
}

// String is the report as `shebao eval parse` prints it.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %6s %8s %9s\n", "type", "cases", "correct", "accuracy")
	for _, k := range Kinds {
		if t := r.ByKind[k]; t != nil {
			fmt.Fprintf(&b, "%-9s %6d %8d %8.1f%%\n", k, t.Cases, t.Correct, 100*t.Accuracy())
		}
	}
	if cd := r.CheckDigits(); cd.Cases > 0 {
		fmt.Fprintf(&b, "%-9s %6d %8d %8.1f%%   (idcard + bankcard: check digits)\n", "checked", cd.Cases, cd.Correct, 100*cd.Accuracy())
	}
	fmt.Fprintf(&b, "%-9s %6d %8d %8.1f%%\n", "overall", r.All.Cases, r.All.Correct, 100*r.All.Accuracy())
	if len(r.Misses) > 0 {
		fmt.Fprintf(&b, "misses (%d):\n", len(r.Misses))
		for _, m := range r.Misses {
			fmt.Fprintf(&b, "  line %d\t%s\t%s\t%s\twant %s\tgot %s\n", m.Line, m.Kind, m.Today, m.Spoken, m.Expected, m.Got)
		}
	}
	return b.String()
}
