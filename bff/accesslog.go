package bff

import (
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// accessLine appends one access-log record as a JSON line in the shape slog's JSON handler
// writes, without reflection: at tens of thousands of requests a second, slog's generic
// formatting costs more than serving a cached guide.
func accessLine(b []byte, at time.Time, requestID, method, route, path string, status int, dur time.Duration, ip string, bytes int) []byte {
	b = append(b, `{"time":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = appendJSONString(b, requestID)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, route)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(dur.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"ip":`...)
	b = appendJSONString(b, ip)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(bytes), 10)
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string, escaping quotes, backslashes, control
// characters and invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// accessWriter is where access lines go; the writer must be safe for concurrent use and should
// buffer (internal/logsink).
type accessWriter = io.Writer
