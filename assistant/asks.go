package assistant

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// askKind is what a question asks for when the answer is a figure: an amount of money, a
// benefit period, the office's processing time, the applicant's deadline … Two questions about
// the same guide ("失业金一个月多少钱" and "办失业金收费吗") ask for different passages of it.
type askKind string

// The kinds of figure a question can ask for.
const (
	askMoney      askKind = "money"      // an amount: a benefit, a contribution, a base, a subsidy
	askFee        askKind = "fee"        // what the office charges for the service
	askRatio      askKind = "ratio"      // a percentage or share
	askPeriod     askKind = "period"     // how long a benefit lasts, or how many days of leave
	askProcessing askKind = "processing" // how long the office takes
	askDeadline   askKind = "deadline"   // the time within which someone must act
	askAge        askKind = "age"        // an age
	askYears      askKind = "years"      // years of contribution or service
	askCount      askKind = "count"      // how many times, kinds, digits
	askDate       askKind = "date"       // since when, which year
	askPhone      askKind = "phone"      // which number to call
	askHours      askKind = "hours"      // the hours an office or a hotline works (几点上班)
	askFloor      askKind = "floor"      // which floor or window (几楼, 几号窗口)
	askQueue      askKind = "queue"      // how long the queue is: never in a guide
	askName       askKind = "name"       // a person's name: never in a guide
	askForecast   askKind = "forecast"   // what will happen: guides state the rules in force
	askFormula    askKind = "formula"    // how an amount is worked out (怎么算)
	// askDecision asks the assistant to weigh a personal choice (划算吗, 该不该, 哪个好): the
	// guides state rules and figures, never which choice pays off for someone.
	askDecision askKind = "decision"
)

// askCue is one pattern of a question asking for a kind of figure.
type askCue struct {
	kind askKind
	re   *regexp.Regexp
}

// askCues are checked all; the kinds are reported in the order they occur in the question.
// Duration words are resolved by what surrounds them (领/休 → period; 内/最迟 → deadline; else
// processing).
var askCues = []askCue{
	{askName, regexp.MustCompile(`叫(什么|啥)(名字)?|是谁[？?]?$|姓什么|上班没|在不在班|[王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文](科长|主任|局长|处长|厅长|股长|所长|部长|经理|师傅|大姐|老师)`)},
	{askForecast, regexp.MustCompile(`(会|能|要)(上)?涨|涨多少|涨不涨|明年|后年|将来|以后会不会|会不会(涨|降|变|取消|提高|上调|下调|调高|调低|增加|减少|调整)|(还|又)会(涨|提高|上调|增加)|预测|涨(了)?(几|多少)|未来(几|多少|的)|下一年|下个年度|下年度|(标准|政策|待遇|规定)[^，。？?]{0,4}(变了没|变没变|有没有变|改了没|改没改|调整了没|调了没)|(涨|提高|上调|调高)(了)?(没|没有|吗)|涨没涨`)},
	{askDecision, regexp.MustCompile(`划算|划得来|合算|值不值|值得(吗|不|交|办)|哪(个|种|样|一个|一种|一档)(更|最|比较)?(好|划算|合适|合算|有利|省钱)|哪(个|种|样)(更|比较)?(高|多|少|低|快|贵|便宜)[？?]?$|该不该|应不应该|要不要(辞职|离职|退保|提前退)|选哪(个|种|一档|档)(好|合适)?[？?]?$`)},
	{askPhone, phoneAsk},
	{askHours, hoursAsk},
	{askFloor, regexp.MustCompile(`几楼|几层|哪一?层|哪个楼|几号窗口|哪个窗口|几号楼`)},
	{askQueue, regexp.MustCompile(`排队[^，。？?]{0,4}(多久|多长时间|几个小时|多少时间|几天)|(多久|多长时间)[^，。？?]{0,2}排(上|到)`)},
	{askFee, regexp.MustCompile(`收费|收不收|手续费|工本费|要钱吗|花钱吗|收钱|免费吗|要不要钱|掏钱吗`)},
	{askRatio, regexp.MustCompile(`率[^，。？?]{0,6}(多少|几)|(几|多少)个点|比例|百分之(几|多少)|几成|多少比例|报(销)?多少|按多少|的多少|打几折|(几|多少)个?百分点|比[^，。？?]{0,8}(低|高|少|多)(了)?多少|(几|多少)倍`)},
	{askFormula, regexp.MustCompile(`怎么算|咋算|如何计算|怎样计算|怎么计算|按什么算|计算方法|算法|除以几|除以多少`)},
	// a number of months or days named as such (计发月数是多少, 天数是几天): a period
	{askPeriod, regexp.MustCompile(`(月数|天数)[^，。？?]{0,3}(多少|几)`)},
	{askMoney, regexp.MustCompile(`多少钱|几块钱|几个钱|多少块|几千|几百|多少万|多少元|(领|拿|发|给|补|返|赔|报|交|缴|掏|扣|罚|付)(了)?多少|标准是多少|基数.{0,6}多少|下限|上限|最低(交)?多少|最高(交)?多少|每(个)?月多少|一个月多少`)},
	{askAge, regexp.MustCompile(`多大(岁数|年龄|年纪)?|几岁|多少岁|什么年龄|啥年龄|年龄(是)?多少|到多少岁|延到几岁|几周岁`)},
	// how long something stays valid (备案有效期多久): a period, not the office's time
	{askPeriod, regexp.MustCompile(`有效期[^，。？?]{0,3}(多久|多长|几天|几个月|多少天|几年|多少个月)`)},
	// the number of days or months an amount is counted by (生育津贴按多少天发)
	{askPeriod, regexp.MustCompile(`按(多少|几)(个)?(天|月)`)},
	// the interval between two times (领完了隔多久还能再领): not the office's time
	{askPeriod, regexp.MustCompile(`(隔|间隔|相隔)(多久|多长时间|几年|几个月|多少天)`)},
	// how often in years (假肢几年能换一次): a time that comes round, not years paid in
	{askDeadline, regexp.MustCompile(`(几年|多少年)(要|得|需要|能|可以|才能)?[^，。？?]{0,8}一(回|次)`)},
	// how many years a benefit is paid (失业金最长能领几年): its length, not years paid in
	{askPeriod, regexp.MustCompile(`(领|发|享受)(多少|几)年`)},
	{askYears, regexp.MustCompile(`(交|缴|满|够|干|工作)(满|够)?(了)?(多少|几)年|(交|缴)(够|满)(多长时间|多久|几个月|多少个月)|(交|缴)[^，。？?]{0,6}(多长时间|多久)(才|就)?(能|可以)?(领|享受|报)|多少年|几年|年限(是)?多少|提前几年|延几年`)},
	{askPeriod, regexp.MustCompile(`(领|发|休|歇|享受|管|用|延长|延)(多久|多长时间|几个月|多少个月|多少天|几天)|(能|可以)?(领|发|休|歇)(到)?(多久|多长)|产假|假(有)?(多少|几)天|多少天假|几天假|几个月|多少个月|(^|[^最至])多(几|多少)天|加几天|管多长|管多久|多等多久|等多久|等(多长时间|几个月|多少天)(才)?(能)?(报|享受|用)|等待期`)},
	// the person's duty to tell or apply said with 内 and 要/得 (多少天内要去告诉社保): theirs, not
	// the office's, and read before the office's time said with 内 below
	{askDeadline, regexp.MustCompile(`(多少|几)(天|日|个工作日|个月)(以|之)?(内|里头|里)(要|得|需要|必须|应该|应当)(去|跟|向|给)?[^，。？?我给]{0,5}(告诉|告知|通知|报告|说一声|申请|提出|登记|备案|申报)`)},
	// the same duty said before the time (家里得在多少天之内去告诉经办机构)
	{askDeadline, regexp.MustCompile(`(要|得|需要|必须|应该|应当)在?(多少|几)(天|日|个工作日|个月)(以|之)?(内|里头|里)(去|跟|向|给)?[^，。？?我给]{0,5}(告诉|告知|通知|报告|说一声|申请|提出|登记|备案|申报)`)},
	// a time counted from an event the person names (从受伤那天算有多长时间): the time they have
	{askDeadline, regexp.MustCompile(`从[^，。？?]{1,10}(那天|那日|之日|当天|起)(开始)?(算|算起|计算)?[^，。？?]{0,4}(多长时间|多久|几天|多少天|几个月)`)},
	// a duty that comes round again (多长时间要刷一回脸): how often the person must act
	{askDeadline, regexp.MustCompile(`(多长时间|多久|几个月|多少天)(要|得|需要)?[^，。？?]{0,8}一(回|次)`)},
	// a time that must be served first (要满多长时间才能拿, 连续干够多久): years of service
	{askYears, regexp.MustCompile(`(满|够)(多长时间|多久)(才|就)?(能|可以)?`)},
	// the office's time said with 内 comes first: "多少天内得给办完" is the office's, though 得…办
	// would read as the applicant's deadline below.
	// the office's time said with 内 ("多少天内得给办完", "几天内告诉我"): not the applicant's deadline
	{askProcessing, regexp.MustCompile(`((多少|几)(天|日|个工作日|个月)|多长时间|多久)(以|之)?内.{0,8}(办完|办好|办结|出结果|给(个)?说法|答复|送到|告诉|通知|到账|报下来)`)},
	// the applicant's own deadline said with 内 ("多少天里头要去社保说一声", "几天内得申请"): the
	// person must act, not the office
	{askDeadline, regexp.MustCompile(`(多少|几)(天|日|个工作日|个月)(以|之)?(内|里头|里)(要|得|需要|必须|应该|应当)(去)?[^，。？?我]{0,6}(申请|告知|报告|报送|申报|说一声|登记|备案|提出|办理|办|交|报)`)},
	{askDeadline, regexp.MustCompile(`(多少|几)(天|日|个月|个工作日|个小时|小时)(以|之)?内|(多少|几)天(里头|之内|以内|里)|多长时间(以|之)?内|多久(之|以)?内|最迟|最晚|期限|截止|(天数|时间)(限制|要求)|过了多久|超过多(长时间|久)|多久不|多长时间不|得做一回|做一回|提前多(长时间|久)|提前(几|多少)(个)?(天|日|工作日|月)|多久要|要在多少天`)},
	{askProcessing, regexp.MustCompile(`多久|多长时间|(多少|几天)日子|多少时间|几分钟|多少分钟|几时|多会儿|几个工作日|多少个?工作日|几个?(礼拜|星期)|多少周|几周|几个钟头|(啥|什么)时候(能|才能|可以)(拿到|办好|办下来|下来|批下来|到账)|几天|多少天|几个小时|多少(个)?小时|时限|办结|出结果|到账`)},
	{askCount, regexp.MustCompile(`几寸|几次|多少次|几回|多少回|几种|多少种|几位|多少位|几项|多少项|几个人|多少人|(^|[^好])(几|多少)(名|家|所)|(^|[^好])(几|多少)个[^月工小人百礼星钟钱点]|几趟|多少趟`)},
	{askDate, regexp.MustCompile(`几月(份)?[^个]|几月(份)?$|哪年|哪一年|什么时候(开始|起)|啥时候(开始|起)|从(什么|啥)时候|几月份|几号开始|哪天开始|何时开始|(啥|什么)时候退|哪年哪月|(每个?月)?几号(发|到账|打|扣|开始|截止|前|之前)?|哪(天|一号|号)(发|到账|打|扣)|哪(一)?天(起|以后|以前|之前|之后|开始|前|后)|(啥|什么)时候截止的|(哪天|哪一天|几号|几月几号|几月几日)截止|(最迟|最晚)(是)?(哪天|哪一天|几号|几月几号|几月几日|什么时候|啥时候)|(是|在)(啥|什么)时候[？?]?$|从哪(一)?天|(哪(一)?天|(啥|什么)时候)(开通|实行|实施|施行|执行|生效|上线)|(啥|什么)时候(以前|之前)`)},
}

// choiceAsk asks which of two figures the person says holds (按98天发还是按158天发): a figure of
// their unit, like any "how many" of it.
var choiceAsk = regexp.MustCompile(`\d+(\.\d+)?(个)?(天|月|元|块|岁|年|%)[^，。？?\d]{0,6}还是[^，。？?\d]{0,3}\d`)

// confirmAsk asks whether a figure the person heard holds (还是按60%返吗, 是不是每月2138元):
// a figure of its unit, for the year or case asked.
var confirmAsk = regexp.MustCompile(`(还是|是不是|是否|仍然|仍是|还按|是按|照样)[^，。？?\d]{0,4}(\d+(\.\d+)?)(个)?(天|月|元|块|岁|年|%)`)

// choiceKinds are the kinds of figure choiceAsk's units ask for.
var choiceKinds = map[string]askKind{"天": askPeriod, "月": askPeriod, "元": askMoney, "块": askMoney, "岁": askAge, "年": askYears, "%": askRatio}

// phoneAsk asks which number to call (打哪个电话问, 热线是多少).
var phoneAsk = regexp.MustCompile(`(打|拨|问)(哪个|什么|啥|哪一个|几号)(电话|号码|热线)|(给|找)(谁|哪里|哪儿)打电话|打电话(预约|约)|(打|拨)(电话|热线)(问|咨询|找)?[？?]?$|电话(是)?(多少|几号)|热线(是)?多少|什么电话|哪个电话|号码是多少|(打|拨)(哪个|什么|啥)号`)

// hoursAsk asks when an office or a hotline works: 几点上班, 办公时间, 周末有人接吗.
var hoursAsk = regexp.MustCompile(`几点|(办公|营业|服务|上班|接听)时间|(什么|啥)时(间|候)(上班|下班|开门|关门)`)

// floorSaid finds a floor, building or window number in a passage (3楼, 5号窗口).
var floorSaid = regexp.MustCompile(`\d+(楼|层|号窗口|号楼)`)

// clockTime finds a time of day (9:00, 14：30): the hours a passage gives.
var clockTime = regexp.MustCompile(`\d{1,2}[:：]\d{2}`)

// figureAsks returns the kinds of figure q asks for, in the order they are asked, at most two
// different kinds. A duration word counts once, as the most specific kind.
// toldNumbers blanks the 几 of a vague number the person tells (退休好几年了, 交了十几年, 这几年),
// which asks nothing; the replacement keeps every position (one character for one).
var toldNumbers = strings.NewReplacer("好几", "好数", "十几", "十数", "几十", "数十", "这几年", "这数年",
	"那几年", "那数年", "头几年", "头数年")

func figureAsks(q string) []askKind {
	q = toldNumbers.Replace(q)
	type hit struct {
		kind askKind
		pos  int
	}
	var hits []hit
	durationAt := map[int]bool{}
	for _, c := range askCues {
		for _, loc := range c.re.FindAllStringIndex(q, -1) {
			// 领多少天, 按多少个月: "how many" of a duration, not an amount or a share
			if (c.kind == askMoney || c.kind == askRatio) && loc[1] < len(q) && strings.HasSuffix(q[loc[0]:loc[1]], "多少") {
				if r, _ := utf8.DecodeRuneInString(q[loc[1]:]); strings.ContainsRune("天个年次岁周日位种项", r) {
					continue
				}
			}
			// 报多少钱: an amount of money, not a share
			if c.kind == askRatio && loc[1] < len(q) && strings.HasSuffix(q[loc[0]:loc[1]], "多少") {
				if r, _ := utf8.DecodeRuneInString(q[loc[1]:]); r == '钱' || r == '块' || r == '元' || r == '万' || r == '基' {
					continue
				}
			}
			// a duration word is read once, as the first (most specific) kind that claims it
			if durationKind(c.kind) {
				if overlaps(durationAt, loc) {
					continue
				}
				for i := loc[0]; i < loc[1]; i++ {
					durationAt[i] = true
				}
			}
			hits = append(hits, hit{c.kind, loc[0]})
		}
	}
	// a bare duration word beside the length of a benefit in one clause (产假是多少天) asks that
	// length, not the office's time
	clauseOf := func(pos int) int { return len(askClause.FindAllStringIndex(q[:pos], -1)) }
	periodIn := map[int]bool{}
	for _, h := range hits {
		if h.kind == askPeriod {
			periodIn[clauseOf(h.pos)] = true
		}
	}
	if len(periodIn) > 0 {
		kept := hits[:0]
		for _, h := range hits {
			if h.kind != askProcessing || !periodIn[clauseOf(h.pos)] {
				kept = append(kept, h)
			}
		}
		hits = kept
	}
	// order by position; keep the first of each kind
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].pos < hits[j-1].pos; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	var out []askKind
	for _, h := range hits {
		dup := false
		for _, k := range out {
			dup = dup || k == h.kind
		}
		if !dup {
			out = append(out, h.kind)
		}
	}
	out = resolveAsks(q, out)
	if len(out) == 0 {
		if m := choiceAsk.FindStringSubmatch(q); m != nil {
			out = []askKind{choiceKinds[m[3]]} // 按98天还是158天发: which of the figures said
		} else if m := confirmAsk.FindStringSubmatch(q); m != nil {
			out = []askKind{choiceKinds[m[5]]} // 还是按60%返吗: whether the figure heard still holds
		}
	}
	if len(out) == 0 && strings.Contains(q, "多少") {
		out = []askKind{askMoney} // "…多少" with nothing more specific: an amount
	}
	if len(out) > 2 {
		out = out[:2]
	}
	return out
}

// neverInGuides reports whether a kind asks for what no guide holds: a person's name, what will
// happen, which choice pays off.
func neverInGuides(k askKind) bool {
	return k == askName || k == askForecast || k == askDecision || k == askQueue
}

// durationKind reports whether a kind is asked with duration words (多久, 几个月, 多少天).
func durationKind(k askKind) bool {
	return k == askYears || k == askPeriod || k == askDeadline || k == askProcessing
}

func overlaps(set map[int]bool, loc []int) bool {
	for i := loc[0]; i < loc[1]; i++ {
		if set[i] {
			return true
		}
	}
	return false
}

// statusAsk asks whether something has happened yet (到账了没有, 办好了吗): a case's state,
// which only the records hold.
var statusAsk = regexp.MustCompile(`(到账|到了|办好|办完|办结|批下来|出结果|发下来|发)(了)?(没有|没|吗|没呢)|(还|咋|怎么)没(有)?(到账|发|批|办好|办完|下来|出来)`)

// ageClauseSays reports whether a clause of text that holds an age says one of words.
func ageClauseSays(text string, words ...string) bool {
	for _, c := range clauseSeparator.Split(text, -1) {
		if !strings.Contains(c, "岁") {
			continue
		}
		for _, w := range words {
			if strings.Contains(c, w) {
				return true
			}
		}
	}
	return false
}

// dateClosing asks the date something closes (哪天截止, 啥时候截止的).
var dateClosing = regexp.MustCompile(`(哪天|哪一天|几号|几月几号|几月几日|啥时候|什么时候)截止|(最迟|最晚)(是)?(哪天|哪一天|几号|几月几号|几月几日|什么时候|啥时候)`)

// closingSaid finds a passage saying when something closes (截止, 12月31日前, 届满).
var closingSaid = regexp.MustCompile(`截止|截至|[前止]|到期|届满|最迟|最晚|结束`)

// officeAction finds what the office does in a time asked (办好, 出结果, 到账, 几个工作日): a
// question that says none asks no time of the office.
var officeAction = regexp.MustCompile(`(办|核|审|批|弄|做|查)(定)?完|核定|办好|办结|办下来|办理完毕|出结果|结果|结论|到账|审核|审批|批下来|答复|送到|寄到|作出|工作日|时限|拿到|发下来|受理`)

// howLongWords ask how long or when, which a guide may answer.
var howLongWords = regexp.MustCompile(`多久|多长|几天|多少天|几个|多少个|什么时候|啥时候|几号|哪天|时限`)

// yearsOfContribution asks for years paid in (交多少年), not an age.
var yearsOfContribution = regexp.MustCompile(`(交|缴|满)(多少|几)年`)

// resolveAsks removes kinds that another, more specific kind already answers.
func resolveAsks(q string, ks []askKind) []askKind {
	has := func(k askKind) bool {
		for _, x := range ks {
			if x == k {
				return true
			}
		}
		return false
	}
	drop := map[askKind]bool{}
	if has(askFee) && has(askMoney) {
		drop[askMoney] = true // 补卡要多少钱，收费吗: one question
	}
	if has(askRatio) && has(askMoney) && !strings.Contains(q, "钱") {
		drop[askMoney] = true // 报多少 = a share
	}
	if has(askName) {
		return []askKind{askName}
	}
	if has(askForecast) {
		return []askKind{askForecast}
	}
	if has(askDecision) {
		return []askKind{askDecision}
	}
	if has(askQueue) {
		return []askKind{askQueue}
	}
	// one clause asks one thing (a stop at the end does not make two)
	oneClause := !strings.ContainsAny(strings.TrimRight(q, "？?！!。. "), "，,？?；;")
	if has(askDeadline) && has(askProcessing) && oneClause {
		drop[askProcessing] = true
	}
	if has(askProcessing) && statusAsk.MatchString(q) && !howLongWords.MatchString(q) {
		drop[askProcessing] = true // 到账了没有: whether it has happened, not how long it takes
	}
	if has(askDate) && has(askDeadline) && dateClosing.MatchString(q) {
		drop[askDeadline] = true // 哪天截止: the date it closes, not a time to act within
	}
	if has(askDate) && has(askProcessing) && strings.Contains(q, "几号") {
		drop[askProcessing] = true // 几号到账: a day of the month, not how long
	}
	if has(askPeriod) && has(askProcessing) && oneClause {
		drop[askProcessing] = true
	}
	if has(askDeadline) && has(askProcessing) && !officeAction.MatchString(q) {
		drop[askProcessing] = true // 多久以内必须去申请？规定是多少天？: the deadline asked again
	}
	if has(askAge) && has(askYears) && strings.Contains(q, "岁") && !strings.Contains(q, "年限") && !yearsOfContribution.MatchString(q) {
		drop[askYears] = true
	}
	var out []askKind
	for _, k := range ks {
		if !drop[k] {
			out = append(out, k)
		}
	}
	return out
}

// unitsFor are the figure units that can answer a kind; "" for a figure with no unit.
var unitsFor = map[askKind][]string{
	askMoney:      {"元", "万"},
	askFee:        {"元"},
	askRatio:      {"%", "倍", "百分点"},
	askPeriod:     {"天", "日", "月", "年", "周"},
	askProcessing: {"工作日", "天", "日", "月", "小时", "分钟"},
	askDeadline:   {"天", "日", "工作日", "月", "年", "小时"},
	askAge:        {"岁"},
	askYears:      {"年", "月"}, // 满1年, 连续交满6个月
	askCount:      {"次", "种", "位", "项", "个", "人", "名", "家", ""},
	askDate:       {"年", "月", "日"},
	askPhone:      {""},
}

// fits reports how well passage p can answer kind k: 0 when it cannot (it has no figure of the
// kind), more when its words say the same kind of thing.
func fits(k askKind, p *Passage, ac *askContext) float64 {
	text := p.Lead + p.Text
	switch k {
	case askFee:
		if p.Element == ElemFee && p.Item == 0 {
			return 1
		}
		if strings.Contains(p.Text, "工本费") || strings.Contains(p.Text, "不收费") || strings.Contains(p.Text, "免费") {
			return 0.8
		}
		return 0
	case askPhone:
		if p.Element == ElemPhone {
			return 0.6
		}
		if phoneFigure(p) {
			return 0.8
		}
		return 0
	case askName, askForecast, askDecision:
		return 0
	case askFloor:
		if floorSaid.MatchString(p.Text) {
			return 1
		}
		return 0
	case askQueue:
		return 0
	case askHours:
		// the hours themselves; "以热线公布的服务时间为准" says they are given elsewhere
		if clockTime.MatchString(p.Text) {
			return 1
		}
		return 0
	case askFormula:
		switch {
		case strings.ContainsAny(p.Text, "÷×") || strings.Contains(p.Text, "除以"):
			return 1.3 // the formula itself
		case len(p.figs) > 0 && formulaWords.MatchString(p.Lead+p.Text):
			return 1
		}
		return 0
	}
	if k == askDate && ac.day {
		// 几号: a day of the month said alone (每月15日), not a date of one year (2025年1月1日)
		// nor a time (15日内)
		if dayOfMonth.MatchString(yearDate.ReplaceAllString(p.Text, "，")) {
			return 1
		}
		return 0
	}
	if durationKind(k) && (ac.promised && !strings.Contains(text, "承诺") || ac.delivery && !deliverySaid.MatchString(text)) {
		return 0 // the promised time asked is not the law's; the time to deliver is not the time to process
	}
	if k == askCount && p.Element == ElemVisits && !ac.visits {
		return 0 // 到现场次数 counts trips, not the times of something else (按错几回)
	}
	figs := p.durs
	if k == askDate {
		figs = p.figs
	}
	want := ac.unit
	n, nShare := 0, 0
	for _, f := range figs {
		if k == askCount && (f.Unit == "次") != ac.times {
			continue // how many times (跑几次) and how many of something (几个专家) answer each other not
		}
		if k == askDate && ac.month && f.Unit != "月" {
			continue // 几月份 is not answered by a year alone (2026年度)
		}
		if k == askDate && ac.whichDay && f.Unit != "日" {
			continue // 哪天截止 is not answered by a year (2026年度) or a month alone
		}
		if k == askRatio && ac.percent && f.Unit == "倍" {
			continue // 百分之几 is a percentage, not a multiple (一倍以上三倍以下罚款)
		}
		if k == askCount && ac.people && !peopleCount.MatchString(p.Text) {
			continue // how many people is not answered by 6位数字
		}
		if k == askCount && ac.counter != "" && f.Unit != ac.counter && !strings.Contains(f.Text, ac.counter) {
			continue // 多少种药 is counted in 种, not by a bare 10
		}
		if unitFits(k, f) && (want == nil || durationKind(k) && want[f.Unit] || !durationKind(k)) {
			n++
		} else if k == askMoney && f.Unit == "倍" && ac.fine {
			n++ // 罚多少: a fine is said as a multiple of what was taken (二倍以上五倍以下)
		} else if k == askMoney && f.Unit == "%" && !ac.yuan {
			n++ // "能返多少", "各是多少": the amount may be a share
			nShare++
		}
	}
	if n == 0 {
		if k == askProcessing && p.Element == ElemTimeLimit && immediate.MatchString(p.Text) {
			return 1.5 // 即时办结 answers "how long" without a figure, as well as a 时限 with one
		}
		if k == askDate && !ac.day && !ac.enacted && !ac.calendar && strings.Contains(p.Text, "起") && relativeStart.MatchString(p.Text) {
			return 1 // 从次月起停发 answers "从啥时候停" without a figure
		}
		if k == askPeriod && strings.Contains(p.Text, "有效") && unlimited.MatchString(p.Text) {
			return 1.1 // 备案长期有效 answers "能管多久" without a figure
		}
		// 一半, 全额报销 say a share in words; 全额自费 (paid in full by oneself) says none
		if k == askRatio && (strings.Contains(text, "一半") || strings.Contains(text, "全额") && !selfPaid.MatchString(text)) {
			return 0.6
		}
		if k == askMoney && !ac.lowest && !ac.highest && !ac.inYuan && (strings.Contains(text, "除以") || strings.Contains(text, "÷")) {
			return 0.8
		}
		return 0
	}
	score := 0.5
	if ac.anchor != "" && durationKind(k) && countsFrom(text, ac.anchor) {
		score += 0.3 // the time counted from the event asked about (受理以后 → 受理后60日内)
	}
	if ac.total && totalSaid.MatchString(text) {
		score += 0.15 // the sum asked for, not one of its parts
	} else if ac.total && n >= 3 {
		score -= 0.5 // a list of parts (98天…难产增加15天…) that says no sum
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(text, w) {
				return true
			}
		}
		return false
	}
	switch k {
	case askPeriod:
		if p.Element == ElemTimeLimit {
			return 0
		}
		if ac.ofWage {
			if monthsOfWage.MatchString(text) {
				score += 0.6 // 6个月的上年度职工月平均工资 for "给几个月的平均工资"
			}
		} else if p.outcome {
			score += 0.6 // 最多领18个月, 延长60天, 共158天: the length of a benefit itself
		} else if has("领", "发放", "享受", "假", "最长", "最多", "支付", "延长", "等待期", "有效期", "期间") {
			score -= 0.1 // a duration near a benefit, often its condition (交够1年就能领)
		} else {
			score -= 0.2
		}
		if has("办结", "工作日内") {
			score -= 0.3
		}
	case askProcessing:
		if !ac.validity && p.Element != ElemTimeLimit && strings.Contains(text, "有效期") {
			return 0 // how long something stays valid (备案有效期6个月) is not the time it takes
		}
		if p.Element == ElemTimeLimit {
			score += 0.6
			// "法规上说多少天" asks for the statutory limit, "承诺几天" for the promised one
			if p.Item == 0 && ac.statutory || p.Item == 1 && ac.promised {
				score += 0.3
			}
		}
		// Every 时限 passage is the office's time: its wording (办结, 生效) says nothing more, so
		// which guide it belongs to decides among them, not its verbs.
		if p.Element == ElemTimeLimit {
			score += 0.4
		} else if has("办结", "办理完毕", "作出", "出具", "审核", "到账", "完成", "内办", "结论", "送达", "办好", "生效") {
			score += 0.4
		} else {
			score -= 0.3 // a duration that is not the office's time (有效期6个月)
		}
		if p.Element != ElemTimeLimit && ac.sameAction(text) {
			score += 0.3 // the time of the very action asked about (告知 for 告诉我)
		}
	case askDeadline:
		if ac.often && !oftenSaid.MatchString(text) {
			return 0 // how often (几年换一次) is said with 每, 一次 or 更换, not by a bound
		}
		if p.Element == ElemTimeLimit {
			if ac.duty {
				return 0 // the office's time, when the person asks what they themselves must do by when
			}
			score -= 0.2
		}
		if has("内", "之日起", "以前", "之前", "最迟", "逾期", "超过", "截止") {
			score += 0.4
		} else if !has("期限", "届满", "以后", "之后", "起", "提前") && !timeBefore.MatchString(text) {
			return 0 // a duration said with no bound (按98天算) is no time to act by
		}
		if has("申请", "提出", "申报", "报告", "告知", "登记", "办理", "提交", "补正", "备案", "认证", "补缴") {
			score += 0.2
		}
		if has("办结", "办理完毕", "应当自收到", "作出", "内办完", "内办好") {
			score -= 0.4 // the office's time limit, not the applicant's deadline
			if officeOnly(p.durs, text, ac.duty) {
				return 0
			}
		}
		if ac.sameAction(text) {
			score += 0.3
		}
	case askMoney:
		if amountElsewhere(p.Text, ac) || ac.otherPayer(p.Text) {
			return 0
		}
		if ac.flow < 0 && !ac.base && onlyBases(p.Text) {
			return 0 // 基数下限4650元 is what a contribution is counted on, not the 扣多少 asked
		}
		if (ac.lowest || ac.highest) && onlyChanges(p.Text) {
			return 0 // 额度提高1000元 says by how much a bound rises, not the bound asked
		}
		if p.Element == ElemFee {
			score -= 0.4
		}
		if n == nShare {
			score -= 0.4 // only shares (返60%, 按20%交费): an amount said as a share of something
		}
		if ac.highest != ac.lowest && oppositeBoundOnly(text, ac.highest) {
			return 0 // 下限4650元 does not say the highest asked, nor 上限 the lowest
		}
		if ac.lowest && has("下限", "最低") || ac.highest && has("上限", "最高", "封顶") {
			score += 0.2 // the bound asked for
		} else if (ac.lowest || ac.highest) && n >= 4 {
			score += 0.2 // a whole scale (200、300…3000元): its ends are the bounds asked for
		} else if (ac.lowest || ac.highest) && n == nShare && !has("下限", "上限", "最低", "最高", "封顶", "不低于", "不超过", "不高于") {
			return 0 // shares that bound nothing (按上月的110%) are no bound in money
		}
		if has("标准", "每月", "每年", "一次性", "补助", "补贴", "津贴", "按月", "档", "基数", "最低", "最高") {
			score += 0.4
		}
	case askRatio:
		if ac.flow != 0 && sharesElsewhere(p.Text, ac.flow) || ac.otherPayer(p.Text) {
			return 0 // a share returned or paid out (按60%返还) is not the rate paid in asked
		}
		if !ac.points && onlyPoints(figs) {
			return 0 // 低10个百分点 is a difference of two shares, not the share asked
		}
		if has("比例", "报销", "支付", "按", "%") {
			score += 0.4
		}
	case askAge:
		if has("年满", "周岁", "退休", "以上") {
			score += 0.4
		}
		if ac.flow > 0 && has("参加", "参保", "登记") && !ageClauseSays(p.Text, "领", "发", "享受", "待遇") {
			score -= 0.3 // the age to join, not the age from which the money comes (多大岁数开始给发钱)
		}
		if ac.raisedTo && raisedTo.MatchString(text) {
			score += 0.4 // 推迟到58岁 for "延到多少岁"
		} else if ac.raisedTo && !raisedTo.MatchString(text) {
			if len(originalAge.FindAllString(text, -1)) >= countAges(p.figs) {
				return 0 // 原来60岁, 原来55岁: the ages before the rise, not the one it reaches
			}
			score -= 0.4 // ages that are not what anything is raised to (不能早于原来的60岁)
		}
	case askYears:
		if ac.backPay && !strings.Contains(text, "补") {
			return 0 // the years one may pay back (最多能补缴几年) are not years to pay in at all
		}
		if ac.shift != 0 && shiftElsewhere(p.Text, ac.shift) {
			return 0 // 最多提前3年 does not say how far one may delay, nor the reverse
		}
		// years of contribution or work: a passage that says nothing of paying in or working
		// (怀孕未满4个月) holds another kind of duration
		if !has("缴", "交", "参保", "年限", "工作", "工龄", "累计", "视同", "保险") {
			return 0
		}
		if has("满", "累计", "缴费", "年限", "不足") {
			score += 0.4
		}
	case askDate:
		if ac.payday && !paidSaid.MatchString(p.Text) {
			return 0 // when money is paid (几月份发) is not the date a rule runs to
		}
		if ac.closing && !closingSaid.MatchString(text) {
			return 0 // the date something closes (最迟哪天) is not one it starts from (2025年1月1日起)
		}
		if has("起", "开始", "实施", "施行") || fromDate.MatchString(text) || ac.bound && dateBound.MatchString(text) {
			score += 0.4
		}
		if ac.bound && dateBound.MatchString(text) {
			score += 0.3 // the date bounding whom a rule is for (1976年9月及以后出生的), as asked
		}
		if ac.enacted && enactedSaid.MatchString(text) && yearDate.MatchString(text) {
			score += 0.3 // a date of one year on which the rule took effect (2025年1月1日起施行)
		}
	}
	return max(score, 0.1)
}

// lowerBound and upperBound find the bounds of an amount a passage says; a range (930元至4650元)
// says both.
var (
	lowerBound = regexp.MustCompile(`下限|最低|不低于|起码|至少`)
	upperBound = regexp.MustCompile(`上限|最高|封顶|不超过|不高于|最多|\d(元)?(至|到|-|～)\d`)
)

// oppositeBoundOnly reports whether text says only the other bound than the one asked: the
// lower when highest, the upper when not.
func oppositeBoundOnly(text string, highest bool) bool {
	lo, hi := lowerBound.MatchString(text), upperBound.MatchString(text)
	if highest {
		return lo && !hi
	}
	return hi && !lo
}

// officeDeadline finds a time the office must keep: 自收到申请之日起10个工作日内办理完毕, and in
// everyday words (收到申请后10个工作日内办完, the action 办完 or 办好), which only a question about
// the person's own duty (必须去申请) tells apart from it.
var officeDeadline = regexp.MustCompile(`(\d+)(个)?(工作日|日|天)内(办理完毕|办结|作出|完成|审核|办完|办好)`)

// officeOnly reports whether every duration of a passage is a time the office must keep: such a
// passage says nothing of the person's own deadline. spoken reads the office's time in
// everyday words too.
func officeOnly(durs []Figure, text string, spoken bool) bool {
	office := map[string]bool{}
	for _, m := range officeDeadline.FindAllStringSubmatch(text, -1) {
		if spoken || m[4] != "办完" && m[4] != "办好" {
			office[m[1]] = true
		}
	}
	for _, f := range durs {
		if !office[f.Value] {
			return false
		}
	}
	return len(office) > 0
}

// immediate finds a time limit said without a figure that still answers "how long": done at
// once. "在国家规定时限内办结", "未规定具体天数" do not answer it.
var immediate = regexp.MustCompile(`即时|即办|当场|当天|当日|立即|马上|实时`)

// anchorAsk finds the event a time asked is counted from (受理以后多少天出结果).
var anchorAsk = regexp.MustCompile(`(\p{Han}{2})了?(以后|之后)[，,]?[^，。？?]{0,4}(多少|几|多久|多长)`)

// countsFrom reports whether text counts a time from the event (受理后60日内, 受理之日起).
func countsFrom(text, event string) bool {
	for i := strings.Index(text, event); i >= 0; {
		rest := text[i+len(event):]
		for _, w := range []string{"后", "之日起", "以后", "之后"} {
			if r := strings.TrimPrefix(rest, w); r != rest && r != "" && (r[0] >= '0' && r[0] <= '9') {
				return true
			}
		}
		j := strings.Index(rest, event)
		if j < 0 {
			break
		}
		i += len(event) + j
	}
	return false
}

// relativeStart finds a start said relative to an event (从恢复缴费的次月起, 当月起).
var relativeStart = regexp.MustCompile(`(次月|当月|次日|当日|下个?月|次年|当年)(1日)?起`)

// unlimited finds a validity without end: 长期有效 answers how long something lasts.
var unlimited = regexp.MustCompile(`长期有效|永久有效|终身有效|一直有效`)

// actionWords are the ways an action the question asks the time of is said, in questions and
// in the guides: "几天内告诉我" is answered by the passage that says 告知, "送到我手上" by 送达.
var actionWords = [][]string{
	{"办完", "办好", "办结", "办理完毕"},
	{"告诉", "通知", "告知", "说一声"},
	{"送到", "送达", "寄到", "拿到"},
	{"出结果", "给说法", "答复", "作出", "结论"},
	{"到账", "报下来", "拨付", "打到"},
	{"申请", "提出", "申报"},
	{"报告", "报送", "登记", "备案"},
}

// askContext is what fits needs to know of a question, read once per ranking rather than once
// per passage.
type askContext struct {
	text      string          // the question read
	unit      map[string]bool // the units a duration asked in one unit is answered in (askedUnit)
	day       bool            // 几号: a day of the month is asked
	statutory bool            // the law's time limit is asked (法定, 法规)
	promised  bool            // the promised time limit is asked (承诺)
	actions   [][]string      // the groups of actionWords the question says
	ofWage    bool            // a number of months of a wage or base is asked (给几个月的平均工资)
	yuan      bool            // an amount in money itself is asked (具体多少钱): a share does not say it
	raisedTo  bool            // the age something is raised to is asked (延到多少岁)
	duty      bool            // the person's own duty to act by a time is asked (必须去报销)
	anchor    string          // the event a time is counted from (受理 of 受理以后多少天), or ""
	times     bool            // how many times is asked (几次, 跑几趟), not how many of something
	// flow is the way the money asked goes: +1 to the person (领多少, 能拿多少), -1 from them
	// (交多少, 扣多少), 0 when the question does not say
	flow     int
	visits   bool   // how many trips are asked (跑几趟, 去几次)
	fine     bool   // the amount of a fine is asked (罚多少)
	validity bool   // how long something stays valid is asked (有效期是几天)
	calendar bool   // a month or year of the calendar is asked (几月份, 哪年): 次月起 does not say it
	month    bool   // a month of the calendar is asked (几月份)
	payer    string // who pays the amount asked: 单位 (单位交多少) or 个人 (个人那块), or ""
	often    bool   // how often something comes round is asked (多久一回, 几年换一次)
	shift    int    // a shift asked: +1 later (延几年, 推迟), -1 earlier (提前几年), 0 neither
	counter  string // the counter of a count asked (种 of 多少种, 寸 of 几寸), or ""
	points   bool   // a difference in percentage points is asked (低多少, 几个百分点)
	payday   bool   // when money is paid is asked (几月份发, 几号到账)
	whichDay bool   // the day of a date is asked (哪天截止, 几月几号)
	inYuan   bool   // an amount in money is asked (多少钱, 几块钱): a formula says none
	bound    bool   // a date as a bound is asked (哪年几月以后出生的)
	base     bool   // a contribution base or its bounds are asked (基数, 下限, 上限)
	// enacted asks the date a rule took effect (哪天开始实行): a start relative to an event
	// (次月起) does not say it
	enacted  bool
	people   bool // how many people is asked (几个人, 多少人, 几位)
	delivery bool // the time until something is delivered is asked (寄到家里得几天)
	total    bool // a total is asked (一共能休多少天): a passage that sums (共158天) says it
	lowest   bool // the lowest amount is asked (最低多少, 最少)
	highest  bool // the highest amount is asked (最高多少, 最多)
	percent  bool // a percentage is asked (百分之几, 几个点): a multiple (3倍) does not say it
	closing  bool // the date something closes is asked (哪天截止, 最迟哪天)
	backPay  bool // the years one may pay back are asked (能补缴几年)
}

// yuanAsk asks for the amount itself in money (具体多少钱, 几块钱, 多少元): a share of a wage
// (50%) does not answer it.
var yuanAsk = regexp.MustCompile(`具体[^，。？?]{0,6}(多少钱|几块|多少元)|(几块钱|多少元)`)

// timeBefore finds a time before an event (退休前1个月, 3个月前): a bound, unlike 孕前检查.
var timeBefore = regexp.MustCompile(`前\d|(\d|[一二两三四五六七八九十])(个)?(工作日|天|日|周|月|年)(以|之)?前`)

// receiveAsk and payAsk find the way an amount asked goes: received by the person (能拿多少,
// 领多少钱) or paid by them (交多少, 每月扣多少). 给 and 补 say neither (政府给贴多少, 补缴多少).
var (
	receiveAsk = regexp.MustCompile(`(领|拿|发|赔|返|报)(了|到|得到)?(多少|几)|(开始|才)(给)?(发|领)(钱)?|(领|拿|发|赔|返|报)[^，。？?]{0,2}(百分之|比例)`)
	payAsk     = regexp.MustCompile(`(交|缴|扣|掏|付)(了|到)?(多少|几)|(交|缴|扣)[^，。？?]{0,8}(百分之|比例)`)
)

// moneyFlow is +1 when the question asks an amount the person receives, -1 one they pay, 0
// when it says neither or both.
func moneyFlow(q string) int { return oneWay(q, receiveAsk, payAsk) }

// oneWay is +1 when s matches plus and not minus, -1 when it matches minus and not plus, and 0
// when it matches both or neither.
func oneWay(s string, plus, minus *regexp.Regexp) int {
	p, m := plus.MatchString(s), minus.MatchString(s)
	switch {
	case p && !m:
		return 1
	case m && !p:
		return -1
	}
	return 0
}

// paidWords and receivedWords say which way the amounts of a clause go.
var (
	paidWords     = regexp.MustCompile(`缴|交|扣|费率|基数|罚`) // a fine is paid, never received
	receivedWords = regexp.MustCompile(`领|发|支付|补助|补贴|津贴|养老金|待遇|报销|赔|返还|救济|抚恤`)
)

// amountChange finds an amount said as a change of another (额度至少提高1000元).
var amountChange = regexp.MustCompile(`(提高|增加|上调|下调|降低|减少)(了)?(至少|最多|约)?\d+(\.\d+)?(元|万元)`)

// onlyChanges reports whether every amount in money of text is a change of another amount.
func onlyChanges(text string) bool {
	n := 0
	for _, f := range Figures(text) {
		if f.Unit == "元" || f.Unit == "万" {
			n++
		}
	}
	return n > 0 && len(amountChange.FindAllString(text, -1)) >= n
}

// amountElsewhere reports whether every amount in money of a passage goes the other way than
// the one asked: a contribution base does not answer "退休能拿多少".
func amountElsewhere(text string, ac *askContext) bool {
	if ac.flow == 0 {
		return false
	}
	return allOtherWay(moneyClauses(text), ac.flow, receivedWords, paidWords, func(c string) bool {
		if !strings.Contains(c, "元") {
			return false
		}
		for _, f := range Figures(c) {
			if f.Unit == "元" {
				return true
			}
		}
		return false
	})
}

// moneyClauses splits text into clauses, a bracketed aside (（单位缴8%）) a clause of its own.
func moneyClauses(text string) []string {
	return clauseSeparator.Split(bracketed.ReplaceAllString(text, "，$0，"), -1)
}

// enactedAsk asks when a rule took effect; enactedSaid finds a passage saying so.
var (
	enactedAsk  = regexp.MustCompile(`(实行|实施|施行|执行|生效|出台)`)
	enactedSaid = regexp.MustCompile(`实行|实施|施行|执行|生效|起`)
)

// visitsAsk asks how many trips the person makes: only then does 到现场次数 answer "几次".
var visitsAsk = regexp.MustCompile(`跑|趟|去几|去多少|到现场|上门|来回|现场`)

// pointsAsk asks a difference of shares (低多少, 几个百分点); paydayAsk asks when money is paid.
var (
	pointsAsk = regexp.MustCompile(`百分点|(低|高|少|多|降|差)(了)?(多少|几)`)
	paydayAsk = regexp.MustCompile(`(几月份?|几号|哪天|哪一天|什么时候|啥时候)[^，。？?]{0,3}(发|到账|打钱|打到|拨)`)
)

// employerPays and personPays find who pays the amount asked (单位交多少, 个人那块扣多少).
var (
	employerPays = regexp.MustCompile(`(单位|公司|企业|厂里|老板)(要|得|给|应)?(交|缴)`)
	personPays   = regexp.MustCompile(`(个人|自己|本人)(要|得|那块|那部分|部分)?(交|缴|扣|出)`)
)

// personShare finds the person's share named before what is asked of it (个人那块每个月得扣).
var personShare = regexp.MustCompile(`个人(那块|那部分|那一份|部分|的)[^，。？?]{0,6}(交|缴|扣|出)`)

// employerShare finds the employer's share named before what is asked of it (单位那部分是按
// 工资的百分之几交).
var employerShare = regexp.MustCompile(`(单位|公司|企业|厂里|老板)(那块|那部分|那一份|部分|的)[^，。？?]{0,12}(交|缴|扣|出)`)

// payerAsked returns who pays the amount q asks, or "" when it names neither or both.
func payerAsked(q string) string {
	// the clause that asks (个人那块每个月得扣多少), not one that tells (单位给交社保)
	var asking []string
	for _, c := range askClause.Split(q, -1) {
		if strings.Contains(c, "多少") || strings.Contains(c, "几") {
			asking = append(asking, c)
		}
	}
	if len(asking) > 0 {
		q = strings.Join(asking, "，")
	}
	e, p := employerPays.MatchString(q) || employerShare.MatchString(q), personPays.MatchString(q) || personShare.MatchString(q)
	switch {
	case e && !p:
		return "单位"
	case p && !e:
		return "个人"
	}
	return ""
}

// employerPaysSaid finds a passage saying what the employer pays (单位缴16%, 单位按工资总额,
// 单位部分).
var employerPaysSaid = regexp.MustCompile(`(单位|企业)(按|缴|交|承担|负担|部分|那部分|每月|应缴|应当缴)`)

// otherPayer reports whether text speaks only of the other payer than the one asked: 个人缴费基数
// for "单位交多少".
func (ac *askContext) otherPayer(text string) bool {
	switch ac.payer {
	case "单位":
		// 城镇单位就业人员, 由单位从工资里代扣 name the employer without its share
		return strings.Contains(text, "个人") && !employerPaysSaid.MatchString(text)
	case "个人":
		return strings.Contains(text, "单位") && !strings.Contains(text, "个人") && !strings.Contains(text, "本人")
	}
	return false
}

// oftenAsk asks how often something comes round; oftenSaid finds a passage saying it.
var (
	oftenAsk  = regexp.MustCompile(`(多长时间|多久|几个月|多少天|几年|多少年)(要|得|需要|能|可以|才能)?[^，。？?]{0,4}一(回|次)`)
	oftenSaid = regexp.MustCompile(`每\d|每(个|年|月|隔)|一次|周期|更换`)
)

// later and earlier find the two ways a date can be shifted (延迟, 推迟 / 提前).
var (
	later   = regexp.MustCompile(`延|推迟|往后`)
	earlier = regexp.MustCompile(`提前|提早|早退`)
)

// shiftAsked is +1 when q asks how far something is put off, -1 how far brought forward.
func shiftAsked(q string) int { return oneWay(q, later, earlier) }

// shiftElsewhere reports whether every clause of text that holds years shifts the other way.
func shiftElsewhere(text string, shift int) bool {
	return allOtherWay(clauseSeparator.Split(text, -1), shift, later, earlier,
		func(c string) bool { return strings.Contains(c, "年") && len(Figures(c)) > 0 })
}

// allOtherWay reports whether there are clauses that hold and every one of them says the way
// opposite to dir: one way is plus (dir > 0), the other minus (dir < 0); a clause saying both or
// neither is no clause the other way.
func allOtherWay(clauses []string, dir int, plus, minus *regexp.Regexp, holds func(string) bool) bool {
	seen := false
	for _, c := range clauses {
		if !holds(c) {
			continue
		}
		seen = true
		if oneWay(c, plus, minus)*dir < 0 {
			continue // this clause says the other way
		}
		return false
	}
	return seen
}

// calendarAsk asks for a month or a year of the calendar (几月份开始交, 哪年开始).
var calendarAsk = regexp.MustCompile(`几月|哪年|哪一年`)

// paidSaid finds a passage saying money is paid (发放, 拨付, 到账).
var paidSaid = regexp.MustCompile(`发放|发到|按月发|拨付|到账|打到|打入|返还到|支付`)

// sharesElsewhere reports whether every share (%) of text goes the other way than flow: paid
// in (按8%缴费) against received (按60%返还).
func sharesElsewhere(text string, flow int) bool {
	return allOtherWay(moneyClauses(text), flow, receivedWords, paidWords,
		func(c string) bool { return strings.Contains(c, "%") })
}

// onlyPoints reports whether every share among figs is in percentage points.
func onlyPoints(figs []Figure) bool {
	n := 0
	for _, f := range figs {
		switch f.Unit {
		case "百分点":
			n++
		case "%", "倍":
			return false
		}
	}
	return n > 0
}

// counterAsk finds the counter of a count asked (多少种, 几项, 几寸).
var counterAsk = regexp.MustCompile(`(几|多少)(种|项|家|所|条|份|张|步|寸)`)

// countedIn returns the counter of the count q asks, or "".
func countedIn(q string) string {
	if m := counterAsk.FindStringSubmatch(q); m != nil {
		return m[2]
	}
	return ""
}

// peopleAsk asks how many people (几个人, 多少人, 几位); peopleCount finds a number of people
// in a passage (3人, 5名, 7位专家; not 6位数字).
var (
	peopleAsk   = regexp.MustCompile(`(几|多少)(个)?人|(几|多少)(位|名)([^数]|$)`)
	peopleCount = regexp.MustCompile(`\d+(个|名|位)?人|\d+名|\d+位[^数]`)
)

// digitsAsk asks how many digits (密码几位, 卡号多少位): 位 counts digits there, not people.
var digitsAsk = regexp.MustCompile(`(密码|号码|数字|编号|卡号|账号|验证码)[^，。？?]{0,4}(几|多少)位`)

// deliveryAsk asks how long until something reaches the person (寄到家里得几天); a passage
// answers it only when it speaks of sending (寄, 送达), not with the office's time to process.
var (
	deliveryAsk  = regexp.MustCompile(`寄到|邮寄|寄回|寄过来|快递|送到`)
	deliverySaid = regexp.MustCompile(`寄|送达|送到|快递|邮政`)
)

// timesAsk asks how many times (几次, 多少回, 跑几趟).
var timesAsk = regexp.MustCompile(`(几|多少)(次|回|趟)`)

// totalAsk asks for a total (一共, 总共, 加起来); totalSaid finds one said in a passage (共158天,
// 合计).
var (
	totalAsk  = regexp.MustCompile(`一共|总共|总计|合计|加起来|加一块|算下来`)
	totalSaid = regexp.MustCompile(`(一共|总共|总计|合计|共计|共)\d`)
)

// dutyAsk finds a question about what the person must do by a time (多长时间之内必须去报销): the
// office's time limit (时限) does not answer it.
var dutyAsk = regexp.MustCompile(`(必须|务必)(要|得)?(去|在)?[^，。？?]{0,6}(申请|报销|报告|告知|登记|备案|办理|办|交|提出)`)

// monthsOfWageAsk asks for an amount said as months of a wage or base: "给几个月的平均工资" is
// answered by 6个月的上年度职工月平均工资, not by a benefit period.
var monthsOfWageAsk = regexp.MustCompile(`(几|多少)个月的?(本人|平均|上年度)?(工资|基数|月平均)`)

// monthsOfWage finds an amount said as months of a wage or base in a passage.
var monthsOfWage = regexp.MustCompile(`\d+个月(的)?(本人|统筹地区|上年度|职工|平均|月平均|缴费)*(工资|基数)`)

// raisedToAsk asks for the age something is raised to; raisedTo finds it in a passage.
var (
	raisedToAsk = regexp.MustCompile(`(延|推迟|延迟|提高|涨|推)(到|至)(多少|几)岁|(最后|最终)[^，。？?]{0,4}(到|至)(多少|几)(周)?岁`)
	raisedTo    = regexp.MustCompile(`(延|推迟|延迟|提高|推)(到|至)\d+(周)?岁`)
	// originalAge finds an age before the rise (原来60岁, 原55周岁)
	originalAge = regexp.MustCompile(`原(来|为)?(是)?\d+(周)?岁`)
)

// countAges is the number of ages among figs.
func countAges(figs []Figure) int {
	n := 0
	for _, f := range figs {
		if f.Unit == "岁" {
			n++
		}
	}
	return n
}

// lowestAsk and highestAsk ask for the bounds of an amount; a passage says them as 下限 and 上限
// as often as 最低 and 最高.
var (
	lowestAsk  = regexp.MustCompile(`(最低|最少|下限|起码)[^，。？?]{0,3}(多少|几)|(最低|最少)(那|的)?一?档`)
	highestAsk = regexp.MustCompile(`(最高|最多|上限|封顶)[^，。？?]{0,3}(多少|几)|(最高|最多)(那|的)?一?档`)
)

func newAskContext(q string) *askContext {
	ac := &askContext{text: q, unit: askedUnit(q), day: dayAsk.MatchString(q),
		statutory: statutoryWords.MatchString(q), promised: strings.Contains(q, "承诺"),
		ofWage: monthsOfWageAsk.MatchString(q), raisedTo: raisedToAsk.MatchString(q), yuan: yuanAsk.MatchString(q),
		lowest: lowestAsk.MatchString(q), highest: highestAsk.MatchString(q), duty: dutyAsk.MatchString(q), total: totalAsk.MatchString(q), times: timesAsk.MatchString(q),
		people: peopleAsk.MatchString(q) && !digitsAsk.MatchString(q), delivery: deliveryAsk.MatchString(q), flow: moneyFlow(q), visits: visitsAsk.MatchString(q),
		fine: strings.Contains(q, "罚"), validity: strings.Contains(q, "有效"), calendar: calendarAsk.MatchString(q), month: strings.Contains(q, "几月"), payer: payerAsked(q), often: oftenAsk.MatchString(q), shift: shiftAsked(q),
		counter: countedIn(q), points: pointsAsk.MatchString(q), payday: paydayAsk.MatchString(q), enacted: enactedAsk.MatchString(q), whichDay: whichDayAsk.MatchString(q), inYuan: inYuanAsk.MatchString(q), bound: boundAsk.MatchString(q), base: baseAsk.MatchString(q)}
	if m := anchorAsk.FindStringSubmatch(q); m != nil {
		ac.anchor = m[1]
	}
	ac.percent, ac.closing, ac.backPay = percentAsk.MatchString(q), dateClosing.MatchString(q), backPayAsk.MatchString(q)
	for _, group := range actionWords {
		for _, w := range group {
			if strings.Contains(q, w) {
				ac.actions = append(ac.actions, group)
				break
			}
		}
	}
	return ac
}

// sameAction reports whether the text says an action the question asks the time of, in any of
// its usual words.
func (ac *askContext) sameAction(text string) bool {
	for _, group := range ac.actions {
		for _, w := range group {
			if strings.Contains(text, w) {
				return true
			}
		}
	}
	return false
}

// yearDate finds a date of one year (2025年1月1日, 2026年2月).
var yearDate = regexp.MustCompile(`\d{4}年(\d{1,2}月(\d{1,2}[日号])?)?`)

// baseAsk asks a contribution base or its bounds; baseClause finds a clause that gives one.
var (
	baseAsk    = regexp.MustCompile(`基数|下限|上限|最低|最高|封顶|保底`)
	baseClause = regexp.MustCompile(`基数|下限|上限`)
)

// onlyBases reports whether every clause of text with an amount in money gives a contribution
// base or its bounds (基数下限是每月4650元，工资低于下限的按4650元交).
func onlyBases(text string) bool {
	n := 0
	for _, c := range moneyClauses(text) {
		if !strings.Contains(c, "元") {
			continue
		}
		if !baseClause.MatchString(c) {
			return false
		}
		n++
	}
	return n > 0
}

// backPayAsk asks how many years one may pay back (最多能补缴几年, 能补交多少年).
var backPayAsk = regexp.MustCompile(`补(缴|交)?[^，。？?]{0,2}(几|多少)(年|个月)`)

// percentAsk asks a percentage (百分之几, 百分比, 几个点).
var percentAsk = regexp.MustCompile(`百分之|百分比|(几|多少)个?(百分)?点`)

// inYuanAsk asks an amount in money (多少钱, 几块钱, 多少元).
var inYuanAsk = regexp.MustCompile(`多少钱|几块钱|多少块|多少元`)

// dayAsk asks a day of the month (几号, 哪一号).
var dayAsk = regexp.MustCompile(`几号|哪一?号`)

// boundAsk asks a date as a bound (哪年几月以后, 啥时候以前); dateBound finds one said (1976年9月
// 及以后出生的).
var (
	boundAsk  = regexp.MustCompile(`(以后|之后|以前|之前)`)
	dateBound = regexp.MustCompile(`\d(月|日|号)(及)?(以后|之后|以前|之前)`)
)

// fromDate finds a start said with 自 and a date (自2025年1月1日): 不用自己交 says none.
var fromDate = regexp.MustCompile(`自\d`)

// whichDayAsk asks for a day of a date (哪天截止, 从哪一天开通, 几月几号): a year or a month
// alone does not say it.
var whichDayAsk = regexp.MustCompile(`哪(一)?天|几月几(号|日)`)

// dayOfMonth finds a day of the month (15日, 10号) that is not a number of days (15日内).
var dayOfMonth = regexp.MustCompile(`(^|[^\d个工作])\d{1,2}[日号]([^内之以\d]|$)`)

// askedUnitPattern finds the unit a duration question asks in: 算几个月, 多少天, 几年.
var askedUnitPattern = regexp.MustCompile(`(多少|几)(个)?(工作日|月|天|日|年|小时|分钟)`)

// askedUnitFits are the figure units that answer a question asked in a unit: "算几个月" is not
// answered by "满1年", "多少天" is by "20个工作日".
var askedUnitFits = map[string]map[string]bool{
	"月":   {"月": true},
	"天":   {"天": true, "日": true, "工作日": true},
	"日":   {"天": true, "日": true, "工作日": true},
	"工作日": {"天": true, "日": true, "工作日": true},
	"年":   {"年": true, "月": true},
	"小时":  {"小时": true},
	"分钟":  {"分钟": true},
}

// askedUnit returns the units that answer a duration question asked in one unit, or nil when
// it asks in none or in several (多少天…几个月).
// "交了几年社保" says what the person did, vaguely; it asks nothing.
func askedUnit(q string) map[string]bool {
	unit, n := "", 0
	for _, m := range askedUnitPattern.FindAllStringSubmatchIndex(q, -1) {
		if before := q[:m[0]]; strings.HasSuffix(before, "了") || strings.HasSuffix(before, "过") {
			continue
		}
		unit, n = q[m[6]:m[7]], n+1
	}
	if n != 1 {
		return nil
	}
	return askedUnitFits[unit]
}

// selfPaid finds a cost borne in full by the person: 全额自费 is not a share paid.
var selfPaid = regexp.MustCompile(`全额(自费|自付|付|垫)`)

// formulaWords say how an amount is worked out.
var formulaWords = regexp.MustCompile(`除以|÷|×|乘以|计发月数|计发基数|(按|以)[^，。；]{1,12}(计算|计发|确定)`)

// statutoryWords ask for what the law sets.
var statutoryWords = regexp.MustCompile(`法定|法规|法律|规定上|按规定|条例`)

// periodOutcome finds the length of a benefit, leave or validity said as such.
var periodOutcome = regexp.MustCompile(`(领|休|发|最长|最多|延长|享受|支付|有效期|等待期|加|增加|共|合计|再加|多)[^，。；、]{0,6}?\d+(个)?(月|天|日)`)

// unitFits reports whether figure f can answer kind k.
func unitFits(k askKind, f Figure) bool {
	if k == askDate {
		// a year (2024年) or a month/day of a date, not a duration (12个月, 15日内)
		switch f.Unit {
		case "年":
			return len(f.Value) == 4
		case "月":
			return !strings.Contains(f.Text, "个") && len(f.Value) <= 2 && f.Value != "0" && (len(f.Value) < 2 || f.Value <= "12")
		case "日":
			// a day of a month, not a document's number (陕人社函〔2025〕424号)
			return !strings.Contains(f.Text, "工作") && len(f.Value) <= 2 && f.Value != "0"
		}
		return false
	}
	if k == askYears && f.Unit == "年" && len(f.Value) == 4 {
		return false // 2026年 is a date
	}
	if (k == askPeriod || k == askDeadline || k == askProcessing) && f.Unit == "年" && len(f.Value) == 4 {
		return false
	}
	if k == askCount && f.Unit == "" {
		return len(f.Value) <= 2
	}
	if k == askCount && len(f.Value) > 4 {
		return false // 12333人社服务热线: a number called, not a count
	}
	for _, u := range unitsFor[k] {
		if f.Unit == u {
			return true
		}
	}
	return false
}

// phoneFigure reports whether the passage holds a phone or hotline number.
func phoneFigure(p *Passage) bool {
	for _, f := range p.figs {
		if f.Unit == "" && len(f.Value) >= 5 && !strings.Contains(f.Value, ".") {
			return true
		}
	}
	return false
}

// askQuestion is the missing fact to ask for when a rule has tiers by a unit.
var askQuestion = map[string]string{
	"年": "请告诉我您累计交了几年，我帮您对应到具体一档。",
	"岁": "请告诉我您的年龄，我帮您对应到具体一档。",
	"元": "请告诉我您的金额，我帮您对应到具体一档。",
	"月": "请告诉我具体有几个月，我帮您对应到具体一档。",
}

// impersonalAsks returns the kinds asked that no personal record holds: a time limit, a
// deadline, a date, a phone number. Amounts, years and ages may be the person's own and are
// never answered from a guide when the question is about their records.
func impersonalAsks(ks []askKind) []askKind {
	var out []askKind
	for _, k := range ks {
		switch k {
		case askProcessing, askDeadline, askDate, askPhone:
			out = append(out, k)
		}
	}
	return out
}

// asksBeyondRetirement reports whether a question asks for a figure the retirement calculator
// does not compute: not the retirement date, age or minimum years, but, say, a number of months
// of a benefit or a deadline.
func asksBeyondRetirement(ks []askKind) bool {
	for _, k := range ks {
		switch k {
		case askDate, askAge, askYears:
		default:
			return true
		}
	}
	return false
}
