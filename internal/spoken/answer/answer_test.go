package answer

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"shebao/internal/apperr"
)

// row is one answer and what the parser must make of it: the canonical value, or "!" and the
// code of the reason it is refused.
type row struct{ in, want string }

var today = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC) // a Sunday

func runTable(t *testing.T, k Kind, day time.Time, rows []row) {
	t.Helper()
	for _, r := range rows {
		v, err := Parse(k, r.in, day)
		got := v.Text
		if err != nil {
			e, ok := apperr.As(err)
			if !ok {
				t.Errorf("%s %q: error %v is not an apperr", k, r.in, err)
				continue
			}
			got = "!" + e.Code
			if e.Message == "" || e.Status != 422 {
				t.Errorf("%s %q: reason %+v has no message or status", k, r.in, e)
			}
		} else if v.Kind != k {
			t.Errorf("%s %q: value kind %s", k, r.in, v.Kind)
		}
		if got != r.want {
			t.Errorf("%s %q = %s, want %s", k, r.in, got, r.want)
		}
	}
}

func TestYesNo(t *testing.T) {
	t.Parallel()
	runTable(t, YesNo, today, []row{
		{"对", "true"}, {"是的", "true"}, {"没错", "true"}, {"嗯", "true"}, {"好的", "true"}, {"行", "true"},
		{"可以", "true"}, {"没问题，就这样", "true"}, {"对对对", "true"}, {"嗯嗯，对", "true"}, {"不错", "true"},
		{"OK", "true"}, {"要得", "true"}, {"没得问题", "true"}, {"不得行", "false"}, {"不中", "false"},
		{"不是很确定", "!answer_hedged"}, {"ｙｅｓ", "true"}, {"中", "true"}, {"好吧", "true"}, {"对，不是别的号", "true"},
		{"不是", "false"}, {"不对", "false"}, {"错了", "false"}, {"不用", "false"}, {"不用了，谢谢", "false"},
		{"不是不是", "false"}, {"不对不对", "false"}, {"嗯，不是", "false"}, {"没有", "false"}, {"算了", "false"},
		{"不，我说的不是这个", "false"}, {"No", "false"},
		{"可能吧", "!answer_hedged"}, {"你说呢", "!answer_hedged"}, {"我也不知道", "!answer_hedged"},
		{"应该是吧", "!answer_hedged"}, {"随便", "!answer_hedged"}, {"看情况", "!answer_hedged"},
		{"对不对", "!answer_question"}, {"是吗？", "!answer_question"}, {"是吧", "!answer_question"},
		{"是，不对，不是", "!answer_ambiguous"}, {"你好", "!answer_not_understood"},
		{"我想问一下养老金", "!answer_not_understood"}, {"  。", "!answer_empty"},
	})
}

func TestNumber(t *testing.T) {
	t.Parallel()
	runTable(t, Number, today, []row{
		{"一千二百五", "1250"}, {"两千", "2000"}, {"1万2", "12000"}, {"三点五", "3.5"}, {"一百二", "120"},
		{"十五", "15"}, {"一万零五", "10005"}, {"一百零五", "105"}, {"一千零五十", "1050"}, {"两万五", "25000"},
		{"十万八千", "108000"}, {"十万五", "105000"}, {"一亿二", "120000000"}, {"2.5万", "25000"},
		{"一点五万", "15000"}, {"3千5", "3500"}, {"12万", "120000"}, {"1,234.5", "1234.5"}, {"１２５０", "1250"},
		{"壹仟贰佰伍拾", "1250"}, {"二〇二四", "2024"}, {"零点零五", "0.05"}, {"1.50", "1.5"}, {"廿五", "25"},
		{"交了十五年", "15"}, {"一个月", "1"}, {"一个人三千", "3000"}, {"两个半", "2.5"}, {"俩", "2"}, {"负三", "-3"}, {"百分之五", "0.05"}, {"5%", "0.05"},
		{"一千二，不对，一千三", "1300"}, {"不是十五，是十六", "16"}, {"三千，三千", "3000"},
		{"一下子说不清", "!answer_not_understood"},
		{"三四个", "!number_range"}, {"十七八个", "!number_range"}, {"两三千", "!number_range"}, {"五六", "!number_range"},
		{"十几", "!number_vague"}, {"三千多", "!number_vague"}, {"三十来岁", "!number_vague"}, {"几千", "!number_vague"},
		{"将近三千", "!number_vague"}, {"两千左右", "!number_vague"}, {"三千以上", "!number_vague"},
		{"三个多月", "!number_vague"},
		{"大概两千", "!answer_hedged"}, {"应该是三千", "!answer_hedged"},
		{"三千或者四千", "!answer_ambiguous"}, {"三千，不对", "!answer_retracted"},
		{"一百一千", "!answer_not_understood"}, {"1万25", "!answer_not_understood"},
		{"一万亿零一", "!number_too_large"},
	})
}

func TestMoney(t *testing.T) {
	t.Parallel()
	runTable(t, Money, today, []row{
		{"两千一百三十八元四角", "2138.4"}, {"三块五", "3.5"}, {"1万2千元", "12000"}, {"三千五百块", "3500"},
		{"一块二毛五", "1.25"}, {"五毛", "0.5"}, {"三毛五", "0.35"}, {"八分钱", "0.08"}, {"2138.40元", "2138.4"},
		{"十块零五分", "10.05"}, {"十块零五", "10.05"}, {"三块半", "3.5"}, {"三块八毛八分", "3.88"},
		{"每个月一千八百块钱", "1800"}, {"¥1,500", "1500"}, {"一万五", "15000"}, {"八百元整", "800"},
		{"四十六块七毛八", "46.78"}, {"2138块4", "2138.4"}, {"贰仟壹佰叁拾捌元肆角", "2138.4"},
		{"二百五十元零五分", "250.05"}, {"人民币一千元", "1000"}, {"1.5万", "15000"},
		{"不是三千，是三千五", "3500"}, {"三千二百块，不对，三千三百块", "3300"},
		{"一千二百块钱一个月", "1200"}, {"一年两万四", "24000"}, {"九块九毛九", "9.99"}, {"一百二十块五", "120.5"},
		{"一千二百三十四块五毛六", "1234.56"}, {"十二万三千四百五十六元七角八分", "123456.78"},
		{"两千一百三十八点四元", "2138.4"}, {"一千来块", "!number_vague"}, {"四五十万", "!number_range"},
		{"三千多块", "!number_vague"}, {"几百块", "!number_vague"}, {"一千八百块左右", "!number_vague"},
		{"两三千", "!number_range"}, {"3.456元", "!money_precision"}, {"负五十元", "!money_negative"},
		{"一百块五十", "!answer_not_understood"}, {"1500块1600块", "!answer_ambiguous"},
	})
}

func TestDate(t *testing.T) {
	t.Parallel()
	runTable(t, Date, today, []row{
		{"五三年三月", "1953-03"}, {"1953年3月5号", "1953-03-05"}, {"一九五三年三月五日", "1953-03-05"},
		{"五三年三月五号出生", "1953-03-05"}, {"53.3.5", "1953-03-05"}, {"1953.3", "1953-03"},
		{"1953-03-05", "1953-03-05"}, {"1953/3/5", "1953-03-05"}, {"19530305", "1953-03-05"},
		{"1953年03月05日", "1953-03-05"}, {"一九六六年三月十八", "1966-03-18"}, {"五三年的三月份", "1953-03"},
		{"二零二四年十二月三十一号", "2024-12-31"}, {"两千零五年五月", "2005-05"}, {"零五年五月", "2005-05"},
		{"九九年十二月三十一日", "1999-12-31"}, {"26年1月", "2026-01"}, {"二七年一月", "1927-01"},
		{"去年十月", "2025-10"}, {"前年八月", "2024-08"}, {"今年五月", "2026-05"}, {"明年一月", "2027-01"},
		{"上个月15号", "2026-02-15"}, {"这个月3号", "2026-03-03"}, {"下个月5号", "2026-04-05"},
		{"昨天", "2026-03-14"}, {"前天", "2026-03-13"}, {"大前天", "2026-03-12"}, {"三天前", "2026-03-12"},
		{"两个月前", "2026-01"}, {"上周三", "2026-03-04"}, {"这周一", "2026-03-09"}, {"星期天", "2026-03-15"},
		{"三月五号", "2026-03-05"}, {"15号", "2026-03-15"}, {"三月", "2026-03"},
		{"2024年2月29日", "2024-02-29"}, {"2000年2月29日", "2000-02-29"},
		{"一九五三年三月五号，星期四", "1953-03-05"},
		{"1962年10月，不对，11月", "1962-11"}, {"不是三月，是四月", "2026-04"},
		{"前年", "!date_year_only"}, {"六五年", "!date_year_only"}, {"三年前", "!date_year_only"},
		{"2023年2月31日", "!date_impossible"}, {"1900年2月29日", "!date_impossible"}, {"1953年13月", "!date_impossible"},
		{"1953年0月", "!date_impossible"}, {"2月30号", "!date_impossible"},
		{"一九五三年三月五号，星期五", "!answer_ambiguous"}, {"五三年三月还是四月", "!answer_ambiguous"},
		{"正月初五", "!date_lunar"}, {"农历三月", "!date_lunar"}, {"年底", "!date_vague"}, {"上个月底", "!date_vague"},
		{"大概六二年三月", "!answer_hedged"}, {"1800年3月", "!date_year_outside"}, {"3.5", "!date_missing"},
		{"1953年5号", "!date_no_month"},
	})
	// without today, only what needs no today is read
	runTable(t, Date, time.Time{}, []row{
		{"1953年3月5号", "1953-03-05"}, {"去年十月", "!answer_needs_today"}, {"五三年三月", "!answer_needs_today"},
		{"三月五号", "!answer_needs_today"},
	})
	// the month before January is last year's December
	runTable(t, Date, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), []row{{"上个月十五号", "2025-12-15"}})
}

func TestPhone(t *testing.T) {
	t.Parallel()
	runTable(t, Phone, today, []row{
		{"幺三八 幺二三四 五六七八", "13812345678"}, {"138-1234-5678", "13812345678"}, {"+86 138 1234 5678", "13812345678"},
		{"我的手机号是一八六，零二九八，七六五四", "18602987654"}, {"幺五九洞洞洞幺二三四五", "15900012345"},
		{"幺三八…幺二三四…五六七八", "13812345678"}, {"一三九两两两两三三三三", "13922223333"},
		{"电话号码是一三八，嗯，一二三四，五六七八", "13812345678"}, {"幺三八 三个八 五六七八幺", "13888856781"},
		{"幺三八 幺二三四 五六七八 幺三八 幺二三四 五六七八", "13812345678"},
		{"13812345678，不对，13812345679", "13812345679"}, {"幺三八杠幺二三四杠五六七八", "13812345678"},
		{"1381234567", "!phone_length"}, {"幺八六幺二三四五六七八九", "!phone_length"},
		{"23812345678", "!phone_prefix"}, {"12812345678", "!phone_prefix"}, {"19412345678", "!phone_prefix"},
		{"029-88886666", "!phone_prefix"},
		{"138 1234 5678 还是 139 1234 5678", "!answer_ambiguous"}, {"大概是13812345678", "!answer_hedged"},
		{"我没有手机", "!digits_missing"},
		// Pasted invisible characters (spoken.Invisible): zero-width, soft hyphen, bidi, variation selector.
		{"138\u200b1234\u00ad5678\u202c", "13812345678"}, {"\u202e幺三八\ufe0f幺二三四五六七八", "13812345678"},
	})
}

func TestIDCard(t *testing.T) {
	t.Parallel()
	runTable(t, IDCard, today, []row{
		{"610102195303050019", "610102195303050019"},
		{"六一零一零二 一九五三零三零五 零零一九", "610102195303050019"},
		{"六幺洞幺洞二，幺九五三洞三洞五，洞洞幺九", "610102195303050019"},
		{"610102-19530305-0019", "610102195303050019"},
		{"61011319800715123叉", "61011319800715123X"}, {"61011319800715123x", "61011319800715123X"},
		{"61011319800715123 艾克斯", "61011319800715123X"}, {"身份证号是11010519491231002X，对", "11010519491231002X"},
		{"11010519491231002大写X", "11010519491231002X"}, {"1101051949123100 2 最后一位是叉", "11010519491231002X"},
		{"130102198802291238", "130102198802291238"},
		{"610102195303050018", "!idcard_check"}, {"320106197512240034", "!idcard_check"},
		{"61010219530305001", "!idcard_length"}, {"610102530305001", "!idcard_length"},
		{"61011319800715123叉叉", "!idcard_length"}, {"6101021953030500X9", "!idcard_x"},
		{"610102195302310018", "!idcard_birth"}, {"610102203001010019", "!idcard_birth"},
		{"990102198001010010", "!idcard_region"},
	})
}

func TestBankCard(t *testing.T) {
	t.Parallel()
	runTable(t, BankCard, today, []row{
		{"6222021234567890128", "6222021234567890128"}, {"6217 0012 3456 7893", "6217001234567893"},
		{"六二一七 零零一二 三四五六 七八九三", "6217001234567893"}, {"621483012345678902", "621483012345678902"},
		{"卡号是六二二二零二一二三四五六七八九零一二八", "6222021234567890128"},
		{"6228480012345678904", "!bankcard_check"}, {"6217001234567894", "!bankcard_check"},
		{"622588123456784", "!bankcard_length"}, {"62170012345678931234", "!bankcard_length"},
	})
}

func TestName(t *testing.T) {
	t.Parallel()
	runTable(t, Name, today, []row{
		{"我叫张伟", "张伟"}, {"王秀英", "王秀英"}, {"叫李建国", "李建国"}, {"欧阳娜娜", "欧阳娜娜"}, {"是刘洋", "刘洋"},
		{"姓名：赵六", "赵六"}, {"张伟，弓长张", "张伟"}, {"我姓张，叫张伟", "张伟"}, {"我姓李叫建国", "李建国"},
		{"买买提·艾力", "买买提·艾力"}, {"王秀英，不对，王秀兰", "王秀兰"}, {"我是他儿子，我叫刘强", "刘强"},
		{"对，张伟", "张伟"}, {"张三丰啊", "张三丰"},
		{"不知道", "!answer_hedged"}, {"张", "!name_form"}, {"13812345678", "!name_form"}, {"欧阳", "!name_form"},
		{"好的", "!name_form"}, {"不告诉你", "!name_surname"}, {"王秀英还是王秀兰", "!answer_ambiguous"},
	})
}

func TestSex(t *testing.T) {
	t.Parallel()
	runTable(t, Sex, today, []row{
		{"男", "男"}, {"女的", "女"}, {"我是男的", "男"}, {"女性", "女"}, {"男士", "男"}, {"女士", "女"},
		{"性别男", "男"}, {"male", "男"}, {"F", "女"}, {"男，不对，女", "女"}, {"不是男的，是女的", "女"},
		{"不知道", "!answer_hedged"}, {"男的女的都行", "!answer_hedged"}, {"男女", "!answer_ambiguous"},
		{"不是男的", "!answer_retracted"}, {"你猜", "!sex_unknown"},
	})
}

func TestChoice(t *testing.T) {
	t.Parallel()
	opts := []string{"失业保险金申领", "养老金领取资格认证", "社保卡挂失", "异地就医备案"}
	for _, r := range []row{
		{"第二个", "养老金领取资格认证"}, {"第2个", "养老金领取资格认证"}, {"最后一个", "异地就医备案"},
		{"最后那个", "异地就医备案"}, {"倒数第二个", "社保卡挂失"}, {"第一项", "失业保险金申领"}, {"头一个", "失业保险金申领"},
		{"二", "养老金领取资格认证"}, {"选3", "社保卡挂失"}, {"社保卡挂失", "社保卡挂失"}, {"挂失", "社保卡挂失"},
		{"我要办异地就医备案", "异地就医备案"}, {"异地就医", "异地就医备案"}, {"嗯，第二个吧", "养老金领取资格认证"},
		{"第一个，不对，第三个", "社保卡挂失"}, {"不是第一个，是第二个", "养老金领取资格认证"},
		{"第三个，社保卡挂失", "社保卡挂失"},
		{"第五个", "!choice_range"}, {"都不是", "!choice_none"}, {"医保", "!choice_none"}, {"随便", "!answer_hedged"},
		{"第二个，社保卡挂失", "!answer_ambiguous"}, {"", "!answer_empty"},
	} {
		v, err := ParseChoice(r.in, opts)
		got := v.Text
		if e, ok := apperr.As(err); ok {
			got = "!" + e.Code
		} else if err == nil && opts[v.Index] != v.Text {
			t.Errorf("%q: index %d, text %s", r.in, v.Index, v.Text)
		}
		if got != r.want {
			t.Errorf("ParseChoice(%q) = %s, want %s", r.in, got, r.want)
		}
	}
	// a position inside a label said is the label's (第一档 is not “the first one” by position)
	tiers := []string{"最低档", "第一档", "第二档"}
	if v, err := ParseChoice("第一档", tiers); err != nil || v.Index != 1 {
		t.Errorf("第一档 among %v = %+v, %v", tiers, v, err)
	}
	if _, err := ParseChoice("第一个", nil); !apperr.Is(err, ChoiceOptions) {
		t.Errorf("no options: %v", err)
	}
	if _, err := Parse(Choice, "第一个", today); !apperr.Is(err, ChoiceOptions) {
		t.Errorf("Parse(Choice): %v", err)
	}
}

func TestLengthSaid(t *testing.T) {
	t.Parallel()
	for k, in := range map[Kind]string{Phone: "1381234567", IDCard: "61010219530305001", BankCard: "622588123456784"} {
		_, err := Parse(k, in, today)
		if e, ok := apperr.As(err); !ok || !strings.Contains(e.Message, "您说了"+strconv.Itoa(len(in))+"位") {
			t.Errorf("%s %s: %v", k, in, err)
		}
	}
}

func TestReasonsAreDistinct(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range Reasons {
		if seen[r.Code] || r.Message == "" || !strings.HasSuffix(r.Message, "。") && !strings.HasSuffix(r.Message, "？") {
			t.Errorf("reason %+v: duplicate code or message not one sentence", r)
		}
		seen[r.Code] = true
	}
	if _, err := Parse("colour", "红", today); !apperr.Is(err, UnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}
