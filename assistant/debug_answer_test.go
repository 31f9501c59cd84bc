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
