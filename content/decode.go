package content

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"shebao/internal/apperr"
)

// ImportLimits bound what an import file may expand to once decoded. YAML aliases let a small
// file name one long string thousands of times, so the bounds apply to the document as decoding
// would expand it, and are checked on the parsed tree (where an alias is still a reference) before
// anything is decoded.
type ImportLimits struct {
	MaxChars      int // characters of every string and key together, each alias counted as expanded
	MaxListItems  int // items in any one list (or keys in one mapping)
	MaxFieldChars int // characters in any one string
	MaxDepth      int // nesting of lists and mappings
	// MaxMarks bounds the YAML punctuation that can open a value (, [ { - : * ? and line ends),
	// counted before parsing: the YAML parser builds its whole tree first, at about 250 bytes per
	// value, so a file of millions of one-letter items must be refused before it is parsed. Real
	// guide files have one such mark per 23 bytes.
	MaxMarks int
}

// DefaultImportLimits are generous for real guide files (the whole seed corpus is about 150,000
// characters, its longest element under 1,000) and small enough that a hostile file is refused
// within a few megabytes of work.
var DefaultImportLimits = ImportLimits{MaxChars: 8 << 20, MaxListItems: 20000, MaxFieldChars: 20000, MaxDepth: 64, MaxMarks: 200000}

// forSize returns the limits for a file of n bytes: the defaults, raised for files larger than the
// HTTP body limit (only the command line can send those), so that an export of any corpus imports
// again, while aliases can still never expand a file past twice its size.
func (l ImportLimits) forSize(n int) ImportLimits {
	l.MaxChars = max(l.MaxChars, 2*n)
	l.MaxListItems = max(l.MaxListItems, n/100)
	l.MaxMarks = max(l.MaxMarks, n/16)
	return l
}

// yamlMarks counts the bytes that can open a YAML value: an upper bound on what parsing builds.
func yamlMarks(data []byte) int {
	n := 0
	for _, c := range data {
		switch c {
		case ',', '[', '{', '-', ':', '*', '?', '\n':
			n++
		}
	}
	return n
}

// budget counts a document against ImportLimits while it is walked.
type budget struct {
	ImportLimits
	used int
}

func (b *budget) tooLarge(bound string, max int, where string) error {
	msgs := map[string]string{
		"total_chars": "导入文件展开后的内容超过 %d 个字符（%s），未导入任何内容。",
		"list_items":  "导入文件中的一个列表超过 %d 项（%s），未导入任何内容。",
		"field_chars": "导入文件中的一段文字超过 %d 个字符（%s），未导入任何内容。",
		"depth":       "导入文件的嵌套超过 %d 层（%s），未导入任何内容。",
		"marks":       "导入文件的条目超过 %d 个（%s），未导入任何内容。",
	}
	return apperr.Newf(apperr.ImportTooLarge, msgs[bound], max, where).
		WithDetails(map[string]any{"bound": bound, "max": max, "at": where})
}

// node counts one value of n characters (every value costs at least one, so that empty values
// repeated through aliases are bounded too).
func (b *budget) node(chars int, where func() string) error {
	if chars > b.MaxFieldChars {
		return b.tooLarge("field_chars", b.MaxFieldChars, where())
	}
	b.used += chars + 1
	if b.used > b.MaxChars {
		return b.tooLarge("total_chars", b.MaxChars, where())
	}
	return nil
}

// walkYAML counts n as decoding would expand it, stopping at the first bound passed.
func (b *budget) walkYAML(n *yaml.Node, depth int) error {
	where := func() string { return fmt.Sprintf("第%d行", n.Line) }
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		return b.walkYAML(n.Alias, depth) // the aliased value stands here, at this depth
	case yaml.ScalarNode:
		return b.node(utf8.RuneCountInString(n.Value), where)
	case yaml.SequenceNode, yaml.MappingNode:
		if depth > b.MaxDepth {
			return b.tooLarge("depth", b.MaxDepth, where())
		}
		items := len(n.Content)
		if n.Kind == yaml.MappingNode {
			items /= 2
		}
		if items > b.MaxListItems {
			return b.tooLarge("list_items", b.MaxListItems, where())
		}
	}
	if err := b.node(0, where); err != nil {
		return err
	}
	for _, c := range n.Content {
		if err := b.walkYAML(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// walkJSON counts every value of a JSON stream (one or more top-level values).
func (b *budget) walkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type level struct {
		object bool
		items  int
	}
	var stack []level
	for {
		where := func() string { return fmt.Sprintf("第%d字节", dec.InputOffset()) }
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // malformed JSON: the decoder that follows reports it
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			top.items++
			max := b.MaxListItems
			if top.object {
				max *= 2 // a mapping's keys and values are both tokens
			}
			if top.items > max {
				return b.tooLarge("list_items", b.MaxListItems, where())
			}
		}
		chars := 0
		switch v := tok.(type) {
		case json.Delim:
			if len(stack) >= b.MaxDepth {
				return b.tooLarge("depth", b.MaxDepth, where())
			}
			stack = append(stack, level{object: v == '{'})
		case string:
			chars = utf8.RuneCountInString(v)
		case json.Number:
			chars = len(v)
		}
		if err := b.node(chars, where); err != nil {
			return err
		}
	}
}

// decodeYAML decodes the first YAML document of data into v with unknown fields refused, after
// checking its expanded size against lim.
func decodeYAML(data []byte, v any, lim ImportLimits) error {
	if n := yamlMarks(data); n > lim.MaxMarks {
		b := &budget{ImportLimits: lim}
		return b.tooLarge("marks", lim.MaxMarks, fmt.Sprintf("约 %d 个", n))
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	b := &budget{ImportLimits: lim}
	if err := b.walkYAML(&doc, 0); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// checkJSON checks a JSON stream against lim before it is decoded.
func checkJSON(data []byte, lim ImportLimits) error {
	b := &budget{ImportLimits: lim}
	return b.walkJSON(data)
}
