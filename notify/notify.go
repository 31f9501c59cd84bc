// Package notify tells people what concerns them — their application's progress, reminders,
// changes to the guides they follow — exactly once, at sensible hours, and only about what they
// chose. Every message lands in the person's inbox (消息中心) first; then a delivery job in the
// durable queue (internal/queue) tries the channels: Web Push to each of the person's
// subscriptions, or SMS for a critical message to a person with no subscription.
//
// Sources: application events (a log consumer of event.ApplicationChanged), guide-change alerts
// (event.GuidePublished marked major, to the guide's followers) and reminder campaigns over a
// segment of people. Interfaces the applications feature provides are small and defined here,
// where they are used: Followers, Segments and Phones.
package notify

import (
	"context"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// Kind is the topic a person turns on or off in their preferences.
type Kind string

// The kinds of notification.
const (
	KindProgress      Kind = "progress"      // 办件进度
	KindBenefit       Kind = "benefit"       // 待遇发放
	KindCertification Kind = "certification" // 资格认证提醒
	KindPayment       Kind = "payment"       // 缴费提醒
	KindGuide         Kind = "guide"         // 指南更新
	KindRetirement    Kind = "retirement"    // 退休提醒
)

// kindSpec is how a kind is sent: its name for the person, how long the push service keeps an
// undelivered message, and how urgently it wakes the device.
type kindSpec struct {
	Name    string
	TTL     time.Duration
	Urgency webpush.Urgency
}

var kinds = map[Kind]kindSpec{
	KindProgress:      {"办件进度", 3 * 24 * time.Hour, webpush.UrgencyNormal},
	KindBenefit:       {"待遇发放", 3 * 24 * time.Hour, webpush.UrgencyNormal},
	KindCertification: {"资格认证提醒", 7 * 24 * time.Hour, webpush.UrgencyNormal},
	KindPayment:       {"缴费提醒", 7 * 24 * time.Hour, webpush.UrgencyLow},
	KindGuide:         {"指南更新", 2 * 24 * time.Hour, webpush.UrgencyLow},
	KindRetirement:    {"退休提醒", 7 * 24 * time.Hour, webpush.UrgencyLow},
}

// Kinds lists every kind in display order.
func Kinds() []Kind {
	return []Kind{KindProgress, KindBenefit, KindCertification, KindPayment, KindGuide, KindRetirement}
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kinds[k]; return ok }

// Name is the kind's name for the person (办件进度 …).
func (k Kind) Name() string { return kinds[k].Name }

// Message is one notification to one person, as a source produces it.
type Message struct {
	// Key is the idempotency key (application id + step, campaign id + person …): a message
	// with a key that exists is not added again. It goes out as the notification's tag.
	Key    string
	Person string // identity subject
	Kind   Kind
	Title  string // Chinese, short
	Body   string // Chinese
	Link   string // deep link into the app, e.g. /applications/A-1
	// Collapse is the push Topic's source: a newer message with the same Collapse replaces an
	// undelivered older one at the push service (one application's steps); empty = Key.
	Collapse string
	// Urgent messages are not held through quiet hours.
	Urgent bool
	// Critical messages go by SMS to a person with no push subscription (资格认证 due within 7 days).
	Critical   bool
	CampaignID int64
	// NotBefore holds the delivery until then (a campaign's send window); zero = now.
	NotBefore time.Time
}

// Notice is a message in a person's inbox.
type Notice struct {
	ID        int64      `json:"id"`
	Kind      Kind       `json:"kind"`
	KindName  string     `json:"kind_name"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link,omitempty"`
	Key       string     `json:"tag"`
	Urgent    bool       `json:"urgent"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// Followers tells who follows a guide (the applications feature keeps the follows).
type Followers interface {
	// Followers returns the identity subjects following the guide with code.
	Followers(ctx context.Context, guideCode string) ([]string, error)
}

// Phones gives a person's mobile number for the SMS channel (the person's profile).
type Phones interface {
	// Phone returns the person's mobile number, or "" when none is known.
	Phone(ctx context.Context, person string) (string, error)
}
