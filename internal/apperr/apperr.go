// Package apperr is the one application error type shared by every package: a stable machine
// code, an HTTP status and a message in Simplified Chinese for the user. The HTTP edge maps it to
// the JSON error body; any other error is logged and shown only as a generic message.
package apperr

import (
	"errors"
	"fmt"
)

// Error is an error a user may see.
type Error struct {
	Code    string // stable snake_case code, listed in catalogue.go
	Status  int    // HTTP status
	Message string // Simplified Chinese, for the user
	Details any    // optional structured details (e.g. validation problems), rendered as JSON
	Err     error  // optional cause, logged but never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a specific message (k's message if msg is empty).
func New(k Kind, msg string) *Error {
	if msg == "" {
		msg = k.Message
	}
	return &Error{Code: k.Code, Status: k.Status, Message: msg}
}

// ByStatus is the error for a request a lower layer (an HTTP server, a WebSocket upgrader)
// refused with status: of the kind kinds gives for that status, else of kind def, answering
// status itself.
func ByStatus(status int, kinds map[int]Kind, def Kind) *Error {
	k, ok := kinds[status]
	if !ok {
		k = def
	}
	e := New(k, "")
	e.Status = status
	return e
}

// Newf is New with a formatted message.
func Newf(k Kind, format string, args ...any) *Error { return New(k, fmt.Sprintf(format, args...)) }

// Wrap returns an error of kind k carrying cause err (logged, not shown).
func Wrap(k Kind, msg string, err error) *Error {
	e := New(k, msg)
	e.Err = err
	return e
}

// WithDetails attaches structured details shown to the client.
func (e *Error) WithDetails(d any) *Error { e.Details = d; return e }

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries an application error of kind k.
func Is(err error, k Kind) bool {
	e, ok := As(err)
	return ok && e.Code == k.Code
}

// Kind is a catalogue entry: code, status and default message.
type Kind struct {
	Code    string
	Status  int
	Message string
}

// Is lets errors.Is(err, kind) work on wrapped application errors.
func (k Kind) Error() string { return k.Code }
