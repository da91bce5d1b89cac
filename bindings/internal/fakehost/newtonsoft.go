package fakehost

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The Functions host writes payloads with Newtonsoft.Json. These helpers reproduce its output
// byte for byte for the values the host sends: compact objects, escaping of control characters,
// quotes, backslashes and U+0085/U+2028/U+2029 only (no HTML escaping), and JToken.ToString()'s
// two-space indentation.

// appendNString appends s as Newtonsoft writes a JSON string.
func appendNString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u0085' || r == '\u2028' || r == '\u2029':
			b = append(b, `\u`...)
			b = append(b, strconv.FormatInt(int64(r)|0x10000, 16)[1:]...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// serialize is JsonConvert.SerializeObject(s) for a string: the host's second layer.
func serialize(s string) []byte { return appendNString(nil, s) }

// reencode rewrites a JSON value the way Newtonsoft writes the JToken it parses: compact (or
// indented by two spaces), member order kept, strings re-escaped, numbers as written.
func reencode(raw []byte, indent bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var b []byte
	var err error
	if b, err = reencodeValue(b, dec, indent, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after a JSON value")
	}
	return b, nil
}

func newline(b []byte, indent bool, depth int) []byte {
	if !indent {
		return b
	}
	b = append(b, '\n')
	return append(b, strings.Repeat("  ", depth)...)
}

func reencodeValue(b []byte, dec *json.Decoder, indent bool, depth int) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		closing := byte('}')
		if t == '[' {
			closing = ']'
		}
		b = append(b, byte(t))
		n := 0
		for dec.More() {
			if n > 0 {
				b = append(b, ',')
			}
			b = newline(b, indent, depth+1)
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				b = appendNString(b, k.(string))
				b = append(b, ':')
				if indent {
					b = append(b, ' ')
				}
			}
			if b, err = reencodeValue(b, dec, indent, depth+1); err != nil {
				return nil, err
			}
			n++
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		if n > 0 {
			b = newline(b, indent, depth)
		}
		return append(b, closing), nil
	case string:
		return appendNString(b, t), nil
	case json.Number:
		return append(b, formatNumber(string(t))...), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case nil:
		return append(b, "null"...), nil
	}
	return nil, errors.New("unexpected JSON token")
}

// formatNumber writes a JSON number as Newtonsoft writes the value it parsed: integers as
// written (long or BigInteger), anything with a fraction or exponent as a double in .NET's
// round-trip form ("R": shortest digits, scientific from 1E+15 and from 1E-05 down) with ".0" added
// when it would otherwise look like an integer.
func formatNumber(n string) string {
	if !strings.ContainsAny(n, ".eE") {
		return n
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return n // out of range: left as written
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	var out string
	if x >= 15 || x < -4 {
		sign := "+"
		if x < 0 {
			sign, x = "-", -x
		}
		digits := strconv.Itoa(x)
		if len(digits) < 2 {
			digits = "0" + digits
		}
		out = mant + "E" + sign + digits
	} else {
		out = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if !strings.ContainsAny(out, ".E") {
		out += ".0"
	}
	return out
}

// formatDateTime is Newtonsoft's ISO format for a UTC DateTime: seven fraction digits with
// trailing zeros dropped, and Z.
func formatDateTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	frac := t.Nanosecond() / 100
	if frac != 0 {
		f := strconv.Itoa(frac + 10000000)[1:]
		s += "." + strings.TrimRight(f, "0")
	}
	return s + "Z"
}

// object builds a JSON object with unique keys compared ignoring case (the host's binding data
// dictionaries are case-insensitive), in insertion order.
type object struct {
	keys   []string
	values [][]byte
}

func (o *object) has(k string) bool {
	for _, x := range o.keys {
		if strings.EqualFold(x, k) {
			return true
		}
	}
	return false
}

// add sets k unless a key equal ignoring case is already present.
func (o *object) add(k string, v []byte) {
	if v == nil || o.has(k) {
		return
	}
	o.keys = append(o.keys, k)
	o.values = append(o.values, v)
}

// addAny sets k even when a key equal ignoring case is present: a dictionary with an ordinal
// comparer may hold both.
func (o *object) addAny(k string, v []byte) {
	o.keys = append(o.keys, k)
	o.values = append(o.values, v)
}

func (o *object) append(b []byte) []byte {
	b = append(b, '{')
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendNString(b, k)
		b = append(b, ':')
		b = append(b, o.values[i]...)
	}
	return append(b, '}')
}

func (o *object) bytes() []byte { return o.append(nil) }

// dotnetNumber is a JSON number as .NET's ToString writes the value Newtonsoft parsed: integers
// (long or BigInteger) as written, anything with a fraction or exponent as a double in its
// shortest round-trip form (1.0 becomes "1", 1e20 "1E+20").
func dotnetNumber(n string) string {
	if !strings.ContainsAny(n, ".eE") {
		if n == "-0" {
			return "0"
		}
		return n
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		// Out of range: .NET parses it to an infinity.
		if strings.HasPrefix(n, "-") {
			return "-Infinity"
		}
		return "Infinity"
	}
	if f == 0 && strings.HasPrefix(n, "-") {
		return "-0"
	}
	return strings.TrimSuffix(formatNumber(n), ".0")
}

// dotnetDate reports whether s is a string Newtonsoft reads as a DateTime (its default
// DateParseHandling: ISO 8601 "yyyy-MM-ddTHH:mm:ss" with an optional fraction and zone) and
// returns the invariant ToString of that DateTime ("MM/dd/yyyy HH:mm:ss", to the second). An
// offset converts to local time, which on Azure's machines is UTC.
func dotnetDate(s string) (string, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return "", false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	rest := s[19:]
	if strings.HasPrefix(rest, ".") {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 1 || j > 8 {
			return "", false
		}
		rest = rest[j:]
	}
	t, err := time.Parse("2006-01-02T15:04:05", s[:19])
	if err != nil {
		return "", false
	}
	switch {
	case rest == "" || rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		off, err := time.Parse("-07:00", rest)
		if err != nil {
			return "", false
		}
		_, secs := off.Zone()
		t = t.Add(-time.Duration(secs) * time.Second)
	default:
		return "", false
	}
	return t.Format("01/02/2006 15:04:05"), true
}

// dotnetString is (string)JToken for a JSON scalar, the conversion the HTTP extension applies to
// each top-level property of a JSON request body (Utility.cs ConvertPropertyValue): strings as
// is (dates in .NET's invariant form), numbers as .NET writes them, booleans True and False.
// ok is false for null, objects and arrays.
func dotnetString(v json.RawMessage) (s string, ok bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '"':
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		if d, isDate := dotnetDate(s); isDate {
			return d, true
		}
		return s, true
	case 't':
		return "True", true
	case 'f':
		return "False", true
	case 'n', '{', '[':
		return "", false
	}
	return dotnetNumber(string(v)), true
}

// serializedString is a .NET string as the host puts it in Metadata: JsonConvert.SerializeObject
// of it (the second layer), then written as a JSON string by the request body (the first).
func serializedString(s string) []byte { return appendNString(nil, string(serialize(s))) }
