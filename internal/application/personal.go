package application

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"shebao/internal/beijing"
	"shebao/internal/person"
	"shebao/internal/retirement"
)

// Personal answers a signed-in person's questions about their own affairs from their data: the
// progress of an application (“我的失业金申请到哪一步了”) and their retirement month (“我什么时候
// 退休”) from the profile. Every figure it says comes from the store or the retirement rule. It
// implements the assistant's PersonalData.
type Personal struct {
	Apps   *Service
	People *person.Store
}

var progressPattern = regexp.MustCompile(`(到哪一步|到哪步|到哪了|进度|办得怎么样|办的怎么样|怎么样了|办好了没|办好没|批下来没|批了没|审核到|审批到|状态|受理了没|有结果了没|有没有结果)`)

// progressTopics maps words a person uses for an application to words of guide names.
var progressTopics = []struct{ said, guide []string }{
	{[]string{"失业金", "失业保险金", "失业"}, []string{"失业"}},
	{[]string{"社保卡", "社会保障卡", "挂失", "补卡", "换卡"}, []string{"社会保障卡", "社保卡"}},
	{[]string{"养老金", "退休", "资格认证"}, []string{"养老", "退休", "资格认证"}},
	{[]string{"医保", "报销", "备案", "就医"}, []string{"医疗", "医保", "就医"}},
	{[]string{"生育", "产假"}, []string{"生育"}},
	{[]string{"工伤"}, []string{"工伤"}},
}

var ownRetirementPattern = regexp.MustCompile(`我.{0,4}(什么时候|啥时候|哪年|哪一年|几时|何时|几岁|多大|多少岁).{0,4}(能|可以|才能)?(退休|退下来)|我的?(法定)?退休(年龄|时间|日期)`)

// Answer implements assistant.PersonalData.
func (p *Personal) Answer(ctx context.Context, subject, text string, now time.Time) (route, reply string, ok bool, err error) {
	if isProgressQuestion(text) {
		if subject == "" {
			return "account", "查询您自己的办件进度需要先登录。请在App中登录后再问我，也可以在“我的办件”里查看。", true, nil
		}
		reply, err := p.progress(ctx, subject, text)
		return "account", reply, err == nil, err
	}
	// A question that says a birth year itself (“我六五年的，什么时候退休”) is the calculator's.
	if ownRetirementPattern.MatchString(text) && !strings.ContainsAny(strings.NewReplacer("哪一年", "", "哪年", "").Replace(text), "0123456789年") {
		if subject == "" {
			return "retirement", anonymousRetirementReply, true, nil
		}
		prof, err := p.People.Profile(ctx, subject, "")
		if err != nil {
			return "", "", false, err
		}
		c, cerr := retirement.ParseCategory(prof.Category)
		b, berr := retirement.ParseYearMonth(prof.BirthMonth)
		if cerr != nil || berr != nil {
			return "", "", false, nil // the profile cannot say: the calculator asks
		}
		r, err := retirement.Compute(c, b)
		if err != nil {
			return "", "", false, nil
		}
		return "retirement", fmt.Sprintf("按您个人信息中的出生年月（%s）和人员类别（%s）：%s 如个人信息有误，可在“我的”里修改。",
			b.Text(), c.Name(), r.Sentence()), true, nil
	}
	return "", "", false, nil
}

// anonymousRetirementReply answers "我什么时候退休" without a signed-in person: their own month
// needs their profile; the general calculator still answers a birth month said in the chat.
const anonymousRetirementReply = "按您本人的出生年月和人员类别查退休时间需要先登录，登录后我直接按您的个人信息算。不登录也可以：告诉我您是哪年哪月出生的，是男职工还是女职工，我按规定帮您算。"

func isProgressQuestion(text string) bool {
	return strings.Contains(text, "我") && progressPattern.MatchString(text) &&
		(strings.Contains(text, "申请") || strings.Contains(text, "办件") || strings.Contains(text, "业务") || topicWords(text) != nil)
}

func topicWords(text string) []string {
	for _, t := range progressTopics {
		for _, w := range t.said {
			if strings.Contains(text, w) {
				return t.guide
			}
		}
	}
	return nil
}

func (p *Personal) progress(ctx context.Context, subject, text string) (string, error) {
	words := topicWords(text)
	a, found, err := p.Apps.Latest(ctx, subject, words)
	if err != nil {
		return "", err
	}
	if !found {
		if words != nil {
			return "没有查到您名下相关的办件。如果是在窗口办理的，请以经办机构的通知为准，也可以拨打12333查询。", nil
		}
		return "没有查到您名下的办件。", nil
	}
	last := a.Steps[len(a.Steps)-1]
	at := beijing.In(last.At)
	var b strings.Builder
	fmt.Fprintf(&b, "您%d月%d日提交的“%s”目前是“%s”", beijing.In(a.CreatedAt).Month(), beijing.In(a.CreatedAt).Day(), a.GuideName, last.StatusText)
	fmt.Fprintf(&b, "（%d月%d日%s）。", at.Month(), at.Day(), strings.TrimSpace(" "+last.Office))
	if last.Detail != "" {
		b.WriteString(last.Detail)
	}
	if a.Delivery == "queued" {
		b.WriteString(a.Notice)
	}
	b.WriteString("下一步：" + a.NextAction)
	return strings.ReplaceAll(b.String(), "（ ", "（"), nil
}
