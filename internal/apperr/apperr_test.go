package apperr

import (
	"net/http"
	"testing"
)

func TestByStatus(t *testing.T) {
	kinds := map[int]Kind{http.StatusRequestEntityTooLarge: BodyTooLarge}
	if e := ByStatus(http.StatusRequestEntityTooLarge, kinds, BadRequest); e.Code != BodyTooLarge.Code || e.Status != 413 || e.Message != BodyTooLarge.Message {
		t.Fatalf("listed status: %+v", e)
	}
	if e := ByStatus(http.StatusTeapot, kinds, BadRequest); e.Code != BadRequest.Code || e.Status != http.StatusTeapot {
		t.Fatalf("other status: %+v", e)
	}
}
