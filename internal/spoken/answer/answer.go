// Package answer reads the value a person says in answer to one form question — yes or no, a
// number, an amount of money, a date, a mobile number, an ID or bank card number, a name, a sex,
// or one of a few options — as speech recognisers and keyboards write it down, and gives it in
// one canonical form, or refuses it with a reason the form engine can say before asking again.
//
// It never guesses. An answer is refused when it hedges (可能吧, 大概两千), names a range
// (三四千) or an approximation (三千多), says two different values without taking one back
// (三千还是四千), leaves out what makes it a value (a year with no month), or fails the number's
// own checks (a 身份证号's check digit or birth date, a bank card's Luhn digit, a phone number's
// length and prefix, a day the month does not have). A value taken back is dropped: “一千二，
// 不对，一千三” is 1300 and “不是三千，是三千五” is 3500.
//
// It is deterministic (a date said relative to today needs today passed in) and has no model;
// the words it knows are in tables at the top of each file.
package answer

import (
	"strings"
	"time"
	"unicode"

	"shebao/internal/apperr"
	"shebao/internal/spoken"
)

// Kind is the kind of value a question asks for.
type Kind string

// The kinds Parse reads.
const (
	YesNo    Kind = "yesno"    // true or false
	Number   Kind = "number"   // a decimal number
	Money    Kind = "money"    // an amount in yuan, to the fen
	Date     Kind = "date"     // YYYY-MM-DD, or YYYY-MM when no day was said
	Phone    Kind = "phone"    // an 11-digit mobile number
	IDCard   Kind = "idcard"   // an 18-character 居民身份证号, X upper-case
	BankCard Kind = "bankcard" // 16–19 digits passing the Luhn check
	Name     Kind = "name"     // a Chinese name of 2–4 characters
	Sex      Kind = "sex"      // 男 or 女
	Choice   Kind = "choice"   // one of the question's options (ParseChoice)
)

// Kinds lists every kind, in the order reports show them.
var Kinds = []Kind{YesNo, Number, Money, Date, Phone, IDCard, BankCard, Name, Sex, Choice}

// Value is an accepted answer.
type Value struct {
	Kind   Kind
	Text   string      // the canonical form: true, 2138.4, 1953-03, 11010519491231002X, 男, an option
	Bool   bool        // YesNo
	Number float64     // Number and Money (Text is exact; this is for arithmetic)
	Date   spoken.Date // Date; Day is 0 when no day was said
	Index  int         // Choice: the option's index, from 0
}

// Parse reads text as the answer to a question asking for a value of kind k. today is the date
// the answer was given on, for dates said relative to it (去年十月, 上个月15号), for two-digit
// years and for birth dates that must not be in the future; a zero today refuses relative dates
// and skips the future check. Choice needs its options: use ParseChoice. The error is an
// *apperr.Error whose code is one of Reasons.
func Parse(k Kind, text string, today time.Time) (Value, error) {
	s := normalize(text)
	if strings.TrimFunc(s, isPause) == "" {
		return Value{}, refuse(Empty)
	}
	if !today.IsZero() {
		y, m, d := today.Date()
		today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if k == Choice {
		return Value{}, refuse(ChoiceOptions)
	}
	if p, ok := parsers[k]; ok {
		return p(s, today)
	}
	return Value{}, refuse(UnknownKind)
}

// parsers read the normalized answer for each kind but Choice; today is zero when unknown.
var parsers = map[Kind]func(s string, today time.Time) (Value, error){
	YesNo:    anyDay(parseYesNo),
	Number:   anyDay(parseNumber),
	Money:    anyDay(parseMoney),
	Date:     parseDate,
	Phone:    anyDay(parsePhone),
	IDCard:   parseIDCard,
	BankCard: anyDay(parseBankCard),
	Name:     anyDay(parseName),
	Sex:      anyDay(parseSex),
}

// anyDay adapts a parser that does not depend on today.
func anyDay(p func(s string) (Value, error)) func(string, time.Time) (Value, error) {
	return func(s string, _ time.Time) (Value, error) { return p(s) }
}

// normalize folds full-width letters and digits to ASCII, lower-cases ASCII letters, turns controls
// into spaces and drops invisible characters (spoken.Invisible), so that every table below is written once.
func normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		r = spoken.FoldWidth(r)
		switch {
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case unicode.IsControl(r) || unicode.IsSpace(r):
			r = ' '
		case spoken.Invisible(r):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isPause reports whether r is a pause in speech: space or punctuation.
func isPause(r rune) bool {
	if r == ' ' {
		return true
	}
	if r < 0x80 {
		return strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r)
	}
	return strings.ContainsRune("，。、；：？！…—–·・「」『』（）《》〈〉【】“”‘’～﹏", r)
}

// retractions are the words that take back what was said before them (“一千二，不对，一千三”).
var retractions = []string{"不对", "说错了", "错了", "不不", "哦不", "噢不", "呃不", "更正", "纠正", "重新说", "改成", "改为", "应该是"}

// lastRetraction returns the byte offset just after the last word in s that takes back what was
// said before it, or 0. “没错了” and “对不对” take nothing back.
func lastRetraction(s string) int {
	last := 0
	for _, w := range retractions {
		for _, i := range indexAll(s, w) {
			from := i + len(w)
			before := s[:i]
			if w == "错了" && (strings.HasSuffix(before, "没") || strings.HasSuffix(before, "不")) {
				continue
			}
			if w == "不对" && strings.HasSuffix(before, "对") {
				continue
			}
			if w == "应该是" {
				b := strings.TrimRightFunc(before, isPause)
				if !strings.HasSuffix(b, "不对") && !strings.HasSuffix(b, "错了") {
					continue // 应该是 alone is a hedge; only right after a retraction does it correct
				}
			}
			if from > last {
				last = from
			}
		}
	}
	return last
}

// occurrence is one value found in an answer.
type occurrence struct {
	start, end int    // byte offsets in the normalised text
	text       string // the canonical form
	err        error  // why it cannot be accepted, if it cannot
}

// settleValue settles the occurrences found in s into a Value of kind k holding the one left,
// refusing with none when nothing was found.
func settleValue(k Kind, s string, occ []occurrence, none apperr.Kind) (Value, error) {
	if len(occ) == 0 {
		return Value{}, refuse(none)
	}
	o, err := settle(s, occ)
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: k, Text: o.text}, nil
}

// settle picks the one value an answer gives from every value found in it: values taken back
// (said before 不对, or right after 不是) are dropped; the rest must agree.
func settle(s string, found []occurrence) (occurrence, error) {
	cut := lastRetraction(s)
	var active []occurrence
	for _, o := range found {
		if o.end <= cut || negated(s[:o.start]) {
			continue
		}
		active = append(active, o)
	}
	if len(active) == 0 {
		return occurrence{}, refuse(Retracted)
	}
	for _, o := range active {
		if o.err != nil && len(active) == 1 {
			return occurrence{}, o.err
		}
	}
	for _, o := range active[1:] {
		if o.text != active[0].text || o.err != nil || active[0].err != nil {
			return occurrence{}, refuse(Ambiguous)
		}
	}
	return active[0], nil
}

// negated reports whether the text before a value ends in 不是 (“不是三千，是三千五”).
func negated(before string) bool {
	before = strings.TrimRightFunc(before, isPause)
	return strings.HasSuffix(before, "不是") || strings.HasSuffix(before, "并非")
}

// containsAny reports whether s contains any of words.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// uncertain are the words that make any answer a guess rather than a value.
var uncertain = []string{"可能", "也许", "或许", "好像", "似乎", "估计", "大概", "大约", "大致", "差不多",
	"不确定", "不知道", "不清楚", "记不清", "记不得", "不记得", "忘了", "想不起", "说不好", "不好说", "说不准",
	"不一定", "你说呢", "随便", "都行", "都可以", "看着办", "应该是", "应该吧"}
