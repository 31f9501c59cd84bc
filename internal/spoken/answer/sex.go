package answer

import "strings"

// sexWords name a sex; 男 and 女 anywhere else count too (男的, 女性, 我是女同志).
var sexWords = []struct {
	word, sex string
}{{"female", "女"}, {"male", "男"}, {"先生", "男"}, {"男", "男"}, {"女", "女"}}

// wholeSex are letters that are a sex only as the whole answer.
var wholeSex = map[string]string{"m": "男", "f": "女"}

func parseSex(s string) (Value, error) {
	if containsAny(s[lastRetraction(s):], uncertain) {
		return Value{}, refuse(Hedged)
	}
	if sex, ok := wholeSex[strings.TrimFunc(s, isPause)]; ok {
		return Value{Kind: Sex, Text: sex}, nil
	}
	var occ []occurrence
	for i := 0; i < len(s); {
		w := ""
		for _, sw := range sexWords {
			if strings.HasPrefix(s[i:], sw.word) {
				w = sw.word
				occ = append(occ, occurrence{start: i, end: i + len(w), text: sw.sex})
				break
			}
		}
		if w == "" {
			w = s[i : i+1]
		}
		i += len(w)
	}
	return settleValue(Sex, s, occ, SexUnknown)
}
