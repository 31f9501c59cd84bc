package answer

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	// 第二个, 倒数第一项, 第2种
	ordinal = regexp.MustCompile(`(倒数)?第 ?([0-9一二两三四五六七八九十]+) ?(个|项|种|条|样|类|号|档|位)?`)
	// 最后一个, 最后那个, 最后一项
	lastOne = regexp.MustCompile(`最后(一|那)?(个|项|种|条|样|类|档)?`)
	// 头一个, 最前面那个
	firstOne = regexp.MustCompile(`(头一|最前面|最上面)(那)?(个|项|种|条|样|类|档)?`)
	// 选2, 2号, 选三, 三号 (a bare number said as a position)
	numbered = regexp.MustCompile(`(?:选|要|是)? ?([0-9一二两三四五六七八九十]+) ?(号|个)?$`)
)

// choiceNone are the answers that pick none of the options.
var choiceNone = []string{"都不是", "都不要", "都不对", "都不", "哪个都不", "一个都不", "没有合适", "都没有", "以上都不"}

// choiceFillers are taken off an answer before it is compared with the options' labels.
var choiceFillers = []string{"我选", "我要", "我想", "我办", "选择", "就选", "就要", "选", "要", "办", "就是", "就", "那个",
	"这个", "吧", "的", "啊", "呀", "呢", "嗯", "我", "是"}

// ParseChoice reads text as the choice of one of options, by position (第二个, 最后一个, 倒数第二个,
// 选2) or by label (the label said, or enough of it to name one option alone). The Value's Index
// is the option's index from 0 and Text its label.
func ParseChoice(text string, options []string) (Value, error) {
	if len(options) == 0 {
		return Value{}, refuse(ChoiceOptions)
	}
	s := normalize(text)
	if strings.TrimFunc(s, isPause) == "" {
		return Value{}, refuse(Empty)
	}
	if containsAny(s[lastRetraction(s):], uncertain) {
		return Value{}, refuse(Hedged)
	}
	if containsAny(s, choiceNone) {
		return Value{}, refuse(ChoiceNone)
	}
	labels := make([]string, len(options))
	for i, o := range options {
		labels[i] = normalize(strings.TrimSpace(o))
	}
	labelled := labelOccurrences(s, labels)
	var occ []occurrence
	position := func(start, end, i int) {
		for _, l := range labelled {
			if start < l.end && l.start < end {
				return // a position inside a label said (第一档) is the label's
			}
		}
		o := occurrence{start: start, end: end, text: strconv.Itoa(i)}
		if i < 0 || i >= len(options) {
			o.err = refuse(ChoiceRange)
		}
		occ = append(occ, o)
	}
	for _, m := range ordinal.FindAllStringSubmatchIndex(s, -1) {
		n, ok := smallNumber(s[m[4]:m[5]])
		if !ok {
			continue
		}
		if m[2] >= 0 {
			position(m[0], m[1], len(options)-n)
		} else {
			position(m[0], m[1], n-1)
		}
	}
	for _, m := range lastOne.FindAllStringIndex(s, -1) {
		position(m[0], m[1], len(options)-1)
	}
	for _, m := range firstOne.FindAllStringIndex(s, -1) {
		position(m[0], m[1], 0)
	}
	if len(occ) == 0 && len(labelled) == 0 {
		core := strings.TrimFunc(s, isPause)
		if m := numbered.FindStringSubmatchIndex(core); m != nil && m[0] == 0 {
			if n, ok := smallNumber(core[m[2]:m[3]]); ok {
				off := strings.Index(s, core)
				position(off+m[0], off+m[1], n-1)
			}
		}
	}
	occ = append(occ, labelled...)
	if len(occ) == 0 {
		return Value{}, refuse(ChoiceNone)
	}
	o, err := settle(s, occ)
	if err != nil {
		return Value{}, err
	}
	i, _ := strconv.Atoi(o.text)
	return Value{Kind: Choice, Text: options[i], Index: i}, nil
}

// labelOccurrences finds the options' labels said in s: whole labels first (a label inside a
// longer one said does not count), else the one label that holds what was said.
func labelOccurrences(s string, labels []string) []occurrence {
	var out []occurrence
	for i, l := range labels {
		if l == "" {
			continue
		}
		for _, at := range indexAll(s, l) {
			out = append(out, occurrence{start: at, end: at + len(l), text: strconv.Itoa(i)})
		}
	}
	// drop a label found inside a longer one (养老 inside 养老保险)
	kept := out[:0]
	for _, o := range out {
		inside := false
		for _, p := range out {
			if p.end-p.start > o.end-o.start && p.start <= o.start && o.end <= p.end {
				inside = true
			}
		}
		if !inside {
			kept = append(kept, o)
		}
	}
	if len(kept) > 0 {
		return kept
	}
	core := strings.TrimFunc(s, isPause)
	for changed := true; changed; {
		changed = false
		if p := prefixAny(core, choiceFillers); p != "" && len(p) < len(core) {
			core, changed = core[len(p):], true
		}
		for _, f := range choiceFillers {
			if strings.HasSuffix(core, f) && len(f) < len(core) {
				core, changed = core[:len(core)-len(f)], true
			}
		}
	}
	if utf8.RuneCountInString(core) < 2 {
		return nil
	}
	var holders []int
	for i, l := range labels {
		if strings.Contains(l, core) {
			holders = append(holders, i)
		}
	}
	off := strings.Index(s, core)
	for _, i := range holders {
		out = append(out, occurrence{start: off, end: off + len(core), text: strconv.Itoa(i)})
	}
	return out
}

// smallNumber reads a position: 2, 二, 十二.
func smallNumber(s string) (int, bool) {
	v, _, err := parseInteger(s)
	if err != nil || v < 1 || v > 99 {
		return 0, false
	}
	return int(v), true
}
