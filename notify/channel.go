package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"shebao/internal/jsonstr"
)

// Channel is one way of reaching a person's device: Web Push today; SMS for critical messages.
// Vendor push services (Huawei HMS Push, Xiaomi MiPush, OPPO/vivo push) would be further
// Channels, addressed by a device token the app registers like a Web Push subscription.
type Channel interface {
	// Name is the channel's name in the delivery log ("webpush", "sms").
	Name() string
	// Send delivers one encrypted-or-plain payload to one address and reports what the far end
	// answered; it never retries by itself.
	Send(ctx context.Context, a Address, p Payload) Outcome
}

// Address is where a Channel sends: a push subscription with the VAPID key it was made with, or
// a phone number.
type Address struct {
	Subscription Subscription
	VAPIDPublic  string
	VAPIDPrivate string
	Phone        string
}

// Payload is what a device receives (JSON, well under 4 KiB), with the push headers per kind.
type Payload struct {
	Title       string `json:"title"`
	Body        string `json:"body"`
	URL         string `json:"url"`
	Tag         string `json:"tag"` // idempotency key: the service worker shows one notification per tag
	Urgency     string `json:"urgency"`
	Unsubscribe string `json:"unsubscribe"`

	TTL   time.Duration `json:"-"`
	Topic string        `json:"-"` // RFC 8030 Topic: replaces an undelivered message with the same topic
}

// appendJSON appends p as JSON, the fields json.Marshal writes (its struct tags), without
// reflection: a push is built tens of thousands of times a second in a campaign.
func (p Payload) appendJSON(b []byte) []byte {
	b = append(b, `{"title":`...)
	b = jsonstr.Append(b, p.Title)
	b = append(b, `,"body":`...)
	b = jsonstr.Append(b, p.Body)
	b = append(b, `,"url":`...)
	b = jsonstr.Append(b, p.URL)
	b = append(b, `,"tag":`...)
	b = jsonstr.Append(b, p.Tag)
	b = append(b, `,"urgency":`...)
	b = jsonstr.Append(b, p.Urgency)
	b = append(b, `,"unsubscribe":`...)
	b = jsonstr.Append(b, p.Unsubscribe)
	return append(b, '}')
}

// Outcome is the far end's answer: an HTTP status (0 = no answer: network error), a wait asked
// for with Retry-After, and the error.
type Outcome struct {
	Status     int
	RetryAfter time.Duration
	Err        error
}

// MaxPayload is the largest payload that fits one aes128gcm record of 4096 bytes (RFC 8291:
// 4096 − 16 tag − 86 header − 1 delimiter).
const MaxPayload = 4096 - 16 - 86 - 1

// post does req with c (nil: a client with a 10 s timeout) and reads the far end's answer:
// its status, a Retry-After, and an error for anything but 2xx, naming who answered.
func post(c *http.Client, req *http.Request, who string) Outcome {
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return Outcome{Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBody))
	return answered(who, resp.StatusCode, resp.Status, resp.Header.Get("Retry-After"))
}

// statusLine is the status line of an answer with status by its code ("429 Too Many Requests"),
// for the error of one that is not 2xx (answered); "" for a 2xx answer, which needs none.
func statusLine(status int) string {
	if status < 300 {
		return ""
	}
	return strconv.Itoa(status) + " " + http.StatusText(status)
}

// answered is the outcome of an answer with status (its status line, e.g. "429 Too Many
// Requests", for the error) and Retry-After header: an error for anything but 2xx, naming who
// answered.
func answered(who string, status int, statusLine, retryAfter string) Outcome {
	o := Outcome{Status: status}
	if retryAfter != "" {
		o.RetryAfter = parseRetryAfter(retryAfter, time.Now())
	}
	if status >= 300 {
		o.Err = fmt.Errorf("%s answered %s", who, statusLine)
	}
	return o
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// SMSGateway sends text messages through a generic HTTP gateway: a JSON POST of the template
// id, the phone number and the template's parameters, signed with HMAC-SHA256 over the body in
// the X-Signature header (hex). Most Chinese SMS vendors (Aliyun, Tencent Cloud) can be fronted
// this way; the template text itself is registered with the vendor.
type SMSGateway struct {
	URL        string
	TemplateID string
	Key        []byte
	Client     *http.Client
}

// Name implements Channel.
func (g *SMSGateway) Name() string { return "sms" }

// Send implements Channel.
func (g *SMSGateway) Send(ctx context.Context, a Address, p Payload) Outcome {
	body, _ := json.Marshal(map[string]any{
		"template_id": g.TemplateID,
		"phone":       a.Phone,
		"params":      map[string]string{"title": p.Title, "body": p.Body},
		"request_id":  p.Tag, // the gateway may deduplicate on it
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return Outcome{Err: err}
	}
	m := hmac.New(sha256.New, g.Key)
	m.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
	return post(g.Client, req, "sms gateway")
}
