package search

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
	"github.com/mozillazg/go-pinyin"
)

// The analyzer's data files, embedded so that a deployed binary needs nothing from the module
// cache (gse's LoadDict() without arguments reads from there).
//
//go:embed data/general.dict data/domain.dict data/synonyms.txt data/filler.txt data/t2s.txt
var dataFS embed.FS

// domainFreq is the frequency given to domain words without one: high enough that 社保卡 beats
// 社保/卡 and 挂失 beats 挂/失, as gse picks the path with the least total -log(freq).
const domainFreq = 60000

// lexicon is the immutable language data the analyzer and the query pipeline share: the gse
// segmenter with its dictionaries, the filler lists, the traditional→simplified table and the
// pinyin of every Han character. It is loaded once per process (loadLexicon) and never changed, so
// concurrent use needs no lock.
type lexicon struct {
	seg       *gse.Segmenter
	domain    map[string]bool // our own dictionary, incl. the default synonym terms
	frames    []string        // spoken frames, longest first
	frameSet  map[string]bool
	maxFrame  int // in runes
	particles map[string]bool
	weak      map[string]bool
	claim     map[string]bool // words that ask how to get something
	grant     []string        // endings of the names of guides that grant something
	t2s       map[rune]rune
	readings  map[rune][]string // toneless pinyin, most common reading first
	syllables map[string]bool
	defaults  []Synonym // the shipped synonym table
	stamp     string    // hash of every data file: part of the index version
}

var sharedLexicon = sync.OnceValues(loadLexicon)

func loadLexicon() (*lexicon, error) {
	read := func(name string) (string, error) {
		b, err := dataFS.ReadFile("data/" + name)
		return string(b), err
	}
	lx := &lexicon{domain: map[string]bool{}, frameSet: map[string]bool{}, particles: map[string]bool{},
		weak: map[string]bool{}, claim: map[string]bool{}, t2s: map[rune]rune{}}
	h := sha256.New()
	files := map[string]string{}
	for _, n := range []string{"general.dict", "domain.dict", "synonyms.txt", "filler.txt", "t2s.txt"} {
		s, err := read(n)
		if err != nil {
			return nil, fmt.Errorf("search data %s: %w", n, err)
		}
		files[n] = s
		h.Write([]byte(s))
	}
	lx.stamp = hex.EncodeToString(h.Sum(nil))[:12]

	syns, err := parseSynonyms(files["synonyms.txt"])
	if err != nil {
		return nil, fmt.Errorf("search data synonyms.txt: %w", err)
	}
	lx.defaults = syns
	lx.parseFiller(files["filler.txt"])
	lx.parseT2S(files["t2s.txt"])

	// Domain words first: gse keeps the first entry of a word, so ours win over the general ones.
	var dict strings.Builder
	addDomain := func(w string, freq int) {
		w = strings.TrimSpace(w)
		if w == "" || lx.domain[w] || strings.ContainsAny(w, " \t") {
			return
		}
		lx.domain[w] = true
		fmt.Fprintf(&dict, "%s %d n\n", w, freq)
	}
	for _, line := range lines(files["domain.dict"]) {
		f := strings.Fields(line)
		freq := domainFreq
		if len(f) > 1 {
			if n, err := strconv.Atoi(f[1]); err == nil {
				freq = n
			}
		}
		addDomain(f[0], freq)
	}
	for _, s := range syns {
		addDomain(s.Term, domainFreq)
		for _, e := range s.Expansions {
			addDomain(e, domainFreq)
		}
	}
	for _, f := range lx.frames {
		if !lx.domain[f] {
			fmt.Fprintf(&dict, "%s %d n\n", f, domainFreq/2)
		}
	}
	for _, line := range lines(files["general.dict"]) {
		dict.WriteString(line)
		dict.WriteByte('\n')
	}
	seg := &gse.Segmenter{SkipLog: true, NotLoadHMM: true}
	if err := seg.LoadDictStr(dict.String()); err != nil {
		return nil, fmt.Errorf("load search dictionary: %w", err)
	}
	lx.seg = seg
	lx.loadPinyin()
	return lx, nil
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (lx *lexicon) parseFiller(s string) {
	section := ""
	for _, l := range lines(s) {
		if strings.HasPrefix(l, "[") {
			section = strings.Trim(l, "[]")
			continue
		}
		switch section {
		case "frames":
			if !lx.frameSet[l] {
				lx.frameSet[l] = true
				lx.frames = append(lx.frames, l)
				lx.maxFrame = max(lx.maxFrame, utf8.RuneCountInString(l))
			}
		case "particles":
			lx.particles[l] = true
		case "weak":
			lx.weak[l] = true
		case "claim":
			lx.claim[l] = true
		case "grant":
			lx.grant = append(lx.grant, l)
		}
	}
	sort.SliceStable(lx.frames, func(i, j int) bool {
		return utf8.RuneCountInString(lx.frames[i]) > utf8.RuneCountInString(lx.frames[j])
	})
}

func (lx *lexicon) parseT2S(s string) {
	for _, l := range lines(s) {
		for _, pair := range strings.Fields(l) {
			rs := []rune(pair)
			if len(rs) == 2 && rs[0] != rs[1] {
				lx.t2s[rs[0]] = rs[1]
			}
		}
	}
}

// toneless maps pinyin letters with tone marks to plain letters; ü is typed as v.
var toneless = map[rune]rune{
	'ā': 'a', 'á': 'a', 'ǎ': 'a', 'à': 'a', 'ē': 'e', 'é': 'e', 'ě': 'e', 'è': 'e',
	'ī': 'i', 'í': 'i', 'ǐ': 'i', 'ì': 'i', 'ō': 'o', 'ó': 'o', 'ǒ': 'o', 'ò': 'o',
	'ū': 'u', 'ú': 'u', 'ǔ': 'u', 'ù': 'u', 'ü': 'v', 'ǖ': 'v', 'ǘ': 'v', 'ǚ': 'v', 'ǜ': 'v',
	'ń': 'n', 'ň': 'n', 'ǹ': 'n', 'ḿ': 'm', 'ê': 'e',
}

// loadPinyin builds the toneless readings of every Han character go-pinyin knows, without its
// per-call regular expressions, and the set of valid syllables used to parse typed pinyin.
func (lx *lexicon) loadPinyin() {
	lx.readings = make(map[rune][]string, len(pinyin.PinyinDict))
	lx.syllables = map[string]bool{}
	var b strings.Builder
	for cp, v := range pinyin.PinyinDict {
		r := rune(cp)
		if !unicode.Is(unicode.Han, r) {
			continue
		}
		var rs []string
		for _, p := range strings.Split(v, ",") {
			b.Reset()
			for _, c := range p {
				if t, ok := toneless[c]; ok {
					c = t
				}
				b.WriteRune(c)
			}
			s := b.String()
			if s == "" || !strings.ContainsAny(s, "aeiouv") {
				continue
			}
			if !contains(rs, s) {
				rs = append(rs, s)
			}
			lx.syllables[s] = true
		}
		if len(rs) > 3 {
			rs = rs[:3]
		}
		if len(rs) > 0 {
			lx.readings[r] = rs
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// knownWord reports whether w is a word of the dictionary (general or domain).
func (lx *lexicon) knownWord(w string) bool {
	if lx.domain[w] {
		return true
	}
	freq, _, ok := lx.seg.Dict.Find([]byte(w))
	return ok && freq > 0
}

// pinyinOf returns the default toneless pinyin of s's Han characters; other letters and digits
// pass through in lower case, anything else is dropped.
func (lx *lexicon) pinyinOf(s string) (full []string) {
	for _, r := range s {
		if rs, ok := lx.readings[r]; ok {
			full = append(full, rs[0])
		} else if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			full = append(full, string(unicode.ToLower(r)))
		}
	}
	return full
}

// pinyinKeys returns the full pinyin (no separators) and the initials of s, the forms people
// type for a name or an alias: 社保卡挂失 → shebaokaguashi, sbkgs.
func (lx *lexicon) pinyinKeys(s string) (full, initials string) {
	var f, in strings.Builder
	for _, r := range s {
		if rs, ok := lx.readings[r]; ok {
			f.WriteString(rs[0])
			in.WriteByte(rs[0][0])
		} else if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			c := byte(unicode.ToLower(r))
			f.WriteByte(c)
			in.WriteByte(c)
		}
	}
	return f.String(), in.String()
}

// grants reports whether a guide's name says it grants something: without its parenthesised
// notes (（办理退休）, （含继承）), it ends with one of the [grant] words, as in 失业保险金申领 and
// 生育津贴支付, and unlike 养老金领取资格认证, which only involves the pension.
func (lx *lexicon) grants(name string) bool {
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch r {
		case '（', '(':
			depth++
		case '）', ')':
			depth = max(0, depth-1)
		default:
			if depth == 0 {
				b.WriteRune(r)
			}
		}
	}
	n := strings.TrimSpace(b.String())
	for _, g := range lx.grant {
		if strings.HasSuffix(n, g) {
			return true
		}
	}
	return false
}
