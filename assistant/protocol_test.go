package assistant

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want error
		typ  string
	}{
		{`{"type":"hello","token":"t","session_id":"s_1","last_seq":3,"elder_mode":true,"locale":"zh-CN"}`, nil, "hello"},
		{`{"type":"message","id":"a","text":"你好"}`, nil, "message"},
		{`  {"type":"ping"}  `, nil, "ping"},
		{`{"type":"cancel","id":"a"}`, nil, "cancel"},
		{`{"type":"fly"}`, errUnknownFrame, "fly"},
		{`{}`, errBadFrame, ""},
		{`null`, errBadFrame, ""},
		{`{"type":"message"} {"type":"ping"}`, errBadFrame, ""},
		{`{"type":"hello","last_seq":-1}`, errBadFrame, ""},
		{`{"type":"hello","last_seq":"1"}`, errBadFrame, ""},
		{"{\"type\":\"message\",\"text\":\"\xff\"}", errBadFrame, ""},
		{``, errBadFrame, ""},
	} {
		f, err := DecodeFrame([]byte(tc.in))
		if !errors.Is(err, tc.want) || err == nil && tc.want != nil || f.Type != tc.typ {
			t.Errorf("DecodeFrame(%q) = %+v, %v; want type %q err %v", tc.in, f, err, tc.typ, tc.want)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{`{"type":"hello","token":"t","session_id":"s","last_seq":1}`, `{"type":"message","id":"1","text":"社保卡丢了"}`,
		`{"type":"ping"}`, `not json`, `{"type":1}`, `[]`, `{"type":"message","text":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err != nil {
			if !errors.Is(err, errBadFrame) && !errors.Is(err, errUnknownFrame) {
				t.Fatalf("unexpected error kind %v", err)
			}
			return
		}
		if len(fr.ID) > maxIDLen || len(fr.SessionID) > maxIDLen || len(fr.Token) > maxTokenLen || fr.LastSeq < 0 {
			t.Fatalf("limits not enforced: %+v", fr)
		}
		// A decoded frame round-trips.
		b, err := json.Marshal(fr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeFrame(b)
		if err != nil || again != fr {
			t.Fatalf("round trip %+v → %s → %+v, %v", fr, b, again, err)
		}
	})
}
