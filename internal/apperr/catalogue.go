package apperr

import "net/http"

// The catalogue: every error code the API returns. Client developers read this file; codes never
// change meaning once published.
var (
	// General.
	Internal         = Kind{"internal_error", http.StatusInternalServerError, "系统繁忙，请稍后再试。如需帮助请拨打12333。"}
	InvalidParameter = Kind{"invalid_parameter", http.StatusBadRequest, "请求参数不正确。"}
	InvalidBody      = Kind{"invalid_body", http.StatusBadRequest, "请求内容格式不正确。"}
	NotFound         = Kind{"not_found", http.StatusNotFound, "您访问的内容不存在。"}
	MethodNotAllowed = Kind{"method_not_allowed", http.StatusMethodNotAllowed, "不支持该请求方式。"}
	BodyTooLarge     = Kind{"body_too_large", http.StatusRequestEntityTooLarge, "提交的内容过大。"}
	RateLimited      = Kind{"rate_limited", http.StatusTooManyRequests, "操作太频繁，请稍后再试。"}
	Unavailable      = Kind{"service_unavailable", http.StatusServiceUnavailable, "服务正在准备中，请稍后再试。"}
	// The request line and headers did not fit the server's read buffer (a query of up to 4 KB
	// always fits; see bff.readBufferSize).
	HeaderTooLarge = Kind{"request_header_too_large", http.StatusRequestHeaderFieldsTooLarge, "请求的网址或请求头过长，请精简后重试。"}
	RequestTimeout = Kind{"request_timeout", http.StatusRequestTimeout, "请求超时，请重试。"}
	BadRequest     = Kind{"bad_request", http.StatusBadRequest, "请求格式不正确。"}
	// Too many open chat connections from one client address or one person.
	TooManyConnections = Kind{"too_many_connections", http.StatusTooManyRequests, "打开的对话窗口太多，请关闭其他窗口后再试。"}
	// A plain HTTP request to the chat endpoint, which speaks only WebSocket.
	WebSocketRequired = Kind{"websocket_required", http.StatusBadRequest, "请使用 WebSocket 连接。"}

	// Identity.
	Unauthenticated     = Kind{"unauthenticated", http.StatusUnauthorized, "请先登录。"}
	Forbidden           = Kind{"forbidden", http.StatusForbidden, "您没有权限进行此操作。"}
	SelfReviewForbidden = Kind{"self_review_forbidden", http.StatusForbidden, "不能审核自己编辑的内容，请由其他人员审核。"}

	// Guides and editorial workflow.
	GuideNotFound     = Kind{"guide_not_found", http.StatusNotFound, "未找到该办事指南。"}
	GuideUnpublished  = Kind{"guide_unpublished", http.StatusGone, "该办事指南已下线。"}
	InvalidGuideCode  = Kind{"invalid_guide_code", http.StatusBadRequest, "事项编码格式不正确。"}
	GuideInvalid      = Kind{"guide_invalid", http.StatusUnprocessableEntity, "办事指南内容不完整，请补充后再提交。"}
	ImportInvalid     = Kind{"import_invalid", http.StatusUnprocessableEntity, "导入文件校验未通过，未导入任何内容。"}
	GuideExists       = Kind{"guide_exists", http.StatusConflict, "该事项编码已存在。"}
	EditConflict      = Kind{"edit_conflict", http.StatusConflict, "内容已被他人修改，请刷新后再编辑。"}
	InvalidTransition = Kind{"invalid_transition", http.StatusConflict, "当前状态下不能进行此操作。"}
	ReasonRequired    = Kind{"reason_required", http.StatusBadRequest, "请填写原因。"}
	InvalidSchedule   = Kind{"invalid_schedule", http.StatusBadRequest, "定时时间不正确。"}
	FormInvalid       = Kind{"form_invalid", http.StatusUnprocessableEntity, "表单定义不正确。"}
	FormNotFound      = Kind{"form_not_found", http.StatusNotFound, "未找到该表单。"}

	// Search.
	QueryEmpty     = Kind{"query_empty", http.StatusBadRequest, "请输入要搜索的内容。"}
	QueryTooLong   = Kind{"query_too_long", http.StatusBadRequest, "搜索内容太长，请精简到500字以内。"}
	InvalidCursor  = Kind{"invalid_cursor", http.StatusBadRequest, "翻页参数不正确，请重新搜索。"}
	SynonymInvalid = Kind{"synonym_invalid", http.StatusBadRequest, "同义词设置不正确。"}

	// Editorial workflow (continued).
	ChangeNoteRequired = Kind{"change_note_required", http.StatusBadRequest, "重大修改必须填写修改说明。"}
	FormExists         = Kind{"form_exists", http.StatusConflict, "该表单编码已存在。"}
	VersionNotFound    = Kind{"version_not_found", http.StatusNotFound, "未找到该版本。"}
	PreconditionNeeded = Kind{"precondition_required", http.StatusPreconditionRequired, "保存时须提供 If-Match 或 revision，以免覆盖他人的修改。"}

	// The person, applications (办件) and the 经办 system's webhooks.
	ProfileInvalid         = Kind{"profile_invalid", http.StatusUnprocessableEntity, "个人信息填写不正确，请检查后重新提交。"}
	FormValuesInvalid      = Kind{"form_values_invalid", http.StatusUnprocessableEntity, "申请表填写不完整或不正确，请检查后重新提交。"}
	ApplicationNotFound    = Kind{"application_not_found", http.StatusNotFound, "未找到该办件。"}
	SupplementNotRequested = Kind{"supplement_not_requested", http.StatusConflict, "该办件当前不需要补正材料。"}
	WebhookSignature       = Kind{"webhook_signature_invalid", http.StatusUnauthorized, "签名校验未通过。"}
	WebhookStale           = Kind{"webhook_timestamp_outside_window", http.StatusUnauthorized, "请求时间戳超出允许范围（前后5分钟）。"}
	WebhookInvalid         = Kind{"webhook_invalid", http.StatusBadRequest, "回调内容格式不正确。"}
	NotFollowing           = Kind{"not_following", http.StatusNotFound, "您没有关注该事项。"}

	// Import.
	ImportTooLarge = Kind{"import_too_large", http.StatusRequestEntityTooLarge, "导入文件展开后过大，未导入任何内容。"}

	// Notifications (notify).
	InvalidSubscription     = Kind{"invalid_subscription", http.StatusBadRequest, "推送订阅信息不正确，请重新开启通知。"}
	PushEndpointNotAllowed  = Kind{"push_endpoint_not_allowed", http.StatusBadRequest, "不支持该推送服务地址。"}
	NoticeNotFound          = Kind{"notice_not_found", http.StatusNotFound, "未找到该消息。"}
	PayloadTooLarge         = Kind{"payload_too_large", http.StatusRequestEntityTooLarge, "通知内容过长，请精简后再发送。"}
	CampaignNotFound        = Kind{"campaign_not_found", http.StatusNotFound, "未找到该提醒活动。"}
	CampaignInvalid         = Kind{"campaign_invalid", http.StatusBadRequest, "提醒活动设置不正确。"}
	CampaignState           = Kind{"campaign_state", http.StatusConflict, "提醒活动当前状态下不能进行此操作。"}
	InvalidUnsubscribeToken = Kind{"invalid_unsubscribe_token", http.StatusBadRequest, "退订链接无效或已过期。"}
	InvalidPreferences      = Kind{"invalid_preferences", http.StatusBadRequest, "通知设置不正确。"}
	PushUnavailable         = Kind{"push_unavailable", http.StatusServiceUnavailable, "消息推送暂不可用。"}
	// Voice (transcription, speech, voice settings).
	AudioEmpty           = Kind{"audio_empty", http.StatusBadRequest, "没有收到声音，请再说一遍。"}
	AudioTooLong         = Kind{"audio_too_long", http.StatusBadRequest, "录音太长了，请在60秒内说完。"}
	AudioTooLarge        = Kind{"audio_too_large", http.StatusRequestEntityTooLarge, "录音文件太大，请说短一点再试。"}
	AudioUnsupported     = Kind{"audio_unsupported", http.StatusBadRequest, "无法识别这段录音，请重新录一遍。"}
	VoiceUnavailable     = Kind{"voice_unavailable", http.StatusServiceUnavailable, "语音服务暂时不可用，请用文字输入。"}
	VoiceTextInvalid     = Kind{"voice_text_invalid", http.StatusBadRequest, "要朗读的文字不能为空，也不能超过500字。"}
	VoiceSettingsInvalid = Kind{"voice_settings_invalid", http.StatusBadRequest, "语音设置不正确。"}
)

// Chat (WebSocket) error frames (assistant/PROTOCOL.md). The chat also sends internal_error,
// rate_limited, unauthenticated and too_many_connections from above. Their Status is never sent
// (frames have no status); it is the nearest HTTP status, for documentation.
var (
	BadFrame        = Kind{"bad_frame", http.StatusBadRequest, "消息格式不正确。"}
	UnknownFrame    = Kind{"unknown_frame", http.StatusBadRequest, "不支持的消息类型。"}
	HelloRequired   = Kind{"hello_required", http.StatusBadRequest, "请先建立会话。"}
	AlreadyGreeted  = Kind{"already_greeted", http.StatusConflict, "会话已建立。"}
	SessionNotFound = Kind{"session_not_found", http.StatusNotFound, "原会话已失效，已为您新建会话。"}
	Busy            = Kind{"busy", http.StatusConflict, "上一个问题还在回答，请稍等。"}
	MessageEmpty    = Kind{"message_empty", http.StatusBadRequest, "请输入您要咨询的问题。"}
	Cancelled       = Kind{"cancelled", http.StatusConflict, "已停止回答。"}
	NothingToCancel = Kind{"nothing_to_cancel", http.StatusConflict, "当前没有正在回答的问题。"}
	// TurnInterrupted ends a turn whose server stopped before answering (another server of the
	// cluster ends it once its time is up); the message may be sent again.
	TurnInterrupted = Kind{"turn_interrupted", http.StatusServiceUnavailable, "刚才的回答中断了，请重新发送您的问题。"}
)

// ChatKinds lists the kinds the chat sends as error frames, for its documentation and tests.
var ChatKinds = []Kind{
	BadFrame, UnknownFrame, HelloRequired, AlreadyGreeted, Unauthenticated, SessionNotFound, RateLimited,
	TooManyConnections, Busy, MessageEmpty, Cancelled, NothingToCancel, TurnInterrupted, Internal,
	AudioEmpty, AudioTooLarge, AudioTooLong, AudioUnsupported, VoiceUnavailable,
}

// CloseCode is a WebSocket close code the chat sends (RFC 6455 leaves 4000–4999 to
// applications); the 1000–1011 codes it also sends are the protocol's own.
type CloseCode int

// The chat's close codes. Clients reconnect after every one except CloseUnauthenticated (log in
// first) and CloseReplaced (another window took the session over).
const (
	CloseIdle               CloseCode = 4000 // no message for the idle timeout
	CloseUnauthenticated    CloseCode = 4001 // the hello token was refused
	CloseSlowConsumer       CloseCode = 4002 // the client did not read its events in time
	CloseReplaced           CloseCode = 4003 // the session was opened on another connection
	CloseHelloTimeout       CloseCode = 4004 // no hello in time after connecting
	CloseTooManyConnections CloseCode = 4005 // the person already has the most connections allowed
)

// closeReasons are the short reasons sent with each close code (at most 123 bytes by RFC 6455).
var closeReasons = map[CloseCode]string{
	CloseIdle:               "idle",
	CloseUnauthenticated:    "unauthenticated",
	CloseSlowConsumer:       "too slow",
	CloseReplaced:           "session opened on another connection",
	CloseHelloTimeout:       "hello timeout",
	CloseTooManyConnections: "too many connections",
}

// Reason is the reason text sent with the close code.
func (c CloseCode) Reason() string { return closeReasons[c] }

// CloseCodes lists the chat's close codes, for documentation and tests.
var CloseCodes = []CloseCode{CloseIdle, CloseUnauthenticated, CloseSlowConsumer, CloseReplaced, CloseHelloTimeout, CloseTooManyConnections}

// Catalogue lists every kind, for documentation and tests.
var Catalogue = []Kind{
	Internal, InvalidParameter, InvalidBody, NotFound, MethodNotAllowed, BodyTooLarge, RateLimited, Unavailable,
	Unauthenticated, Forbidden, SelfReviewForbidden,
	GuideNotFound, GuideUnpublished, InvalidGuideCode, GuideInvalid, ImportInvalid, GuideExists, EditConflict,
	InvalidTransition, ReasonRequired, InvalidSchedule, FormInvalid, FormNotFound,
	QueryEmpty, QueryTooLong, InvalidCursor, SynonymInvalid,
	ChangeNoteRequired, FormExists, VersionNotFound, PreconditionNeeded,
	ImportTooLarge,
	InvalidSubscription, PushEndpointNotAllowed, NoticeNotFound, PayloadTooLarge, CampaignNotFound, CampaignInvalid,
	CampaignState, InvalidUnsubscribeToken, InvalidPreferences, PushUnavailable,
	ProfileInvalid, FormValuesInvalid, ApplicationNotFound, SupplementNotRequested, WebhookSignature, WebhookStale, WebhookInvalid, NotFollowing,
	AudioEmpty, AudioTooLong, AudioTooLarge, AudioUnsupported, VoiceUnavailable, VoiceTextInvalid, VoiceSettingsInvalid,
	HeaderTooLarge, RequestTimeout, BadRequest, TooManyConnections, WebSocketRequired,
	BadFrame, UnknownFrame, HelloRequired, AlreadyGreeted, SessionNotFound, Busy, MessageEmpty, Cancelled, NothingToCancel,
	TurnInterrupted,
}
