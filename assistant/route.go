package assistant

import (
	"regexp"
	"strings"
)

// routeRules decide the routes that do not need retrieval. Each is a unit on its own so that a
// table of sentences can test it.

var injectionPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(忽略|无视|忘掉|忘记|不要理会|别管|跳过|覆盖).{0,8}(指令|指示|提示|规则|设定|要求|限制|约束|身份|设置)`),
	regexp.MustCompile(`(系统|初始|原始|隐藏|内部|开发者)(提示|指令|设定|prompt|消息)`),
	regexp.MustCompile(`提示词|prompt|系统消息`),
	regexp.MustCompile(`(你的|你们的)(设定|指令|规则|人设|配置).{0,6}(是什么|是啥|内容|告诉|发给|输出|打印|显示|重复|复述|念)`),
	regexp.MustCompile(`(输出|打印|显示|复述|重复|泄露|告诉我).{0,10}(上面|以上|之前|前面|最开始|第一条|收到)的?.{0,4}(内容|文字|话|指令|消息|信息)`),
	regexp.MustCompile(`角色扮演|扮演|假装你是|假装自己是|假设你是|你现在是(一个|一名)?.{0,6}(不受|没有|无|自由|黑客|开发者|管理员|邪恶|坏)`),
	regexp.MustCompile(`开发者模式|越狱|不受(任何)?限制|解除(所有)?限制|没有(任何)?限制的|管理员模式|调试模式|上帝模式`),
	regexp.MustCompile(`(?i)\bdan\b|jailbreak|developer mode|do anything now`),
	regexp.MustCompile(`(?i)(ignore|disregard|forget|override).{0,20}(instruction|prompt|rule|direction|above|previous|prior)`),
	regexp.MustCompile(`(?i)you are now|pretend (to be|you are)|act as (a|an) |roleplay|role-play`),
	regexp.MustCompile(`(?i)(reveal|print|show|repeat|output|tell me).{0,20}(system|initial|hidden).{0,10}(prompt|message|instruction)`),
	regexp.MustCompile(`(?i)<\|?/?(system|im_start|im_end|assistant)\|?>|\[/?inst\]|###\s*(system|instruction)`),
	regexp.MustCompile(`(?i)<<<\s*(end_)?(guide|user)`),
}

// IsInjection reports whether a message tries to change or reveal the assistant's instructions.
func IsInjection(text string) bool {
	t := strings.ReplaceAll(text, " ", "") // "忽 略 指 令"
	for _, p := range injectionPatterns {
		if p.MatchString(t) || t != text && p.MatchString(text) {
			return true
		}
	}
	return false
}

var distressCues = []string{"不想活", "活不下去", "活着没意思", "活着没有意思", "自杀", "轻生", "想死", "去死", "寻死",
	"跳楼", "跳河", "喝农药", "割腕", "结束生命", "结束自己", "不活了", "没法活", "撑不下去", "走投无路", "绝望",
	"一了百了", "没有活路", "活不了了"}

// IsDistress reports whether a message suggests the user may be in crisis.
func IsDistress(text string) bool { return containsAny(text, distressCues) }

var handoffCues = []string{"转人工", "人工客服", "人工服务", "找人工", "要人工", "接人工", "人工坐席", "真人客服",
	"真人", "找客服", "转客服", "人工接待", "联系人工", "打人工", "跟人说", "和人说话", "人工回复"}

// IsHandoffRequest reports whether the user asks for a person. A question about the people
// (人工客服几点上班) asks a fact, not for them.
func IsHandoffRequest(text string) bool {
	return containsAny(text, handoffCues) && !hoursAsk.MatchString(text)
}

var accountPatterns = []*regexp.Regexp{
	regexp.MustCompile(`我(的|家|们)?.{0,8}(余额|缴费记录|缴费明细|参保记录|个人账户|账户里|卡里|权益记录|缴费基数|缴费年限|交了几年|交了多少|缴了几年|缴了多少)`),
	regexp.MustCompile(`我.{0,6}(交|缴)(了|过)(几|多少|多久|多长)`),
	regexp.MustCompile(`我.{0,8}(能|可以)?(领|拿|发)(了)?(多少钱|几千|几百)|我.{0,8}(能|可以)?(领|拿|发)(了)?多少(养老金|退休金|失业金|津贴|钱)?[？?。！!]?$`),
	// another named person's own record (同事的失业金领了多少, 邻居家退休金一个月多少)
	regexp.MustCompile(`(同事|邻居|隔壁|朋友|亲戚|老乡|别人|人家)(家)?(的)?.{0,4}(养老金|退休金|失业金|工资|津贴|医保|社保).{0,4}(领了|拿了|发了|交了|有|是)?多少`),
	regexp.MustCompile(`我(的)?.{0,10}(到账了没|到账没|发了没|发没发|到哪一步|进度|审核到|审批到|办好了没|批下来没|状态)`),
	regexp.MustCompile(`(查|看)(一下|下)?我(的|自己的)?.{0,8}(记录|明细|余额|账户|缴费|待遇|养老金|社保|医保)`),
	regexp.MustCompile(`我(的)?(养老金|退休金|医保|社保|失业金|工资).{0,4}(是)?多少`),
	regexp.MustCompile(`我(有没有|是否|有无)(断缴|欠费|补缴)`),
	// the state of the person's own case (我的认定结果出来了吗, 我妈的养老金咋还没到账) and what was
	// paid to them (发了多少, 为啥少发了)
	regexp.MustCompile(`我.{0,12}(出来了吗|出来了没|出来没|批了没|批了吗|做好了没|做好了吗|做好没|办下来没|办下来了吗|到账了吗|通过了吗|通过了没|怎么还没|咋还没|为啥还没|为什么还没|(发|领|拿|扣|到账)了多少|(为啥|为什么|怎么|咋)(少|多)(发|扣|给))`),
	regexp.MustCompile(`(为啥|为什么|怎么|咋)(少|多)(发|扣|给)了`),
	// a payment that changed from the last one (养老金咋比上个月少了两百多): only the records say why
	regexp.MustCompile(`(养老金|退休金|失业金|津贴|补贴|抚恤金|工资|到账的|发的)[^，。？?]{0,8}(比|较)(上个?月|上回|上次|去年|以前|原来|之前)(少|多|低|高)`),
	// how far one's case has gone (现在办到哪一步了), whether it passed (审核通过了没有), what was
	// granted to one (给我们核了多少), and the dates of one's own case (我妈的认证下回哪天到期,
	// 啥时候通知我去): only the records and the office know them
	regexp.MustCompile(`(办|走|审|批|弄|进行)到(了)?哪(一)?步`),
	regexp.MustCompile(`(审核|审批|申请|认定|鉴定|备案)[^，。？?]{0,4}(通过|批下来|批了|下来|出来)了?(没有|没|吗|没呢)`),
	regexp.MustCompile(`给(我|咱)(们|家)?(核|算|定|批|发|补|报)了多少`),
	regexp.MustCompile(`我.{0,10}(下回|下次|下一次)[^，。？?]{0,6}(哪天|几号|什么时候|啥时候|哪一天)`),
	regexp.MustCompile(`(啥时候|什么时候|哪天|几号)(能|会|才|再)?(通知|叫|喊|让)我`),
}

// IsAccountQuestion reports whether the user asks about their own records, which the assistant
// cannot see and never guesses. Asking which number to call about them (查交了多少年，打哪个电话问)
// asks the guides' phone.
func IsAccountQuestion(text string) bool {
	return !phoneAsk.MatchString(text) && recordsAsked(text) && !ruleAsked.MatchString(text)
}

// ruleAsked finds a question that, though it speaks of the person's own payments or account,
// asks the rule that applies to them, which the guides give: what it takes (交了多少年才能领),
// what to do (缴费年限不够咋办, 补交要不要交滞纳金), a bound (我的缴费基数最低是多少), or whether one may (我卡里的钱
// 能取出来吗, 我的个人账户能继承吗). How much one may draw (我能领多少) stays with the records.
var ruleAsked = regexp.MustCompile(`才(能|可以|算|给|行|够)|要不要|用不用|需不需要|需要不需要|(咋|怎么|怎样|如何)(办|弄|整)|最(低|高|少|多)(是|要|能|得)?(多少|几)|` +
	`(能|可以|可不可以|能不能)[^多几？?，,]{0,12}(吗|不|么)[？?。！!]?$`)

// recordsAsked reports whether text asks about the person's own records.
func recordsAsked(text string) bool {
	text = strings.ReplaceAll(text, "俺", "我")    // the Shaanxi and northern 俺 is 我
	text = askOpening.ReplaceAllString(text, "") // 我想问下，社保卡里…: the 我 of asking is not the owner's
	for _, p := range accountPatterns {
		if p.MatchString(text) {
			return true
		}
	}
	return false
}

// askOpening is how a person opens a question (我想问下, 我问一下, 我想了解): its 我 asks, it owns no record.
var askOpening = regexp.MustCompile(`我(想|要)?(问|咨询|打听|了解|知道)(一)?(下|问)?`)

var greetingWords = []string{"你好", "您好", "在吗", "在不在", "哈喽", "hello", "hi", "谢谢", "多谢", "感谢", "好的", "嗯", "早上好", "晚上好", "下午好", "再见", "拜拜"}

// IsGreeting reports whether a short message is only a greeting or thanks.
func IsGreeting(text string) bool {
	t := strings.ToLower(strings.Trim(text, " ，。！？!?,.~～啊呀呢吧哦"))
	if len([]rune(t)) > 8 {
		return false
	}
	for _, w := range greetingWords {
		t = strings.ReplaceAll(t, w, "")
	}
	return strings.Trim(t, " ，。！？!?,.~～啊呀呢吧哦你您") == ""
}

var offTopicCues = []string{"天气", "股票", "彩票", "笑话", "写诗", "写一首", "作诗", "翻译", "菜谱", "做饭", "怎么做菜",
	"电影", "游戏", "星座", "算命", "足球", "篮球", "明星", "旅游", "房价", "歌词", "写代码", "编程", "比特币", "炒股",
	"谁赢", "世界杯", "美食", "减肥", "恋爱", "约会", "小说", "作文", "数学题", "下象棋"}

var socialInsuranceWords = []string{"社保", "养老", "医保", "医疗", "工伤", "失业", "生育", "退休", "社会保险", "缴费", "参保",
	"报销", "认证", "备案", "津贴", "待遇", "12333", "人社", "就医", "转移", "证明", "补贴", "保险", "社保卡", "挂失",
	"产假", "就业", "劳动", "单位", "住院", "门诊", "看病", "药", "医院", "灵活就业", "城乡居民", "领取", "申领"}

// IsOffTopic reports whether a message is clearly about something other than social insurance.
func IsOffTopic(text string) bool {
	return containsAny(text, offTopicCues) && !containsAny(text, socialInsuranceWords)
}

// MentionsSocialInsurance reports whether a message uses social-insurance vocabulary.
func MentionsSocialInsurance(text string) bool { return containsAny(text, socialInsuranceWords) }

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
