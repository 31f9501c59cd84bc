package assistant

// Fixed replies of the routes that do not answer from a guide. They are said as they are; the
// figures in them (hotlines) are their own source.

const (
	replyInjection = "抱歉，我不能按这个要求做。我是陕西社保智能助手，只回答社会保险办事方面的问题，比如养老金认证、社保卡、医保报销、退休年龄。请问您想办什么业务？"

	replyDistress = "听起来您现在很难受，谢谢您愿意说出来。您不是一个人，我们想帮您。请现在就拨打12333，说明您的情况，会有工作人员帮您；也可以拨打心理援助热线12356。如果您有危险，请马上拨打110或120。"

	replyHandoff = "好的，为您转人工服务。请拨打12333，在工作时间会有人工客服接听；也可以点下面的按钮直接拨打。"

	replyAccount = "您本人的缴费、账户和待遇信息，要以系统里的记录为准，我这里看不到您的个人数据，也不替您估算。请在App里打开“我的”→“个人权益记录”查看；有疑问可以拨打12333。"

	replyGreeting = "您好！我是陕西社保智能助手，可以帮您查办事指南，比如要带什么材料、在哪里办、要多长时间，也可以帮您算退休年龄。请问您想办什么？"

	replyOutOfScope = "抱歉，这个问题不在我的服务范围内。我可以回答陕西社会保险办事方面的问题，比如养老金认证、社保卡、医保报销、退休年龄。"

	replyNotFound = "这个问题我暂时没有找到对应的办事指南。您可以换个说法问我，或者拨打12333咨询。"

	replyRepeatedMiss = "这个问题我还是没有找到答案，建议您拨打12333，由人工客服为您解答。"
)

// Suggestions offered with the fixed replies. They hold no figures.
var (
	startSuggestions   = []string{"养老金认证怎么办？", "社保卡丢了怎么办？", "我哪年退休？", "异地就医怎么备案？"}
	accountSuggestions = []string{"参保缴费证明怎么打印？", "社保转移怎么办？"}
)
