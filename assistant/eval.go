package assistant

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// GoldenCase is one question of the golden set, with what a right answer looks like. Then holds
// follow-up turns asked in the same session.
type GoldenCase struct {
	ID       string       `yaml:"id"`
	Q        string       `yaml:"q"`
	Route    Route        `yaml:"route"`
	Code     string       `yaml:"code,omitempty"`     // a citation must name this guide
	Elements []string     `yaml:"elements,omitempty"` // … and one of these elements (any if empty)
	Asks     bool         `yaml:"asks,omitempty"`     // the answer must be a question back
	Contains []string     `yaml:"contains,omitempty"` // substrings of the answer text
	Then     []GoldenCase `yaml:"then,omitempty"`
}

// GoldenSet is the file format of testdata/golden.yaml.
type GoldenSet struct {
	Cases []GoldenCase `yaml:"cases"`
}

// EvalReport is the outcome of Evaluate.
type EvalReport struct {
	Model        bool // a model was configured
	Turns        int
	RouteCorrect int
	// Citation accuracy over the turns that expect a citation: the guide, and guide plus element.
	CitationTurns   int
	CodeCorrect     int
	CitationCorrect int
	ContentCorrect  int // turns whose expected substrings and asks flag match (of Turns)
	// NumbersNotInSource counts figures in composed answers that are in none of the cited
	// elements (nor computed by the retirement calculator). The goal is 0.
	NumbersNotInSource int
	ModelAnswers       int // answers composed by the model
	FellBack           int // model answers replaced by the extractive answer
	Failures           []EvalFailure
	Elapsed            time.Duration
}

// EvalFailure describes one turn that missed.
type EvalFailure struct {
	ID, Q, Want, Got string
}

// RoutingAccuracy is the share of turns routed right.
func (r EvalReport) RoutingAccuracy() float64 { return ratio(r.RouteCorrect, r.Turns) }

// CitationAccuracy is the share of citing turns that cite the right guide and element.
func (r EvalReport) CitationAccuracy() float64 { return ratio(r.CitationCorrect, r.CitationTurns) }

// CodeAccuracy is the share of citing turns that cite the right guide.
func (r EvalReport) CodeAccuracy() float64 { return ratio(r.CodeCorrect, r.CitationTurns) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// String summarises the report, one failure per line.
func (r EvalReport) String() string {
	var b strings.Builder
	mode := "no model (extractive)"
	if r.Model {
		mode = fmt.Sprintf("model (%d answers by the model, %d fell back)", r.ModelAnswers, r.FellBack)
	}
	fmt.Fprintf(&b, "mode: %s\nturns: %d in %v\n", mode, r.Turns, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "routing accuracy: %.1f%% (%d/%d)\n", 100*r.RoutingAccuracy(), r.RouteCorrect, r.Turns)
	fmt.Fprintf(&b, "citation accuracy (guide+element): %.1f%% (%d/%d); guide only: %.1f%%\n",
		100*r.CitationAccuracy(), r.CitationCorrect, r.CitationTurns, 100*r.CodeAccuracy())
	fmt.Fprintf(&b, "content checks: %d/%d\n", r.ContentCorrect, r.Turns)
	fmt.Fprintf(&b, "numbers not in source: %d\n", r.NumbersNotInSource)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  %s %q: want %s, got %s\n", f.ID, f.Q, f.Want, f.Got)
	}
	return b.String()
}

// LoadGolden reads a golden set file.
func LoadGolden(path string) (GoldenSet, error) {
	var g GoldenSet
	data, err := os.ReadFile(path)
	if err != nil {
		return g, fmt.Errorf("read golden set: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil {
		return g, fmt.Errorf("golden set %s: %w", path, err)
	}
	return g, nil
}

// Evaluate asks every question of the golden set (each case in a new session, follow-ups in
// the same one) and scores routing, citations and the number check. It uses the Service as
// configured: without a model it measures the extractive answers, with one the model's.
func Evaluate(ctx context.Context, svc *Service, goldenFile string) (EvalReport, error) {
	set, err := LoadGolden(goldenFile)
	if err != nil {
		return EvalReport{}, err
	}
	rep := EvalReport{Model: svc.model != nil}
	start := time.Now()
	for i, c := range set.Cases {
		if c.ID == "" {
			c.ID = fmt.Sprintf("#%d", i+1)
		}
		sid := ""
		turns := append([]GoldenCase{c}, c.Then...)
		for j, tc := range turns {
			if tc.ID == "" {
				tc.ID = fmt.Sprintf("%s.%d", c.ID, j)
			}
			a, err := svc.Answer(ctx, sid, tc.Q)
			if err != nil {
				return rep, fmt.Errorf("case %s: %w", tc.ID, err)
			}
			sid = a.SessionID
			rep.score(ctx, svc, tc, a)
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func (r *EvalReport) score(ctx context.Context, svc *Service, c GoldenCase, a Answer) {
	r.Turns++
	if a.Model {
		r.ModelAnswers++
	}
	if a.FellBack {
		r.FellBack++
	}
	fail := func(want, got string) { r.Failures = append(r.Failures, EvalFailure{c.ID, c.Q, want, got}) }
	if a.Route == c.Route {
		r.RouteCorrect++
	} else {
		fail("route "+string(c.Route), "route "+string(a.Route)+": "+excerpt(a.Text, 40))
	}
	if c.Code != "" {
		r.CitationTurns++
		codeOK, elemOK := false, false
		for _, ci := range a.Citations {
			if ci.Code == c.Code {
				codeOK = true
				if len(c.Elements) == 0 || slices.Contains(c.Elements, ci.Element) {
					elemOK = true
				}
			}
		}
		if codeOK {
			r.CodeCorrect++
		}
		if elemOK {
			r.CitationCorrect++
		} else {
			fail(c.Code+"#"+strings.Join(c.Elements, "|"), citationCodes(a.Citations))
		}
	}
	ok := a.Asks == c.Asks
	for _, s := range c.Contains {
		if !strings.Contains(a.Text, s) {
			ok = false
		}
	}
	if ok {
		r.ContentCorrect++
	} else {
		fail(fmt.Sprintf("asks=%v contains %q", c.Asks, c.Contains), fmt.Sprintf("asks=%v %q", a.Asks, excerpt(a.Text, 60)))
	}
	// Independent number check of composed answers against what they cite.
	if a.Route == RouteGuide && len(a.Citations) > 0 || a.Route == RouteRetirement {
		sources := append(slices.Clone(a.sources), Hotline) // the offer that ends every answer
		for _, ci := range a.Citations {
			if g, err := svc.opts.Guides.Guide(ctx, ci.Code); err == nil && Element(ci.Element).Valid() {
				sources = append(sources, g.Name, ElementText(&g, Element(ci.Element)))
			}
		}
		if chk := CheckNumbers(a.Text, sources...); !chk.OK() {
			r.NumbersNotInSource += len(chk.Unsourced)
			fail("all figures sourced", "unsourced "+figureTexts(chk.Unsourced))
		}
	}
}
