package assistant

import "testing"

// factualFloors are the levels the dev half of the factual set reached (#19) in no-model mode
// over the seed corpus with the in-memory retriever: the answer code must not fall below them.
// Raise them when the answers get better; never lower them to make a change pass. The figures
// are computed by EvaluateFactual from the set's expected figures and guides, not kept here.
var factualFloors = struct{ figures, cannot, cited float64 }{figures: 0.86, cannot: 0.95, cited: 0.84}

// checkFactualFloor fails the test when the dev half's figure accuracy, can't-answer accuracy
// or right guide cited is below the level reached (TestFactualSets calls it for the dev half).
func checkFactualFloor(t *testing.T, rep FactualReport) {
	t.Helper()
	for _, c := range []struct {
		name       string
		got, floor float64
	}{
		{"figure accuracy", rep.FigureAccuracy(), factualFloors.figures},
		{"can't-answer accuracy", rep.CannotAccuracy(), factualFloors.cannot},
		{"right guide cited", rep.CitationAccuracy(), factualFloors.cited},
	} {
		if c.got < c.floor {
			t.Errorf("%s %.3f fell below its floor %.3f", c.name, c.got, c.floor)
		}
	}
}
