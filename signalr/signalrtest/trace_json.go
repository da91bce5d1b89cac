package signalrtest

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendJSON appends the event as encoding/json would write it without HTML escaping, in
// the order of the struct's fields. It is written out because events are recorded on hot
// paths (every send, every invocation): it is three times as fast as reflection, and
// FuzzTraceEventJSON holds it to encoding/json's output.
func (e *traceEvent) appendJSON(dst []byte) []byte {
	return e.appendTail(appendIDs(e.appendHead(dst), e.ConnectionID, e.UserID))
}

// appendHead appends the fields before the connection's ids; appendIDs and appendTail
// continue. Message events of one send share head and tail (see tracer.emitMessages).
func (e *traceEvent) appendHead(dst []byte) []byte {
	dst = append(dst, `{"time":"`...)
	dst = e.Time.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	dst = traceField(dst, "kind", e.Kind, true)
	return traceField(dst, "hub", e.Hub, true)
}

func appendIDs(dst []byte, connectionID, userID string) []byte {
	dst = traceField(dst, "connectionId", connectionID, false)
	return traceField(dst, "userId", userID, false)
}

func (e *traceEvent) appendTail(dst []byte) []byte {
	dst = traceField(dst, "group", e.Group, false)
	dst = traceField(dst, "transport", e.Transport, false)
	dst = traceField(dst, "protocol", e.Protocol, false)
	if e.Stateful {
		dst = append(dst, `,"stateful":true`...)
	}
	dst = traceField(dst, "reason", e.Reason, false)
	dst = traceField(dst, "method", e.Method, false)
	dst = traceField(dst, "path", e.Path, false)
	dst = traceField(dst, "query", e.Query, false)
	if e.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(e.Status), 10)
	}
	dst = traceField(dst, "errorCode", e.ErrorCode, false)
	if e.Reached != nil {
		dst = append(dst, `,"reached":`...)
		dst = strconv.AppendInt(dst, int64(*e.Reached), 10)
	}
	dst = traceField(dst, "scope", e.Scope, false)
	if e.DurationMs != 0 {
		dst = append(dst, `,"durationMs":`...)
		dst = traceFloat(dst, e.DurationMs)
	}
	dst = traceField(dst, "target", e.Target, false)
	dst = traceField(dst, "invocationId", e.InvocationID, false)
	dst = traceField(dst, "arguments", e.Arguments, false)
	dst = traceField(dst, "category", e.Category, false)
	dst = traceField(dst, "event", e.Event, false)
	dst = traceField(dst, "url", e.URL, false)
	dst = traceField(dst, "completion", e.Completion, false)
	dst = traceField(dst, "result", e.Result, false)
	dst = traceField(dst, "error", e.Error, false)
	dst = traceField(dst, "audience", e.Audience, false)
	dst = traceField(dst, "expectedAudience", e.ExpectedAudience, false)
	if e.Missed != 0 {
		dst = append(dst, `,"missed":`...)
		dst = strconv.AppendUint(dst, e.Missed, 10)
	}
	return append(dst, '}')
}

// traceField appends ,"name":"value"; an empty value is left out unless always is set.
func traceField(dst []byte, name, value string, always bool) []byte {
	if value == "" && !always {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return traceString(dst, value)
}

const traceHex = "0123456789abcdef"

// traceString appends s as a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD, and U+2028 and U+2029 escaped so the text is
// also valid JavaScript.
func traceString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, `\b`...)
			case '\f':
				dst = append(dst, `\f`...)
			case '\n':
				dst = append(dst, `\n`...)
			case '\r':
				dst = append(dst, `\r`...)
			case '\t':
				dst = append(dst, `\t`...)
			default:
				dst = append(dst, '\\', 'u', '0', '0', traceHex[c>>4], traceHex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', traceHex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// traceFloat appends f as encoding/json does: the shortest decimal, in exponent form only
// for very small or very large magnitudes, with a two-digit exponent at least.
func traceFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, '0') // unreachable: durations are finite
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as in encoding/json.
		if n := len(dst) - start; n >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
			dst[len(dst)-2] = dst[len(dst)-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}
