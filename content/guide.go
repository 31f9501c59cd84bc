package content

import (
	"time"
)

// Category is the insurance line (险种) a guide belongs to. Values are stable English keys used in
// URLs; CategoryName gives the Chinese label.
type Category string

// The categories a guide can have.
const (
	CategoryPension      Category = "pension"      // 养老
	CategoryMedical      Category = "medical"      // 医疗
	CategoryInjury       Category = "injury"       // 工伤
	CategoryUnemployment Category = "unemployment" // 失业
	CategoryMaternity    Category = "maternity"    // 生育
	CategoryCard         Category = "card"         // 社保卡
	CategoryGeneral      Category = "general"      // 综合
)

// Categories lists every category in display order.
var Categories = []Category{CategoryPension, CategoryMedical, CategoryInjury, CategoryUnemployment,
	CategoryMaternity, CategoryCard, CategoryGeneral}

var categoryNames = map[Category]string{
	CategoryPension: "养老", CategoryMedical: "医疗", CategoryInjury: "工伤", CategoryUnemployment: "失业",
	CategoryMaternity: "生育", CategoryCard: "社保卡", CategoryGeneral: "综合",
}

// Name returns the Chinese label of the category, or "" for an unknown one.
func (c Category) Name() string { return categoryNames[c] }

// Valid reports whether c is a known category.
func (c Category) Valid() bool { _, ok := categoryNames[c]; return ok }

// Audience is who a guide serves (服务对象).
type Audience string

// The audiences a guide can serve.
const (
	AudiencePerson   Audience = "person"   // 个人
	AudienceEmployer Audience = "employer" // 单位
)

// Name returns the Chinese label of the audience.
func (a Audience) Name() string {
	switch a {
	case AudiencePerson:
		return "个人"
	case AudienceEmployer:
		return "单位"
	}
	return ""
}

// ChannelType is a way to apply (办理方式).
type ChannelType string

// The ways to apply.
const (
	ChannelWindow ChannelType = "window" // 窗口
	ChannelOnline ChannelType = "online" // 网上
	ChannelMobile ChannelType = "mobile" // 掌上
	ChannelKiosk  ChannelType = "kiosk"  // 自助终端
	ChannelMail   ChannelType = "mail"   // 邮寄
)

var channelNames = map[ChannelType]string{ChannelWindow: "窗口办理", ChannelOnline: "网上办理",
	ChannelMobile: "掌上办理", ChannelKiosk: "自助终端", ChannelMail: "邮寄办理"}

// Name returns the Chinese label of the channel type.
func (c ChannelType) Name() string { return channelNames[c] }

// Status is where a guide version stands in the editorial workflow.
type Status string

// Workflow states of a guide version.
const (
	StatusDraft       Status = "draft"
	StatusSubmitted   Status = "submitted"
	StatusApproved    Status = "approved"
	StatusScheduled   Status = "scheduled"
	StatusPublished   Status = "published"
	StatusSuperseded  Status = "superseded"
	StatusUnpublished Status = "unpublished"
	StatusArchived    Status = "archived"
)

// Guide is one service guide (办事指南) with the standard elements of 人社厅发〔2022〕59号.
// The same struct is the seed/import file format (YAML or JSON) and the API's guide body.
type Guide struct {
	Code       string     `json:"code" yaml:"code"`                             // 事项编码, stable
	Name       string     `json:"name" yaml:"name"`                             // 事项名称
	Aliases    []string   `json:"aliases" yaml:"aliases"`                       // 别名/俗称: the words people use
	Category   Category   `json:"category" yaml:"category"`                     // 险种
	Audience   []Audience `json:"audience" yaml:"audience"`                     // 服务对象
	Region     string     `json:"region" yaml:"region"`                         // 地区, e.g. 陕西省
	ItemType   string     `json:"item_type" yaml:"item_type"`                   // 事项类型, e.g. 公共服务, 行政给付
	Summary    string     `json:"summary" yaml:"summary"`                       // 简述
	Basis      []Basis    `json:"basis" yaml:"basis"`                           // 设定依据
	Conditions []string   `json:"conditions" yaml:"conditions"`                 // 受理条件
	Materials  []Material `json:"materials" yaml:"materials"`                   // 申请材料
	Steps      []Step     `json:"steps" yaml:"steps"`                           // 办理流程
	Channels   []Channel  `json:"channels" yaml:"channels"`                     // 办理方式
	Locations  []Location `json:"locations" yaml:"locations"`                   // 办理地点与时间
	TimeLimit  TimeLimit  `json:"time_limit" yaml:"time_limit"`                 // 法定时限 and 承诺时限
	Visits     int        `json:"visits" yaml:"visits"`                         // 到现场次数 (0 = 零跑动)
	Fee        Fee        `json:"fee" yaml:"fee"`                               // 收费
	Delivery   string     `json:"delivery" yaml:"delivery"`                     // 结果送达
	Phone      string     `json:"phone" yaml:"phone"`                           // 咨询电话
	Complaint  string     `json:"complaint" yaml:"complaint"`                   // 监督投诉渠道
	FAQ        []QA       `json:"faq" yaml:"faq"`                               // 常见问题
	Related    []string   `json:"related,omitempty" yaml:"related,omitempty"`   // related guide codes
	Variants   []Variant  `json:"variants,omitempty" yaml:"variants,omitempty"` // city variants
	Verify     []string   `json:"verify,omitempty" yaml:"verify,omitempty"`     // 待核实 notes for editors
	Links      []Link     `json:"links,omitempty" yaml:"links,omitempty"`       // in-app links, e.g. a calculator

	// Metadata, set by the store; ignored on import except ChangeNote.
	Status          Status    `json:"status,omitempty" yaml:"status,omitempty"`
	Version         int       `json:"version,omitempty" yaml:"version,omitempty"`
	UpdatedAt       time.Time `json:"updated_at,omitzero" yaml:"updated_at,omitempty"`
	PublicUpdatedAt time.Time `json:"public_updated_at,omitzero" yaml:"public_updated_at,omitempty"`
	ChangeNote      string    `json:"change_note,omitempty" yaml:"change_note,omitempty"`
}

// Basis is one legal basis (设定依据): a law or document and the article.
type Basis struct {
	Law     string `json:"law" yaml:"law"`                             // e.g. 《中华人民共和国社会保险法》
	Article string `json:"article,omitempty" yaml:"article,omitempty"` // e.g. 第十六条
	Text    string `json:"text,omitempty" yaml:"text,omitempty"`       // short paraphrase of what it says
}

// Material is one application material (申请材料).
type Material struct {
	Name       string `json:"name" yaml:"name"`
	Form       string `json:"form" yaml:"form"`                                   // 原件 / 复印件 / 原件及复印件 / 电子证照
	Copies     int    `json:"copies" yaml:"copies"`                               // 份数
	Source     string `json:"source" yaml:"source"`                               // 来源, e.g. 申请人自备, 公安机关
	Waived     bool   `json:"waived,omitempty" yaml:"waived,omitempty"`           // 免提交 because data is shared
	WaivedNote string `json:"waived_note,omitempty" yaml:"waived_note,omitempty"` // why it is waived
	Note       string `json:"note,omitempty" yaml:"note,omitempty"`
}

// Step is one step of the process (办理流程).
type Step struct {
	Title  string `json:"title" yaml:"title"`
	Detail string `json:"detail" yaml:"detail"`
}

// Channel is one way to apply (办理方式) and where to do it.
type Channel struct {
	Type  ChannelType `json:"type" yaml:"type"`
	Where string      `json:"where" yaml:"where"` // e.g. 陕西社会保险App→资格认证
}

// Location is one place and its opening hours (办理地点与时间).
type Location struct {
	Name    string `json:"name" yaml:"name"`
	Address string `json:"address,omitempty" yaml:"address,omitempty"`
	Hours   string `json:"hours" yaml:"hours"`
}

// TimeLimit holds the statutory (法定) and promised (承诺) time limits, in words.
type TimeLimit struct {
	Statutory string `json:"statutory" yaml:"statutory"` // e.g. 20个工作日
	Promised  string `json:"promised" yaml:"promised"`   // e.g. 即时办结
}

// Fee is the charge (收费) and its basis; most items are free.
type Fee struct {
	Charged  bool   `json:"charged" yaml:"charged"`
	Standard string `json:"standard" yaml:"standard"` // e.g. 不收费
	Basis    string `json:"basis,omitempty" yaml:"basis,omitempty"`
}

// QA is one frequently asked question (常见问题).
type QA struct {
	Q string `json:"q" yaml:"q"`
	A string `json:"a" yaml:"a"`
}

// Link is an in-app link from a guide, e.g. to the retirement-age calculator.
type Link struct {
	Title string `json:"title" yaml:"title"`
	URL   string `json:"url" yaml:"url"`
}

// Variant overrides some elements of a guide for one city (地市). Empty fields keep the
// province-level value.
type Variant struct {
	City      string     `json:"city" yaml:"city"` // e.g. 西安市
	Locations []Location `json:"locations,omitempty" yaml:"locations,omitempty"`
	Phone     string     `json:"phone,omitempty" yaml:"phone,omitempty"`
	Channels  []Channel  `json:"channels,omitempty" yaml:"channels,omitempty"`
	Note      string     `json:"note,omitempty" yaml:"note,omitempty"`
}

// SeedFile is the layout of one seed or import file: a list of guides.
type SeedFile struct {
	Guides []Guide `json:"guides" yaml:"guides"`
	Forms  []Form  `json:"forms,omitempty" yaml:"forms,omitempty"` // application forms of the guides
}

// ForCity returns the guide with the city's variant applied (its non-empty elements replace the
// province-level ones), and whether the guide has a variant for that city.
func (g Guide) ForCity(city string) (Guide, bool) {
	for _, v := range g.Variants {
		if v.City != city {
			continue
		}
		if len(v.Locations) > 0 {
			g.Locations = v.Locations
		}
		if v.Phone != "" {
			g.Phone = v.Phone
		}
		if len(v.Channels) > 0 {
			g.Channels = v.Channels
		}
		g.Region = city
		return g, true
	}
	return g, false
}
