package application

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Upstream is the link to the province's 经办 (case-handling) system. Both calls are
// idempotent on the far side: a submission is keyed by the application id, a supplement by the
// application id and its step, so a retried call is never doubled.
type Upstream interface {
	Submit(ctx context.Context, o Outgoing) error
	Supplement(ctx context.Context, applicationID string, seq int, note string) error
}

// Outgoing is a submission as the 经办 system receives it.
type Outgoing struct {
	ApplicationID string            `json:"application_id"`
	FormCode      string            `json:"form_code"`
	FormVersion   int               `json:"form_version"`
	GuideCode     string            `json:"guide_code"`
	Values        map[string]string `json:"values"`
	Applicant     Applicant         `json:"applicant"`
}

// Applicant is the person a submission is for, as the 经办 system needs them.
type Applicant struct {
	Subject  string `json:"subject"`
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
	Phone    string `json:"phone,omitempty"`
}

// The headers of signed requests, both ways (our calls to the 经办 system and its webhooks).
const (
	HeaderTimestamp   = "X-Shebao-Timestamp"   // Unix seconds
	HeaderSignature   = "X-Shebao-Signature"   // v1=hex(HMAC-SHA256(secret, timestamp + "." + body))
	HeaderIdempotency = "Idempotency-Key"      // our calls: the application id (and step)
	ReplayWindow      = 5 * time.Minute        // a signed request older or newer than this is refused
	signaturePrefix   = "v1="                  //
	maxUpstreamBody   = 1 << 20                // a larger answer from the 经办 system is cut
	defaultAttempts   = 3                      // tries of one call before the queue takes over
	retryPause        = 200 * time.Millisecond // between those tries, doubled each time
)

// Sign returns the signature header value of body sent at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signed request: the signature over timestamp and body (webhook_signature_invalid)
// and the timestamp within ReplayWindow of now (webhook_timestamp_outside_window).
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return apperrSignature("missing or malformed " + HeaderTimestamp)
	}
	want := Sign(secret, time.Unix(sec, 0), body)
	if !hmac.Equal([]byte(want), []byte(strings.TrimSpace(signature))) {
		return apperrSignature("signature mismatch")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
		return apperrStale()
	}
	return nil
}

// HTTPClient is the Upstream of a real 经办 system: JSON over HTTP(S), every request signed
// like the webhooks, an idempotency key per call, a timeout per try, and a few quick retries
// before the failure goes back to the queue (which retries with backoff for days).
type HTTPClient struct {
	BaseURL  string
	Secret   []byte
	Client   *http.Client // with its Timeout; nil = 5 s
	Attempts int          // tries per call; 0 = 3
	Now      func() time.Time
}

// Submit posts a submission to {base}/applications.
func (c *HTTPClient) Submit(ctx context.Context, o Outgoing) error {
	body, _ := json.Marshal(o)
	return c.post(ctx, "/applications", o.ApplicationID, body)
}

// Supplement posts a supplement to {base}/applications/{id}/supplements.
func (c *HTTPClient) Supplement(ctx context.Context, id string, seq int, note string) error {
	body, _ := json.Marshal(map[string]any{"application_id": id, "seq": seq, "note": note})
	return c.post(ctx, "/applications/"+id+"/supplements", fmt.Sprintf("%s:%d", id, seq), body)
}

// StatusError is a non-2xx answer of the 经办 system.
type StatusError struct{ Status int }

func (e *StatusError) Error() string { return fmt.Sprintf("upstream answered %d", e.Status) }

func (c *HTTPClient) post(ctx context.Context, path, key string, body []byte) error {
	hc := c.Client
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	n := c.Attempts
	if n <= 0 {
		n = defaultAttempts
	}
	pause := retryPause
	var err error
	for i := 0; i < n; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
			pause *= 2
		}
		if err = c.try(ctx, hc, path, key, body, now()); err == nil {
			return nil
		}
		var se *StatusError
		if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != 408 && se.Status != 429 {
			return err // the request itself is wrong; retrying it will not help
		}
	}
	return err
}

func (c *HTTPClient) try(ctx context.Context, hc *http.Client, path, key string, body []byte, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotency, key)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(c.Secret, now, body))
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxUpstreamBody))
	if resp.StatusCode/100 != 2 {
		return &StatusError{Status: resp.StatusCode}
	}
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
