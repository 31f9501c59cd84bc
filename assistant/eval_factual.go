package assistant

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FactualCase is one question of a factual set: an answerable question with its guide and the
// figures a right answer must contain, or a question the guides cannot answer (the reply must
// say so and offer 12333).
type FactualCase struct {
	ID           string   `yaml:"id"`
	Question     string   `yaml:"question"`
	Guide        string   `yaml:"guide,omitempty"`
	Figures      []string `yaml:"figures,omitempty"`
	Note         string   `yaml:"note,omitempty"`
	CannotAnswer bool     `yaml:"cannot_answer,omitempty"`
	ClosestGuide string   `yaml:"closest_guide,omitempty"`
}

// LoadFactual reads a factual set: a YAML list of FactualCase.
func LoadFactual(path string) ([]FactualCase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read factual set: %w", err)
	}
	var cs []FactualCase
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("factual set %s: %w", path, err)
	}
	return cs, nil
}

// FactualReport is the outcome of EvaluateFactual.
type FactualReport struct {
	Set   string
	Model bool
	// Answerable questions: the answer holds every expected figure; cites the expected guide;
	// is routed to a guide (or the retirement calculator). WithFigures counts those that expect
	// a figure (a yes/no or how-to question may expect none): figure accuracy is over them.
	Answerable, WithFigures, FigureCorrect, GuideCited, RoutedRight int
	// Questions the guides cannot answer: the reply says so (or is out of scope, or points to
	// the person's own records) and offers 12333.
	Unanswerable, CannotCorrect int
	// Sentences of composed answers, and those with a figure absent from what they cite.
	Sentences, Unsourced   int
	ModelAnswers, FellBack int
	Failures               []EvalFailure
	Elapsed                time.Duration
}

// FigureAccuracy is the share of the answerable questions expecting a figure whose answer holds
// every expected figure.
func (r FactualReport) FigureAccuracy() float64 { return ratio(r.FigureCorrect, r.WithFigures) }

// CannotAccuracy is the share of unanswerable questions answered with "the guides do not say".
func (r FactualReport) CannotAccuracy() float64 { return ratio(r.CannotCorrect, r.Unanswerable) }

// CitationAccuracy is the share of answerable questions whose answer cites the expected guide.
func (r FactualReport) CitationAccuracy() float64 { return ratio(r.GuideCited, r.Answerable) }

// RoutingAccuracy is the share of all questions routed right.
func (r FactualReport) RoutingAccuracy() float64 {
	return ratio(r.RoutedRight, r.Answerable+r.Unanswerable)
}

// String summarises the report, one failure per line.
func (r FactualReport) String() string {
	var b strings.Builder
	mode := "no model (extractive)"
	if r.Model {
		mode = fmt.Sprintf("model (%d answers by the model, %d fell back)", r.ModelAnswers, r.FellBack)
	}
	fmt.Fprintf(&b, "factual set %s — %s, %d questions in %v\n", r.Set, mode, r.Answerable+r.Unanswerable, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "  figure accuracy:      %5.1f%% (%d/%d)\n", 100*r.FigureAccuracy(), r.FigureCorrect, r.WithFigures)
	fmt.Fprintf(&b, "  can't-answer:         %5.1f%% (%d/%d)\n", 100*r.CannotAccuracy(), r.CannotCorrect, r.Unanswerable)
	fmt.Fprintf(&b, "  right guide cited:    %5.1f%% (%d/%d)\n", 100*r.CitationAccuracy(), r.GuideCited, r.Answerable)
	fmt.Fprintf(&b, "  routing:              %5.1f%% (%d/%d)\n", 100*r.RoutingAccuracy(), r.RoutedRight, r.Answerable+r.Unanswerable)
	fmt.Fprintf(&b, "  sentences with a figure not in what they cite: %d of %d\n", r.Unsourced, r.Sentences)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "    %s %q: want %s, got %s\n", f.ID, f.Q, f.Want, f.Got)
	}
	return b.String()
}

// EvaluateFactual asks every question of a factual set, each in a new session, and scores the
// answers.
func EvaluateFactual(ctx context.Context, svc *Service, path string) (FactualReport, error) {
	cs, err := LoadFactual(path)
	if err != nil {
		return FactualReport{}, err
	}
	rep := FactualReport{Set: path, Model: svc.model != nil}
	start := time.Now()
	for _, c := range cs {
		a, err := svc.Answer(ctx, "", c.Question)
		if err != nil {
			return rep, fmt.Errorf("case %s: %w", c.ID, err)
		}
		rep.score(ctx, svc, c, a)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func (r *FactualReport) score(ctx context.Context, svc *Service, c FactualCase, a Answer) {
	if a.Model {
		r.ModelAnswers++
	}
	if a.FellBack {
		r.FellBack++
	}
	fail := func(want, got string) {
		r.Failures = append(r.Failures, EvalFailure{c.ID, c.Question, want, got})
	}
	said := excerpt(strings.ReplaceAll(a.Text, "\n", " "), 90)
	noAnswer := a.NoAnswer || a.Route == RouteOutOfScope || a.Route == RouteAccount
	if c.CannotAnswer {
		r.Unanswerable++
		if noAnswer {
			r.RoutedRight++
		}
		if noAnswer && strings.Contains(a.Text, Hotline) {
			r.CannotCorrect++
		} else {
			fail("can't answer + 12333", string(a.Route)+": "+said)
		}
	} else {
		r.Answerable++
		if (a.Route == RouteGuide || a.Route == RouteRetirement) && !a.NoAnswer {
			r.RoutedRight++
		}
		var missing []string
		for _, f := range c.Figures {
			if !containsFigure(a.Text, f) {
				missing = append(missing, f)
			}
		}
		if len(c.Figures) > 0 {
			r.WithFigures++
		}
		switch {
		case len(c.Figures) == 0:
			if a.NoAnswer {
				fail("an answer", string(a.Route)+": "+said)
			}
		case len(missing) == 0:
			r.FigureCorrect++
		default:
			fail("figures "+strings.Join(missing, ","), string(a.Route)+" "+citationCodes(a.Citations)+": "+said)
		}
		cited := false
		for _, ci := range a.Citations {
			cited = cited || ci.Code == c.Guide
		}
		if cited {
			r.GuideCited++
		} else if len(missing) == 0 {
			fail("cite "+c.Guide, citationCodes(a.Citations))
		}
	}
	// Every sentence's figures must be in what the answer cites (or computed by the calculator).
	if len(a.Citations) == 0 && a.Route != RouteRetirement {
		return
	}
	sources := append([]string{Hotline}, a.sources...)
	for _, ci := range a.Citations {
		if g, err := svc.opts.Guides.Guide(ctx, ci.Code); err == nil && Element(ci.Element).Valid() {
			sources = append(sources, g.Name, ElementText(&g, Element(ci.Element)))
		}
	}
	for _, sent := range splitSentences(a.Text) {
		if len(Figures(sent)) == 0 {
			continue
		}
		r.Sentences++
		if chk := CheckNumbers(sent, sources...); !chk.OK() {
			r.Unsourced++
			fail("all figures sourced", "unsourced "+figureTexts(chk.Unsourced)+" in "+excerpt(sent, 40))
		}
	}
}

// containsFigure reports whether text says the expected figure: the same words, or every
// figure in it with the same value and unit (a figure without a unit matches any unit).
func containsFigure(text, want string) bool {
	if strings.Contains(text, want) {
		return true
	}
	wf := Figures(want)
	if len(wf) == 0 {
		return false
	}
	have := Figures(text)
	for _, w := range wf {
		found := false
		for _, h := range have {
			if h.Value == w.Value && (h.Unit == w.Unit || w.Unit == "" || h.Unit == "") {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
