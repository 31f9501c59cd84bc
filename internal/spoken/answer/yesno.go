package answer

import (
	"strings"
	"unicode/utf8"
)

// yesNoWords are the words of a yes (+1) or a no (-1), and the fillers and particles (0) that
// may stand around them. Matching takes the longest word first, so 不错 is a yes, 没有 a no.
var yesNoWords = map[string]int{
	"对": 1, "对的": 1, "对头": 1, "对啊": 1, "对了": 1, "对着呢": 1, "是": 1, "是的": 1, "是滴": 1, "正是": 1,
	"没错": 1, "没错儿": 1, "没有错": 1, "没问题": 1, "没毛病": 1, "不错": 1, "嗯": 1, "恩": 1, "嗯呐": 1,
	"嗯哼": 1, "好": 1, "好的": 1, "好嘞": 1, "好滴": 1, "行": 1, "行的": 1, "可以": 1, "可以的": 1,
	"确认": 1, "确定": 1, "正确": 1, "同意": 1, "要": 1, "需要": 1, "有": 1, "当然": 1, "肯定": 1,
	"必须": 1, "就这样": 1, "一样": 1, "一致": 1, "妥": 1, "ok": 1, "okay": 1, "yes": 1, "yeah": 1, "yep": 1,
	"不是": -1, "不对": -1, "错": -1, "错了": -1, "不用": -1, "不要": -1, "不需要": -1, "没有": -1,
	"没": -1, "否": -1, "不行": -1, "不可以": -1, "不同意": -1, "不正确": -1, "算了": -1, "别了": -1, "别别": -1,
	"不了": -1, "不必": -1, "无需": -1, "不好": -1, "不成": -1, "不能": -1, "不": -1, "no": -1, "nope": -1,
	"不一样": -1, "不一致": -1, "不确认": -1,
	// regional: 要得, 没得问题 (south-west), 不得行, 不中 (Henan)
	"要得": 1, "没得问题": 1, "莫得问题": 1, "得行": 1, "不得行": -1, "不中": -1, "没得": -1, "莫得": -1,
	"啊": 0, "呀": 0, "哦": 0, "噢": 0, "喔": 0, "呢": 0, "嘛": 0, "啦": 0, "哈": 0, "嘞": 0, "哟": 0,
	"了": 0, "的": 0, "哇": 0, "咯": 0, "呗": 0, "吧": 0, "呃": 0, "额": 0, "那个": 0, "这个": 0, "就": 0,
	"就是": 0, "我": 0, "那": 0, "都": 0, "谢谢": 0, "您": 0, "你": 0, "你好": 0, "您好": 0, "对不起": 0,
}

// wholeYesNo are answers that are a yes or no only when they are the whole answer: 中 (yes, in
// the north-west) is also a part of 中国, y and n are letters.
var wholeYesNo = map[string]bool{"中": true, "中中": true, "成": true, "y": true, "yy": true, "n": false, "办": true}

// questions make an answer a question back (“对不对”, “是吗”), not a yes or no.
var questions = []string{"吗", "?", "？", "对不对", "是不是", "好不好", "行不行", "可不可以", "要不要", "有没有",
	"对吧", "是吧", "是么", "咋", "什么", "啥", "为什么", "怎么"}

// yesNoHedges are the answers that are neither, besides the uncertain words of every kind.
var yesNoHedges = []string{"看情况", "再说", "考虑", "想想", "等等", "等一下", "不太确定", "还行", "一般",
	"不是很确定", "不是很清楚", "不太清楚", "不敢确定", "不敢说", "拿不准", "吃不准", "没想好", "待定", "再看看", "商量", "觉得", "感觉"}

// askedBack reports whether s asks a question back. An A-not-A after 不 is a denial said twice
// (不是不是, 不对不对), not a question.
func askedBack(s string) bool {
	for _, q := range questions {
		for _, i := range indexAll(s, q) {
			if strings.HasPrefix(q, "不") || !strings.HasSuffix(s[:i], "不") || utf8.RuneCountInString(q) != 3 {
				return true
			}
		}
	}
	return false
}

const maxYesNoWord = 4 // runes in the longest word of yesNoWords

func parseYesNo(s string) (Value, error) {
	if containsAny(s, uncertain) || containsAny(s, yesNoHedges) {
		return Value{}, refuse(Hedged)
	}
	if askedBack(s) {
		return Value{}, refuse(Question)
	}
	core := strings.Map(func(r rune) rune {
		if isPause(r) {
			return -1
		}
		return r
	}, s)
	if v, ok := wholeYesNo[core]; ok {
		return yesNoValue(v), nil
	}
	// Read the answer word by word. A word with unknown text right after it is part of a
	// statement (“对，不是别的号”: 不是别的号 says why), not an answer on its own.
	type said struct {
		word       string
		polarity   int
		standalone bool // followed by a pause, the end or another known word
	}
	var words []said
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isPause(r) {
			i += n
			continue
		}
		w, p := longestWord(s[i:])
		if w == 0 {
			i += n
			continue
		}
		if p != 0 {
			next, _ := utf8.DecodeRuneInString(s[i+w:])
			k, _ := longestWord(s[i+w:])
			words = append(words, said{s[i : i+w], p, i+w == len(s) || isPause(next) || k > 0})
		}
		i += w
	}
	// 嗯 before another word is a pause for thought (“嗯，不是”), not a yes.
	for len(words) > 1 && (words[0].word == "嗯" || words[0].word == "恩") {
		words = words[1:]
	}
	if len(words) == 0 {
		return Value{}, refuse(NotUnderstood)
	}
	var standalone []said
	for _, w := range words {
		if w.standalone {
			standalone = append(standalone, w)
		}
	}
	if len(standalone) > 0 {
		words = standalone
	}
	for _, w := range words[1:] {
		if w.polarity != words[0].polarity {
			return Value{}, refuse(Ambiguous)
		}
	}
	return yesNoValue(words[0].polarity > 0), nil
}

// longestWord returns the length in bytes of the longest word of yesNoWords that s starts with,
// and its polarity; 0 when none does.
func longestWord(s string) (int, int) {
	end := 0
	var ends [maxYesNoWord]int
	for k := 0; k < maxYesNoWord && end < len(s); k++ {
		_, n := utf8.DecodeRuneInString(s[end:])
		end += n
		ends[k] = end
	}
	for k := maxYesNoWord - 1; k >= 0; k-- {
		if ends[k] == 0 {
			continue
		}
		if p, ok := yesNoWords[s[:ends[k]]]; ok {
			return ends[k], p
		}
	}
	return 0, 0
}

func yesNoValue(b bool) Value {
	v := Value{Kind: YesNo, Bool: b, Text: "false"}
	if b {
		v.Text = "true"
	}
	return v
}
