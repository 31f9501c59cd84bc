package formflow

import (
	"context"
	"strings"

	"shebao/content"
)

// Op is what a command does.
type Op string

// The commands, whoever proposes them.
const (
	OpSet     Op = "set"     // the answer to the field being asked
	OpCorrect Op = "correct" // change a field already answered (with its new value, or ask it again)
	OpSkip    Op = "skip"    // leave the optional field being asked empty
	OpBack    Op = "back"    // go back to the field answered last
	OpRepeat  Op = "repeat"  // say the question again
	OpExplain Op = "explain" // what the field means, from the guide, cited
	OpCancel  Op = "cancel"  // stop; nothing is submitted
	OpHandoff Op = "handoff" // a person: 12333 and the office's hours
	OpConfirm Op = "confirm" // yes to a value read back, or to the summary
	OpDeny    Op = "deny"    // no to a value read back, or to the summary
)

// Ops lists every command.
var Ops = []Op{OpSet, OpCorrect, OpSkip, OpBack, OpRepeat, OpExplain, OpCancel, OpHandoff, OpConfirm, OpDeny}

// Command is one proposed step. Value is what the person said for the field, as spoken text:
// Go reads and validates it with the field's kind, whoever proposed it.
type Command struct {
	Op    Op     `json:"op"`
	Field string `json:"field,omitempty"`
	Value string `json:"value,omitempty"`
}

// Question is what a proposer is told about the turn: the form, the field asked, whether a
// value or the summary is being read back, and what the person said (personal data masked).
type Question struct {
	Form      *content.Form
	Field     string // key of the field being asked; empty in the summary
	ReadBack  bool   // a value is waiting for yes or no
	Summary   bool   // the summary is being read back
	Utterance string // masked
}

// Proposer turns free speech into a command. The model proposer implements it; ok false means
// it has no proposal.
type Proposer interface {
	Propose(ctx context.Context, q Question) (cmd Command, ok bool, err error)
}

// Phrases of the rule-based reader. A phrase anywhere in the utterance is enough, so each is
// one that cannot be part of an answer.
var (
	cancelPhrases  = []string{"不办了", "不填了", "不弄了", "不申请了", "不要办了", "取消办理", "取消申请", "取消吧", "不想办了", "退出", "别办了"}
	handoffPhrases = []string{"转人工", "人工服务", "人工客服", "找人工", "真人", "找客服", "工作人员"}
	repeatPhrases  = []string{"再说一遍", "再说一次", "再讲一遍", "重复一遍", "重复一下", "没听清", "没听见", "你说什么", "刚才说什么", "继续", "接着填", "接着办"}
	explainPhrases = []string{"什么意思", "啥意思", "是什么", "是啥", "不明白", "不懂", "怎么填", "解释一下", "为什么要", "干什么用"}
	backPhrases    = []string{"上一个", "上一项", "上一步", "返回", "往回", "回到上", "退回"}
	skipPhrases    = []string{"跳过", "不想填", "先不填", "略过", "不用填", "没有意向"}
	correctCues    = []string{"不对", "错了", "说错", "改一下", "改成", "要改", "改", "更正", "不是"}
)

// fieldCues are the words by which a field of a type is named besides its label.
var fieldCues = map[content.FieldType][]string{
	content.FieldPhone:     {"手机", "电话"},
	content.FieldIDNumber:  {"身份证"},
	content.FieldBankCard:  {"卡号", "银行卡", "账号"},
	content.FieldName:      {"名字", "姓名"},
	content.FieldDate:      {"日期", "日子"},
	content.FieldYearMonth: {"年月"},
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// mentioned returns the visible, answered field the utterance names (by label or cue words),
// or "" when it names none or more than one.
func mentioned(f *content.Form, values map[string]string, text string) string {
	found := ""
	for _, fl := range f.Fields {
		if _, ok := values[fl.Key]; !ok {
			continue
		}
		label := strings.TrimPrefix(fl.Label, "您的")
		if i := strings.Index(label, "（"); i > 0 {
			label = label[:i]
		}
		hit := strings.Contains(text, label)
		if !hit {
			hit = containsAny(text, fieldCues[fl.Type])
		}
		if hit {
			if found != "" && found != fl.Key {
				return ""
			}
			found = fl.Key
		}
	}
	return found
}

// phraseCommands are the commands said by a phrase alone, in the order they are tried; onField
// ones apply to the field being asked.
var phraseCommands = []struct {
	phrases []string
	op      Op
	onField bool
}{
	{cancelPhrases, OpCancel, false},
	{handoffPhrases, OpHandoff, false},
	{explainPhrases, OpExplain, true},
	{repeatPhrases, OpRepeat, false},
	{backPhrases, OpBack, false},
	{skipPhrases, OpSkip, true},
}

// readCommand is the rule-based reader: the common phrasings of every command. It returns ok
// false when the utterance is none of them and not an answer it can tell apart (the model, if
// any, is asked then; otherwise it is read as the answer to the field asked).
func readCommand(sess *Session, f *content.Form, text string) Command {
	t := strings.TrimSpace(text)
	for _, pc := range phraseCommands {
		if containsAny(t, pc.phrases) {
			c := Command{Op: pc.op}
			if pc.onField {
				c.Field = sess.Field
			}
			return c
		}
	}
	if containsAny(t, correctCues) {
		if k := mentioned(f, sess.Values, t); k != "" && k != sess.Field {
			return Command{Op: OpCorrect, Field: k, Value: afterCue(t)}
		}
	}
	if sess.State == StateConfirming {
		if strings.Contains(t, "提交") && !containsAny(t, []string{"不提交", "别提交", "先不"}) {
			return Command{Op: OpConfirm}
		}
		return yesNo(t)
	}
	if sess.Pending != nil {
		// A new value for the field wins over a yes or no: “不对，是五三年的”.
		fl := fieldOf(f, sess.Field)
		if fl != nil && fl.Type != content.FieldYesNo {
			if c := yesNo(t); c.Op == OpConfirm {
				return c
			}
			return Command{Op: OpCorrect, Field: sess.Field, Value: t}
		}
		return yesNo(t)
	}
	return Command{Op: OpSet, Field: sess.Field, Value: t}
}

// yesNo reads a yes or no; anything else is a deny with the utterance as its value, so that a
// new answer replaces the one read back.
func yesNo(t string) Command {
	if v, err := readValue(content.Field{Type: content.FieldYesNo}, t, zeroTime); err == nil {
		if v == "yes" {
			return Command{Op: OpConfirm}
		}
		return Command{Op: OpDeny, Value: t}
	}
	return Command{Op: OpDeny, Value: t}
}

// afterCue is what follows the last correction cue: “手机号错了，是138…” → “是138…”.
func afterCue(t string) string {
	best := -1
	for _, c := range correctCues {
		if i := strings.LastIndex(t, c); i >= 0 && i+len(c) > best {
			best = i + len(c)
		}
	}
	if best < 0 {
		return t
	}
	return strings.TrimLeft(t[best:], "，,。 了")
}

func fieldOf(f *content.Form, key string) *content.Field {
	for i := range f.Fields {
		if f.Fields[i].Key == key {
			return &f.Fields[i]
		}
	}
	return nil
}
