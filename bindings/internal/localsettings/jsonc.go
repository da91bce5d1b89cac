package localsettings

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Core Tools reads local.settings.json with Newtonsoft.Json (JsonConvert.DeserializeObject in
// azure-functions-core-tools src/Azure.Functions.Cli/Common/AppSettingsFile.cs), whose reader
// is lenient: it skips // and /* */ comments, accepts a trailing comma before } or ], single-
// quoted strings and unquoted property names (Newtonsoft.Json Src/Newtonsoft.Json/
// JsonTextReader.cs ParseComment, ParseObject, ParseProperty). A file Core Tools reads must read
// here too, so this parser accepts the same relaxations. It is hand-written because its errors
// must never quote the file's text: values are secrets.

// Limits keep any input bounded in memory and time.
const (
	// MaxFileBytes is the largest local.settings.json read; real files are a few kilobytes.
	MaxFileBytes = 1 << 20
	// maxDepth bounds nesting; the file has three levels, the rest is tolerance.
	maxDepth = 64
)

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindObject:
		return "an object"
	default:
		return "an array"
	}
}

// value is a parsed JSON value. text holds a string's content, a number's literal text or
// "true"/"false".
type value struct {
	kind    kind
	text    string
	members []member
	items   []value
	line    int
	col     int
}

type member struct {
	key  string
	val  value
	line int
	col  int
}

// syntaxError reports where the text stops being JSON. Its message describes the expected
// token and never repeats the input.
type syntaxError struct {
	line, col int
	msg       string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
}

type parser struct {
	s     []byte
	i     int
	line  int
	lineI int // index of the first byte of the current line
	depth int
}

// decodeText turns the file's bytes into UTF-8 the way .NET's File.ReadAllText does: a UTF-8
// byte order mark is dropped and UTF-16 files (with their mark) are converted.
func decodeText(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		le := b[0] == 0xFF
		b = b[2:]
		if len(b)%2 != 0 {
			return nil, fmt.Errorf("the file starts with a UTF-16 byte order mark but has an odd number of bytes")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			if le {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			} else {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			}
		}
		out := make([]byte, 0, len(u))
		for _, r := range utf16.Decode(u) {
			out = utf8.AppendRune(out, r)
		}
		return out, nil
	}
	return b, nil
}

// parseDocument parses one JSON value filling the whole input.
func parseDocument(b []byte) (value, error) {
	p := &parser{s: b, line: 1}
	if err := p.skipSpace(); err != nil {
		return value{}, err
	}
	if p.i >= len(p.s) {
		return value{}, p.errorf("the file is empty; expected a JSON object such as {\"IsEncrypted\": false, \"Values\": {}}")
	}
	v, err := p.value()
	if err != nil {
		return value{}, err
	}
	if err := p.skipSpace(); err != nil {
		return value{}, err
	}
	if p.i < len(p.s) {
		return value{}, p.errorf("unexpected text after the end of the top-level value")
	}
	return v, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return &syntaxError{line: p.line, col: p.col(), msg: fmt.Sprintf(format, args...)}
}

// col is the 1-based column of p.i, counted in characters.
func (p *parser) col() int {
	end := p.i
	if end > len(p.s) {
		end = len(p.s)
	}
	return utf8.RuneCount(p.s[p.lineI:end]) + 1
}

func (p *parser) newline() {
	p.line++
	p.lineI = p.i
}

// skipSpace skips white space and comments.
func (p *parser) skipSpace() error {
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\n':
			p.i++
			p.newline()
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			p.i++
		case c == '/':
			if err := p.comment(); err != nil {
				return err
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(p.s[p.i:])
			if r != '\u00a0' && r != '\ufeff' && r != '\u2028' && r != '\u2029' && !(r >= '\u2000' && r <= '\u200a') && r != '\u3000' {
				return nil
			}
			p.i += n
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) comment() error {
	if p.i+1 >= len(p.s) || (p.s[p.i+1] != '/' && p.s[p.i+1] != '*') {
		return p.errorf("a '/' that does not start a // or /* comment")
	}
	block := p.s[p.i+1] == '*'
	startLine, startCol := p.line, p.col()
	p.i += 2
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !block && (c == '\n' || c == '\r') {
			return nil
		}
		if block && c == '*' && p.i+1 < len(p.s) && p.s[p.i+1] == '/' {
			p.i += 2
			return nil
		}
		p.i++
		if c == '\n' {
			p.newline()
		}
	}
	if block {
		return &syntaxError{line: startLine, col: startCol, msg: "a /* comment is never closed with */"}
	}
	return nil
}

func (p *parser) value() (value, error) {
	v := value{line: p.line, col: p.col()}
	c := p.s[p.i]
	switch {
	case c == '{':
		return p.object(v)
	case c == '[':
		return p.array(v)
	case c == '"' || c == '\'':
		s, err := p.str()
		v.kind, v.text = kindString, s
		return v, err
	case c == '-' || (c >= '0' && c <= '9'):
		s, err := p.number()
		v.kind, v.text = kindNumber, s
		return v, err
	}
	start := p.i
	word := p.word()
	switch word {
	case "true", "false":
		v.kind, v.text = kindBool, word
		return v, nil
	case "null":
		v.kind = kindNull
		return v, nil
	}
	p.i = start
	return v, p.errorf("expected a value: a string in double quotes, a number, true, false, null, an object or an array")
}

// word consumes a run of identifier characters.
func (p *parser) word() string {
	start := p.i
	for p.i < len(p.s) && isIdent(p.s[p.i]) {
		p.i++
	}
	return string(p.s[start:p.i])
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) object(v value) (value, error) {
	v.kind = kindObject
	if err := p.enter(); err != nil {
		return v, err
	}
	p.i++ // {
	for {
		if err := p.skipSpace(); err != nil {
			return v, err
		}
		if p.i >= len(p.s) {
			return v, p.errorf("the object that starts at line %d, column %d is never closed with '}'", v.line, v.col)
		}
		if p.s[p.i] == '}' {
			p.i++
			p.depth--
			return v, nil
		}
		m := member{line: p.line, col: p.col()}
		switch c := p.s[p.i]; {
		case c == '"' || c == '\'':
			k, err := p.str()
			if err != nil {
				return v, err
			}
			m.key = k
		case isIdent(c):
			m.key = p.word()
		default:
			return v, p.errorf("expected a property name in double quotes or '}'")
		}
		if err := p.skipSpace(); err != nil {
			return v, err
		}
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return v, p.errorf("expected ':' after the property name %s", quoteKey(m.key))
		}
		p.i++
		if err := p.skipSpace(); err != nil {
			return v, err
		}
		if p.i >= len(p.s) {
			return v, p.errorf("expected a value for %s", quoteKey(m.key))
		}
		val, err := p.value()
		if err != nil {
			return v, err
		}
		m.val = val
		v.members = append(v.members, m)
		if err := p.skipSpace(); err != nil {
			return v, err
		}
		if p.i >= len(p.s) {
			return v, p.errorf("the object that starts at line %d, column %d is never closed with '}'", v.line, v.col)
		}
		switch p.s[p.i] {
		case ',':
			p.i++ // a trailing comma is allowed: the loop then finds '}'
		case '}':
		default:
			return v, p.errorf("expected ',' or '}' after the value of %s", quoteKey(m.key))
		}
	}
}

func (p *parser) array(v value) (value, error) {
	v.kind = kindArray
	if err := p.enter(); err != nil {
		return v, err
	}
	p.i++ // [
	for {
		if err := p.skipSpace(); err != nil {
			return v, err
		}
		if p.i >= len(p.s) {
			return v, p.errorf("the array that starts at line %d, column %d is never closed with ']'", v.line, v.col)
		}
		if p.s[p.i] == ']' {
			p.i++
			p.depth--
			return v, nil
		}
		item, err := p.value()
		if err != nil {
			return v, err
		}
		v.items = append(v.items, item)
		if err := p.skipSpace(); err != nil {
			return v, err
		}
		if p.i >= len(p.s) {
			return v, p.errorf("the array that starts at line %d, column %d is never closed with ']'", v.line, v.col)
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
		default:
			return v, p.errorf("expected ',' or ']' after an array element")
		}
	}
}

// str reads a string quoted with " or ' and decodes its escapes.
func (p *parser) str() (string, error) {
	q := p.s[p.i]
	startLine, startCol := p.line, p.col()
	p.i++
	var b []byte
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			if b == nil {
				s := string(p.s[start:p.i])
				p.i++
				return s, nil
			}
			b = append(b, p.s[start:p.i]...)
			p.i++
			return string(b), nil
		case c == '\\':
			b = append(b, p.s[start:p.i]...)
			p.i++
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b = utf8.AppendRune(b, r)
			start = p.i
		case c == '\n':
			// Newtonsoft keeps raw line breaks inside strings.
			p.i++
			p.newline()
		default:
			p.i++
		}
	}
	return "", &syntaxError{line: startLine, col: startCol, msg: "a string is never closed with its quote"}
}

func (p *parser) escape() (rune, error) {
	if p.i >= len(p.s) {
		return 0, p.errorf("a string ends inside an escape sequence")
	}
	c := p.s[p.i]
	p.i++
	switch c {
	case '"', '\'', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return 0, err
		}
		if utf16.IsSurrogate(r) {
			if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
				save := p.i
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return 0, err
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, nil
				}
				p.i = save
			}
			return utf8.RuneError, nil
		}
		return r, nil
	}
	p.i--
	return 0, p.errorf("an unknown escape sequence in a string; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.s) {
		return 0, p.errorf("a \\u escape needs four hexadecimal digits")
	}
	n, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, p.errorf("a \\u escape needs four hexadecimal digits")
	}
	p.i += 4
	return rune(n), nil
}

// number reads a JSON number and returns its literal text, which is what Newtonsoft gives a
// string-typed target (JsonTextReader.ParseReadNumber with ReadType.ReadAsString).
func (p *parser) number() (string, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return "", p.errorf("a number needs digits")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", p.errorf("a number needs digits after its decimal point")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", p.errorf("a number needs digits in its exponent")
		}
	}
	if p.i < len(p.s) && isIdent(p.s[p.i]) {
		return "", p.errorf("a number is followed by letters; put text values in double quotes")
	}
	return string(p.s[start:p.i]), nil
}

// quoteKey quotes a property name for an error message. Names are not secrets, but a name can
// hold one by mistake ("Endpoint=…;AccessKey=…" pasted as a key), so nothing after an '=' is
// shown, and names are bounded so a hostile file cannot make an error message huge.
func quoteKey(k string) string {
	const max = 80
	if i := strings.IndexByte(k, '='); i >= 0 {
		k = k[:i+1] + "…"
	}
	if len(k) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(k[cut]) {
			cut--
		}
		k = k[:cut] + "…"
	}
	return strconv.Quote(k)
}
