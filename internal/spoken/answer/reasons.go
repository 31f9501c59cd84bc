package answer

import (
	"net/http"

	"shebao/internal/apperr"
)

// The reasons an answer is refused: each is an application error kind with a stable code and
// one short Chinese sentence that the form engine can say before asking again. They are not API
// errors (no route returns them as such), so they live here rather than in apperr's catalogue.
var (
	Empty         = reason("answer_empty", "没有听到您的回答，请再说一遍。")
	NotUnderstood = reason("answer_not_understood", "没有听明白，请再说一遍。")
	Hedged        = reason("answer_hedged", "请给一个确定的回答。")
	Question      = reason("answer_question", "您是在问我吗？请直接回答“是”或“不是”。")
	Ambiguous     = reason("answer_ambiguous", "听到了两个不同的回答，请只说一个。")
	Retracted     = reason("answer_retracted", "您否定了刚才说的，请说正确的。")
	NeedsToday    = reason("answer_needs_today", "请说出具体的日期。")

	Vague     = reason("number_vague", "请说一个确切的数，不要说“多”“几”“左右”。")
	Range     = reason("number_range", "听到的是一个范围，请说一个确切的数。")
	TooLarge  = reason("number_too_large", "这个数太大了，请再核对一下。")
	Negative  = reason("money_negative", "金额不能是负数。")
	Precision = reason("money_precision", "金额最多精确到分。")

	YearOnly    = reason("date_year_only", "只听到了年份，请说出几月（和几号）。")
	NoMonth     = reason("date_no_month", "请说出是几月。")
	NoDate      = reason("date_missing", "没有听到日期，请说出年月日，比如1953年3月5日。")
	BadDate     = reason("date_impossible", "没有这一天，请再核对一下日期。")
	Lunar       = reason("date_lunar", "请说公历（阳历）日期。")
	VagueDate   = reason("date_vague", "请说出具体是哪个月（哪一天）。")
	YearOutside = reason("date_year_outside", "年份不对，请再核对一下。")

	PhoneLength   = reason("phone_length", "手机号是11位数字，请再说一遍。")
	PhonePrefix   = reason("phone_prefix", "这不是手机号码，请说11位的手机号。")
	IDLength      = reason("idcard_length", "身份证号是18位，请再说一遍。")
	IDCheck       = reason("idcard_check", "身份证号最后一位（校验码）对不上，请再核对一遍。")
	IDBirth       = reason("idcard_birth", "身份证号里的出生日期不对，请再核对一遍。")
	IDRegion      = reason("idcard_region", "身份证号的前两位不对，请再核对一遍。")
	IDX           = reason("idcard_x", "X只能是身份证号的最后一位。")
	BankLength    = reason("bankcard_length", "银行卡号是16到19位数字，请再说一遍。")
	BankLuhn      = reason("bankcard_check", "银行卡号校验不通过，可能有一位说错了，请再核对一遍。")
	NoDigits      = reason("digits_missing", "没有听到号码，请一位一位地说。")
	NameForm      = reason("name_form", "请说2到4个字的中文姓名。")
	NameSurname   = reason("name_surname", "没有听出姓氏，请说完整的姓名。")
	SexUnknown    = reason("sex_unknown", "请说“男”或“女”。")
	ChoiceNone    = reason("choice_none", "请从选项里选一个，可以说“第一个”或者选项的名字。")
	ChoiceRange   = reason("choice_range", "没有这一项，请再选一次。")
	UnknownKind   = reason("answer_kind_unknown", "不支持这种回答类型。")
	ChoiceOptions = reason("choice_no_options", "这个问题没有选项。")
)

// Reasons lists every reason, for documentation and tests.
var Reasons = []apperr.Kind{
	Empty, NotUnderstood, Hedged, Question, Ambiguous, Retracted, NeedsToday,
	Vague, Range, TooLarge, Negative, Precision,
	YearOnly, NoMonth, NoDate, BadDate, Lunar, VagueDate, YearOutside,
	PhoneLength, PhonePrefix, IDLength, IDCheck, IDBirth, IDRegion, IDX, BankLength, BankLuhn, NoDigits,
	NameForm, NameSurname, SexUnknown, ChoiceNone, ChoiceRange, UnknownKind, ChoiceOptions,
}

func reason(code, msg string) apperr.Kind {
	return apperr.Kind{Code: code, Status: http.StatusUnprocessableEntity, Message: msg}
}

// refuse returns the error for reason k.
func refuse(k apperr.Kind) error { return apperr.New(k, "") }

// refuseLength returns the error for a number of the wrong length, saying how many digits were
// heard: the person can tell a digit lost from a digit too many.
func refuseLength(k apperr.Kind, want string, got int) error {
	return apperr.Newf(k, "%s是%s，您说了%d位，请再说一遍。", lengthNames[k.Code], want, got)
}

var lengthNames = map[string]string{PhoneLength.Code: "手机号", IDLength.Code: "身份证号", BankLength.Code: "银行卡号"}
