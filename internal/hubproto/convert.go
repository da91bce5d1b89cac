package hubproto

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
)

// maxDepth bounds nesting when converting MessagePack to JSON, matching the
// limit encoding/json applies in the other direction.
const maxDepth = 10000

// msgpackToJSON appends the JSON form of the single MessagePack object raw.
func msgpackToJSON(dst, raw []byte) ([]byte, error) {
	r := mpReader{b: raw}
	dst, err := mpValueToJSON(dst, &r, 0)
	if err != nil {
		return dst, err
	}
	if !r.done() {
		return dst, fmt.Errorf("%d bytes after the MessagePack value", len(raw)-r.i)
	}
	return dst, nil
}

// msgpackJSONLen returns the length of the JSON form of the single MessagePack object raw, so
// a conversion allocates once: appending to a growing buffer allocates several times the
// result, and a MessagePack nil (one byte) already becomes five bytes of JSON ("null,").
func msgpackJSONLen(raw []byte) (int, error) {
	r := mpReader{b: raw}
	return mpJSONLen(&r, 0)
}

// mpJSONLen mirrors mpValueToJSON, counting instead of writing. A wrong count would only cost
// a reallocation, never a wrong result; the tests hold the two to the same length.
func mpJSONLen(r *mpReader, depth int) (int, error) {
	if depth > maxDepth {
		return 0, errors.New("MessagePack value nested too deeply")
	}
	first, err := r.peek()
	if err != nil {
		return 0, err
	}
	k, n, ext, err := r.head()
	if err != nil {
		return 0, err
	}
	var num [48]byte
	switch k {
	case mpNil:
		return len(jsonNull), nil
	case mpBool:
		if n == 1 {
			return len("true"), nil
		}
		return len("false"), nil
	case mpInt:
		return len(strconv.AppendInt(num[:0], int64(n), 10)), nil
	case mpUint:
		return len(strconv.AppendUint(num[:0], n, 10)), nil
	case mpFloat:
		bits := 64
		if first == 0xca {
			bits = 32
		}
		return len(appendJSONFloat(num[:0], math.Float64frombits(n), bits)), nil
	case mpStr:
		p, err := r.need(int(min(n, math.MaxInt32)))
		if err != nil {
			return 0, err
		}
		return jsonwire.StringLen(string(p)), nil
	case mpBin:
		if _, err := r.need(int(min(n, math.MaxInt32))); err != nil {
			return 0, err
		}
		return 2 + base64.StdEncoding.EncodedLen(int(n)), nil
	case mpExt:
		p, err := r.need(int(min(n, math.MaxInt32)))
		if err != nil {
			return 0, err
		}
		if ext != -1 {
			return 0, fmt.Errorf("MessagePack extension type %d has no JSON form", ext)
		}
		t, err := decodeMPTimestamp(p)
		if err != nil {
			return 0, err
		}
		return 2 + len(t.UTC().AppendFormat(num[:0], time.RFC3339Nano)), nil
	case mpArray, mpMap:
		if n > uint64(len(r.b)-r.i) {
			return 0, errMPShort
		}
		total := 2 // [] or {}
		if n > 0 {
			total += int(n) - 1 // commas
		}
		for i := uint64(0); i < n; i++ {
			if k == mpMap {
				kk, kn, _, err := r.head()
				if err != nil {
					return 0, err
				}
				switch kk {
				case mpStr:
					p, err := r.need(int(min(kn, math.MaxInt32)))
					if err != nil {
						return 0, err
					}
					total += jsonwire.StringLen(string(p))
				case mpInt:
					total += 2 + len(strconv.AppendInt(num[:0], int64(kn), 10))
				case mpUint:
					total += 2 + len(strconv.AppendUint(num[:0], kn, 10))
				default:
					return 0, fmt.Errorf("MessagePack map key of type %s has no JSON form", kk)
				}
				total++ // ':'
			}
			m, err := mpJSONLen(r, depth+1)
			if err != nil {
				return 0, err
			}
			total += m
		}
		return total, nil
	}
	return 0, fmt.Errorf("invalid MessagePack type byte 0x%02x", first)
}

func mpValueToJSON(dst []byte, r *mpReader, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errors.New("MessagePack value nested too deeply")
	}
	first, err := r.peek()
	if err != nil {
		return dst, err
	}
	k, n, ext, err := r.head()
	if err != nil {
		return dst, err
	}
	switch k {
	case mpNil:
		return append(dst, jsonNull...), nil
	case mpBool:
		return strconv.AppendBool(dst, n == 1), nil
	case mpInt:
		return strconv.AppendInt(dst, int64(n), 10), nil
	case mpUint:
		return strconv.AppendUint(dst, n, 10), nil
	case mpFloat:
		f := math.Float64frombits(n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, fmt.Errorf("MessagePack float %v has no JSON form", f)
		}
		bits := 64
		if first == 0xca {
			bits = 32
		}
		return appendJSONFloat(dst, f, bits), nil
	case mpStr:
		p, err := r.need(int(min(n, math.MaxInt32)))
		if err != nil {
			return dst, err
		}
		return jsonwire.AppendString(dst, string(p)), nil
	case mpBin:
		p, err := r.need(int(min(n, math.MaxInt32)))
		if err != nil {
			return dst, err
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, p)
		return append(dst, '"'), nil
	case mpExt:
		p, err := r.need(int(min(n, math.MaxInt32)))
		if err != nil {
			return dst, err
		}
		if ext != -1 {
			return dst, fmt.Errorf("MessagePack extension type %d has no JSON form", ext)
		}
		t, err := decodeMPTimestamp(p)
		if err != nil {
			return dst, err
		}
		dst = append(dst, '"')
		dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"'), nil
	case mpArray:
		if n > uint64(len(r.b)-r.i) {
			return dst, errMPShort
		}
		dst = append(dst, '[')
		for i := uint64(0); i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = mpValueToJSON(dst, r, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case mpMap:
		if n > uint64(len(r.b)-r.i) {
			return dst, errMPShort
		}
		dst = append(dst, '{')
		for i := uint64(0); i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			kk, kn, _, err := r.head()
			if err != nil {
				return dst, err
			}
			switch kk {
			case mpStr:
				p, err := r.need(int(min(kn, math.MaxInt32)))
				if err != nil {
					return dst, err
				}
				dst = jsonwire.AppendString(dst, string(p))
			case mpInt:
				dst = append(dst, '"')
				dst = strconv.AppendInt(dst, int64(kn), 10)
				dst = append(dst, '"')
			case mpUint:
				dst = append(dst, '"')
				dst = strconv.AppendUint(dst, kn, 10)
				dst = append(dst, '"')
			default:
				return dst, fmt.Errorf("MessagePack map key of type %s has no JSON form", kk)
			}
			dst = append(dst, ':')
			if dst, err = mpValueToJSON(dst, r, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	return dst, fmt.Errorf("invalid MessagePack type byte 0x%02x", first)
}

// appendJSONFloat formats like encoding/json: shortest representation,
// exponent only for very large or small magnitudes.
func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

func decodeMPTimestamp(p []byte) (time.Time, error) {
	switch len(p) {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(p)), 0), nil
	case 8:
		v := binary.BigEndian.Uint64(p)
		return time.Unix(int64(v&0x3ffffffff), int64(v>>34)), nil
	case 12:
		return time.Unix(int64(binary.BigEndian.Uint64(p[4:])), int64(binary.BigEndian.Uint32(p))), nil
	}
	return time.Time{}, fmt.Errorf("MessagePack timestamp of %d bytes: want 4, 8 or 12", len(p))
}

// jsonToMsgpack appends the MessagePack form of the JSON value raw. Numbers
// follow @msgpack/msgpack: an integer (or an integral number within ±2^53)
// becomes a MessagePack integer, anything else a float64.
func jsonToMsgpack(dst, raw []byte) ([]byte, error) {
	if !json.Valid(raw) {
		return dst, errors.New("invalid JSON value")
	}
	s := jsonScanner{b: raw}
	dst, err := s.value(dst)
	if err != nil {
		return dst, err
	}
	s.ws()
	if s.i != len(s.b) {
		return dst, errors.New("data after the JSON value")
	}
	return dst, nil
}

// jsonScanner walks JSON that json.Valid accepted; its checks only keep
// it from panicking.
type jsonScanner struct {
	b       []byte
	i       int
	scratch []byte
	maxArgs int // decodeJSONEnvelopeLimited: the most arguments accepted; 0 means any number
}

var errBadJSON = errors.New("invalid JSON value")

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) value(dst []byte) ([]byte, error) {
	s.ws()
	if s.i >= len(s.b) {
		return dst, errBadJSON
	}
	switch c := s.b[s.i]; c {
	case 'n':
		s.i += 4
		return append(dst, 0xc0), nil
	case 't':
		s.i += 4
		return append(dst, 0xc3), nil
	case 'f':
		s.i += 5
		return append(dst, 0xc2), nil
	case '"':
		str, err := s.str()
		if err != nil {
			return dst, err
		}
		return appendMPString(dst, str), nil
	case '[', '{':
		// Write the elements after a 5-byte placeholder, then shrink the
		// header to its real size once the count is known.
		start := len(dst)
		dst = append(dst, 0, 0, 0, 0, 0)
		s.i++
		n := 0
		for {
			s.ws()
			if s.i >= len(s.b) {
				return dst, errBadJSON
			}
			if s.b[s.i] == ']' || s.b[s.i] == '}' {
				s.i++
				break
			}
			if s.b[s.i] == ',' {
				s.i++
				s.ws()
			}
			var err error
			if c == '{' {
				key, err := s.str()
				if err != nil {
					return dst, err
				}
				dst = appendMPString(dst, key)
				s.ws()
				if s.i >= len(s.b) || s.b[s.i] != ':' {
					return dst, errBadJSON
				}
				s.i++
			}
			if dst, err = s.value(dst); err != nil {
				return dst, err
			}
			n++
		}
		var hdr [5]byte
		var h []byte
		if c == '[' {
			h = appendMPArrayHeader(hdr[:0], n)
		} else {
			h = appendMPMapHeader(hdr[:0], n)
		}
		body := len(dst) - start - 5
		copy(dst[start+len(h):], dst[start+5:])
		copy(dst[start:], h)
		return dst[:start+len(h)+body], nil
	default:
		return s.number(dst)
	}
}

func (s *jsonScanner) number(dst []byte) ([]byte, error) {
	start := s.i
	isInt := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '.' || c == 'e' || c == 'E' {
			isInt = false
		} else if !(c == '-' || c == '+' || '0' <= c && c <= '9') {
			break
		}
		s.i++
	}
	lit := string(s.b[start:s.i])
	if isInt {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return appendMPInt(dst, n), nil
		}
		if n, err := strconv.ParseUint(lit, 10, 64); err == nil {
			return appendMPUint(dst, n), nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		// Out of float64 range: encoding/json rejects it too.
		return dst, fmt.Errorf("JSON number %.40s cannot be represented", lit)
	}
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return appendMPInt(dst, int64(f)), nil
	}
	return appendMPFloat64(dst, f), nil
}

// str reads a string literal at s.i and returns its unescaped value.
func (s *jsonScanner) str() (string, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", errBadJSON
	}
	s.i++
	start := s.i
	// Fast path: no escapes.
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			str := validUTF8(s.b[start:s.i])
			s.i++
			return str, nil
		}
		if c == '\\' {
			break
		}
		s.i++
	}
	out := append(s.scratch[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			s.scratch = out
			return validUTF8(out), nil
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return "", errBadJSON
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return "", errBadJSON
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					var ok2 bool
					if r2, ok2 = s.hex4(); !ok2 {
						s.i = save
						r2 = -1
					}
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
				} else {
					if r2 >= 0 {
						s.i -= 6 // not a pair: reread the second escape on its own
					}
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errBadJSON
		}
	}
	return "", errBadJSON
}

func (s *jsonScanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// validUTF8 returns b as a string with each invalid byte replaced by U+FFFD,
// as encoding/json decodes strings.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return string(out)
}
