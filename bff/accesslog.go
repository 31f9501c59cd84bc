package bff

import (
	"io"
	"strconv"
	"time"

	"shebao/internal/jsonstr"
)

// accessLine appends one access-log record as a JSON line in the shape slog's JSON handler
// writes, without reflection: at tens of thousands of requests a second, slog's generic
// formatting costs more than serving a cached guide.
func accessLine(b []byte, at time.Time, requestID, method, route, path string, status int, dur time.Duration, ip string, bytes int) []byte {
	b = append(b, `{"time":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = jsonstr.Append(b, requestID)
	b = append(b, `,"method":`...)
	b = jsonstr.Append(b, method)
	b = append(b, `,"route":`...)
	b = jsonstr.Append(b, route)
	b = append(b, `,"path":`...)
	b = jsonstr.Append(b, path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(dur.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"ip":`...)
	b = jsonstr.Append(b, ip)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(bytes), 10)
	return append(b, "}\n"...)
}

// accessWriter is where access lines go; the writer must be safe for concurrent use and should
// buffer (internal/logsink).
type accessWriter = io.Writer
