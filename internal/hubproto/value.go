package hubproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

type valueFormat uint8

const (
	formatNone valueFormat = iota
	formatJSON
	formatMsgPack
	formatGo
)

// Value is one argument, result or stream item. It keeps the raw bytes of
// the protocol it arrived in, or a Go value to encode later, and converts
// only when asked: a message that stays in one protocol is never re-encoded.
//
// JSON is the common data model: a Go value is encoded with encoding/json
// (so `json` struct tags apply in both protocols), and MessagePack data is
// decoded into Go values by way of its JSON form (bin becomes base64, the
// timestamp extension an RFC 3339 string).
//
// The zero Value is absent; it encodes as null.
type Value struct {
	raw []byte
	fmt valueFormat
	v   any
}

// JSONValue wraps raw, which must be one valid JSON value, such as a
// json.RawMessage produced by encoding/json. raw is not copied.
func JSONValue(raw []byte) Value { return Value{raw: raw, fmt: formatJSON} }

// MessagePackValue wraps raw, which must be one MessagePack object. raw is
// not copied.
func MessagePackValue(raw []byte) Value { return Value{raw: raw, fmt: formatMsgPack} }

// ValueOf wraps a Go value, encoded with encoding/json rules when the message
// is written, in whichever protocol that is. A json.RawMessage is taken as the
// JSON it holds, as encoding/json does, not as bytes (MessagePack bin).
func ValueOf(v any) Value {
	if raw, ok := v.(json.RawMessage); ok && raw != nil {
		return JSONValue(raw)
	}
	return Value{v: v, fmt: formatGo}
}

// IsZero reports whether v is absent (not even null).
func (v Value) IsZero() bool { return v.fmt == formatNone }

var jsonNull = []byte("null")

// JSON returns v as JSON text. The zero Value is null.
func (v Value) JSON() ([]byte, error) {
	switch v.fmt {
	case formatJSON:
		return v.raw, nil
	case formatNone:
		return jsonNull, nil
	}
	size := len(v.raw) + len(v.raw)/2
	if v.fmt == formatMsgPack && len(v.raw) > exactSizeThreshold {
		// Large values are measured first, so they are allocated once: growing a buffer
		// allocates several times its final size. A value that cannot be measured fails
		// the conversion below with the same error.
		if n, err := msgpackJSONLen(v.raw); err == nil {
			size = n
		}
	}
	b, err := v.appendJSON(make([]byte, 0, size))
	if err != nil {
		return nil, fmt.Errorf("hubproto: %w", err)
	}
	return b, nil
}

// exactSizeThreshold is the MessagePack size above which JSON conversion measures its output
// first; below it, a guess and at most a reallocation or two cost less than a second pass.
const exactSizeThreshold = 1024

// MessagePack returns v as one MessagePack object. The zero Value is nil.
func (v Value) MessagePack() ([]byte, error) {
	if v.fmt == formatMsgPack {
		return v.raw, nil
	}
	b, err := v.appendMessagePack(nil)
	if err != nil {
		return nil, fmt.Errorf("hubproto: %w", err)
	}
	return b, nil
}

func (v Value) appendJSON(dst []byte) ([]byte, error) {
	switch v.fmt {
	case formatJSON:
		return append(dst, v.raw...), nil
	case formatMsgPack:
		return msgpackToJSON(dst, v.raw)
	case formatGo:
		b, err := json.Marshal(v.v)
		if err != nil {
			return dst, fmt.Errorf("encode value as JSON: %w", err)
		}
		return append(dst, b...), nil
	}
	return append(dst, jsonNull...), nil
}

func (v Value) appendMessagePack(dst []byte) ([]byte, error) {
	switch v.fmt {
	case formatMsgPack:
		return append(dst, v.raw...), nil
	case formatJSON:
		return jsonToMsgpack(dst, v.raw)
	case formatGo:
		b, err := json.Marshal(v.v)
		if err != nil {
			return dst, fmt.Errorf("encode value as JSON: %w", err)
		}
		return jsonToMsgpack(dst, b)
	}
	return append(dst, 0xc0), nil
}

// Decode stores v in dst, a non-nil pointer, with encoding/json semantics
// whatever the protocol. A *json.RawMessage receives the JSON form. The zero
// Value decodes like JSON null (dst is left unchanged for non-pointers).
func (v Value) Decode(dst any) error {
	if dst == nil {
		return errors.New("hubproto: Decode into nil: want a non-nil pointer")
	}
	if v.fmt == formatJSON {
		// Fast path: a JSON string without escapes into *string.
		if p, ok := dst.(*string); ok {
			if s, ok := plainJSONString(v.raw); ok {
				*p = s
				return nil
			}
		}
	}
	if v.fmt == formatMsgPack {
		// Fast paths for the most common argument types.
		switch p := dst.(type) {
		case *string:
			r := mpReader{b: v.raw}
			if s, ok, err := r.readString(); err == nil && ok && r.done() {
				*p = s
				return nil
			}
		case *bool:
			r := mpReader{b: v.raw}
			if k, _, _, _ := r.head(); k == mpBool {
				*p = v.raw[0] == 0xc3
				return nil
			}
		case *int64:
			r := mpReader{b: v.raw}
			if n, err := r.readInt(); err == nil && r.done() {
				*p = n
				return nil
			}
		}
	}
	b, err := v.JSON()
	if err != nil {
		return err
	}
	if p, ok := dst.(*json.RawMessage); ok {
		*p = append((*p)[:0], b...)
		return nil
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("hubproto: decode value: %w", err)
	}
	return nil
}

// String returns the JSON form for debugging, or a description of why there
// is none.
func (v Value) String() string {
	b, err := v.JSON()
	if err != nil {
		return "<invalid value: " + err.Error() + ">"
	}
	return string(b)
}

// plainJSONString returns the content of a JSON string literal that needs no
// unescaping: no backslash, no control character, valid UTF-8.
func plainJSONString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}
