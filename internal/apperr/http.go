package apperr

import (
	"encoding/json"
	"net/http"
)

// RequestIDHeader carries the request id: accepted from the client when plain, else generated
// by the edge, and echoed on every response.
const RequestIDHeader = "X-Request-ID"

// Body is the JSON error body of every HTTP answer that is not a success, on every path the
// edge serves (Fiber's routes and the chat's net/http side alike).
type Body struct {
	Error Detail `json:"error"`
}

// Detail carries a stable machine code, a Chinese message for the user and the request id.
type Detail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	Details   any    `json:"details,omitempty"`
}

// BodyOf is e's error body for the request with id requestID.
func BodyOf(e *Error, requestID string) Body {
	return Body{Error: Detail{Code: e.Code, Message: e.Message, RequestID: requestID, Details: e.Details}}
}

// WriteHTTP answers a net/http request with e. The request id is the one the edge already put
// on the response's X-Request-ID header, so handlers behind the edge need not carry it.
func WriteHTTP(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(BodyOf(e, h.Get(RequestIDHeader)))
}
