package answer

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// namePrefixes introduce a name; they are taken off, longest first, until none is left.
var namePrefixes = []string{"我的名字叫", "我的名字是", "我的姓名是", "我名字叫", "我名字是", "名字叫做", "名字叫", "名字是",
	"姓名是", "姓名叫", "姓名", "名字", "我叫做", "我叫", "他叫", "她叫", "叫做", "我是", "本人是", "本人", "申请人是",
	"申请人", "就是", "就叫", "叫", "是", "就", "那个", "呃", "嗯", "额", "啊", "哦"}

// nameSuffixes close an answer without being part of the name.
var nameSuffixes = []string{"这个名字", "这名字", "就是", "同志", "啊", "呀", "吧", "呢", "哦", "嘛", "啦", "哈", "的", "了"}

// notNames are short answers said around a name that are not one (“张伟，对”).
var notNames = map[string]bool{"对": true, "对的": true, "是的": true, "嗯": true, "好": true, "没错": true,
	"谢谢": true, "就这个": true, "你好": true, "您好": true, "明白": true, "明天": true, "高兴": true,
	"没有": true, "不是": true, "好的": true}

// surnameIntro is “姓张，叫张伟” or “我姓张叫伟”: the surname said on its own, then the name.
var surnameIntro = regexp.MustCompile(`姓(\p{Han}{1,2}?)[，,。、 ]*(?:名字|名)?叫(\p{Han}{1,3})`)

func parseName(s string) (Value, error) {
	if containsAny(s[lastRetraction(s):], uncertain) {
		return Value{}, refuse(Hedged)
	}
	if sm := surnameIntro.FindStringSubmatchIndex(s); sm != nil {
		surname, given := s[sm[2]:sm[3]], s[sm[4]:sm[5]]
		name := given
		if !strings.HasPrefix(given, surname) {
			name = surname + given
		}
		if err := checkName(name); err != nil {
			return Value{}, err
		}
		return Value{Kind: Name, Text: name}, nil
	}
	var occ []occurrence
	for _, c := range nameClauses(s) {
		text := s[c.start:c.end]
		if _, hint := surnameHints[text]; hint || notNames[text] || strings.HasPrefix(text, "姓") && utf8.RuneCountInString(text) <= 3 {
			continue
		}
		occ = append(occ, occurrence{start: c.start, end: c.end, text: text, err: checkName(text)})
	}
	// a stray character beside a name is not a second answer
	valid := false
	for _, o := range occ {
		valid = valid || o.err == nil
	}
	if valid {
		// what is not a name beside a name (我是他儿子，我叫刘强) is not a second answer
		kept := occ[:0]
		for _, o := range occ {
			if o.err == nil {
				kept = append(kept, o)
			}
		}
		occ = kept
	}
	return settleValue(Name, s, occ, NameForm)
}

// nameClauses splits an answer at pauses and at the words that take a name back, and takes the
// introducing words off each part: what is left is a name or not.
func nameClauses(s string) []span {
	var out []span
	cuts := []string{"不对", "不是", "错了", "说错了", "不不", "哦不", "还是", "或者", "或是"}
	start := 0
	emit := func(i, j int) {
		text := s[i:j]
		for changed := true; changed; {
			changed = false
			// what follows the last 叫 or 是 is the name: 我儿子叫王强, 申请人是我妈李秀兰
			for _, w := range []string{"叫", "是"} {
				if k := strings.LastIndex(text, w); k >= 0 && k+len(w) < len(text) && !strings.HasSuffix(text[:k], "不") {
					i += k + len(w)
					text = text[k+len(w):]
					changed = true
				}
			}
			if p := prefixAny(text, namePrefixes); p != "" && len(p) < len(text) {
				i += len(p)
				text = text[len(p):]
				changed = true
			}
			for _, suf := range nameSuffixes {
				if strings.HasSuffix(text, suf) && len(suf) < len(text) {
					j -= len(suf)
					text = text[:len(text)-len(suf)]
					changed = true
				}
			}
		}
		if text != "" {
			out = append(out, span{i, j})
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isPause(r) && !isNameDot(r) {
			emit(start, i)
			i += n
			start = i
			continue
		}
		if w := prefixAny(s[i:], cuts); w != "" {
			emit(start, i)
			i += len(w)
			start = i
			continue
		}
		i += n
	}
	emit(start, len(s))
	return out
}

// isNameDot reports whether r is the middle dot between the parts of a transcribed name.
func isNameDot(r rune) bool { return r == '·' || r == '•' || r == '・' }

// checkName checks a name: two to four Han characters starting with a surname, or a name of
// the minorities written with a middle dot (买买提·艾力).
func checkName(name string) error {
	parts := strings.FieldsFunc(name, isNameDot)
	n := 0
	for _, p := range parts {
		for _, r := range p {
			if !unicode.Is(unicode.Han, r) {
				return refuse(NameForm)
			}
			n++
		}
	}
	if len(parts) > 1 {
		first, _ := utf8.DecodeRuneInString(name)
		last, _ := utf8.DecodeLastRuneInString(name)
		if n < 2 || n > 15 || isNameDot(first) || isNameDot(last) {
			return refuse(NameForm)
		}
		return nil
	}
	if n < 2 || n > 4 {
		return refuse(NameForm)
	}
	for _, c := range compoundSurnames {
		if strings.HasPrefix(name, c) {
			if name == c {
				return refuse(NameForm) // 欧阳: a surname alone
			}
			return nil
		}
	}
	if !strings.ContainsRune(singleSurnames, firstRune(name)) {
		return refuse(NameSurname)
	}
	return nil
}
