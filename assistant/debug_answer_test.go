package assistant

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDebugAnswer(t *testing.T) {
	qs := os.Getenv("DEBUGQ")
	if qs == "" {
		t.Skip("DEBUGQ not set")
	}
	corpus := seedCorpus(t)
	for _, qq := range strings.Split(qs, "|") {
		hits, _ := corpus.Retrieve(context.Background(), qq, 3)
		q := newQuestion(qq)
		var gps []*guidePassages
		for _, h := range hits {
			g, _ := corpus.Guide(context.Background(), h.Code)
			gps = append(gps, newGuidePassages(&g))
			fmt.Printf("hit %s %s %.2f topic=%.2f\n", h.Code, g.Name, h.Score, elementTopic(q, gps[len(gps)-1]))
		}
		q.weigh(gps)
		var topic []string
		for k := range q.topic {
			topic = append(topic, k)
		}
		fmt.Printf("Q %s asks=%v elems=%v topic=%v facts=%v\n", qq, q.asks, DetectElements(qq), topic, q.facts)
		for _, k := range append(q.asks, "") {
			for i, sp := range rankPassages(q, gps, k) {
				if i == 4 {
					break
				}
				fmt.Printf("  [%s] %.2f topic=%.2f fit=%.2f %s %s\n", k, sp.score, sp.topic, sp.fit, sp.p.Ref(), excerpt(sp.p.Text, 60))
			}
		}
	}
}

func TestDebugCalibrate(t *testing.T) {
	if os.Getenv("DEBUGCAL") == "" {
		t.Skip()
	}
	corpus := seedCorpus(t)
	cs, _ := LoadFactual("testdata/chat_factual_dev.yaml")
	for _, c := range cs {
		hits, _ := corpus.Retrieve(context.Background(), c.Question, retrieveGuides)
		var gps []*guidePassages
		for _, h := range hits {
			g, _ := corpus.Guide(context.Background(), h.Code)
			gps = append(gps, newGuidePassages(&g))
		}
		q := newQuestion(c.Question)
		q.weigh(gps)
		if len(q.asks) == 0 {
			fmt.Printf("%s cannot=%v NOASK\n", c.ID, c.CannotAnswer)
			continue
		}
		r := rankPassages(q, gps, q.asks[0])
		if len(r) == 0 {
			fmt.Printf("%s cannot=%v NOCAND %v\n", c.ID, c.CannotAnswer, q.asks)
			continue
		}
		pos := -1
		for i, sp := range r {
			ok := len(c.Figures) > 0
			for _, f := range c.Figures {
				ok = ok && containsFigure(sp.p.Text, f)
			}
			if ok {
				pos = i
				break
			}
		}
		b := r[0]
		fmt.Printf("%s cannot=%v ask=%v score=%.2f topic=%.2f pcov=%.2f fit=%.2f rightAt=%d %s\n", c.ID, c.CannotAnswer, q.asks, b.score, b.topic, q.coverage(b.p.grams), b.fit, pos, excerpt(b.p.Text, 30))
	}
}
