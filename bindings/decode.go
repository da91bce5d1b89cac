package bindings

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// targetKind says how many layers of host encoding a decode target wants undone. The host
// sends strings, numbers, bools and arrays JSON-serialized a second time, byte[] as base64 and
// DateTimes as ISO strings; only the target type can tell a base64 or date string from a
// serialized value.
type targetKind int

const (
	kindOther targetKind = iota // structs, maps, numbers, slices: undo every layer, then user JSON
	kindString
	kindBytes
	kindTime
	kindRaw
	kindAny
	kindBool
)

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func kindOf(v any) targetKind {
	switch v.(type) {
	case *string:
		return kindString
	case *[]byte:
		return kindBytes
	case *time.Time:
		return kindTime
	case *json.RawMessage:
		return kindRaw
	case *any:
		return kindAny
	case *bool:
		return kindBool
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return kindOther
	}
	e := t.Elem()
	switch {
	case e == timeType:
		return kindTime
	case e == rawType:
		return kindRaw
	case e.Kind() == reflect.Bool && !reflect.PointerTo(e).Implements(unmarshalerType):
		return kindBool
	case e.Kind() == reflect.String && !reflect.PointerTo(e).Implements(unmarshalerType):
		return kindString
	case e.Kind() == reflect.Slice && e.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(e).Implements(unmarshalerType):
		return kindBytes
	}
	return kindOther
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodeValue undoes the host's value conversion (spec §1.3) on raw and stores the result in v.
func decodeValue(raw []byte, v any) error {
	if v == nil {
		return errors.New("target is nil; expected a non-nil pointer")
	}
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("target is %T; expected a non-nil pointer", v)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return errors.New("value is empty; expected JSON")
	}
	kind := kindOf(v)
	if raw[0] != '"' {
		// Objects (POCOs, dictionaries, JObjects) arrive plain.
		if kind == kindString || kind == kindBytes || kind == kindRaw {
			if !json.Valid(raw) {
				return errors.New("value is not valid JSON")
			}
		}
		switch kind {
		case kindString:
			if bytes.Equal(raw, nullJSON) {
				return nil
			}
			return setString(v, string(raw))
		case kindBytes:
			if bytes.Equal(raw, nullJSON) {
				return nil
			}
			return setBytes(v, append([]byte(nil), raw...))
		case kindRaw:
			*v.(*json.RawMessage) = append(json.RawMessage(nil), raw...)
			return nil
		}
		return json.Unmarshal(raw, v)
	}
	s1, err := unquote(raw)
	if err != nil {
		return err
	}
	serialized := len(s1) > 0 && s1[0] == '"'
	switch kind {
	case kindString:
		if serialized {
			s2, err := unquote([]byte(s1))
			if err != nil {
				return fmt.Errorf("value looks serialized twice but the inner text is not a JSON string: %w", err)
			}
			return setString(v, s2)
		}
		return setString(v, s1)
	case kindBytes:
		if serialized {
			s2, err := unquote([]byte(s1))
			if err != nil {
				return fmt.Errorf("value looks serialized twice but the inner text is not a JSON string: %w", err)
			}
			return setBytes(v, []byte(s2))
		}
		b, err := base64.StdEncoding.DecodeString(s1)
		if err != nil {
			return errors.New("value is neither base64 (byte[]) nor a serialized JSON string")
		}
		return setBytes(v, b)
	case kindTime:
		if serialized {
			if s1, err = unquote([]byte(s1)); err != nil {
				return err
			}
		}
		t, err := parseHostTime(s1)
		if err != nil {
			return err
		}
		*v.(*time.Time) = t
		return nil
	case kindRaw:
		if json.Valid([]byte(s1)) {
			*v.(*json.RawMessage) = json.RawMessage(s1)
		} else {
			q, _ := json.Marshal(s1) // never fails for a string; invalid UTF-8 becomes U+FFFD
			*v.(*json.RawMessage) = q
		}
		return nil
	case kindBool:
		text := s1
		if serialized {
			if text, err = unquote([]byte(s1)); err != nil {
				return fmt.Errorf("value looks serialized twice but the inner text is not a JSON string: %w", err)
			}
		}
		return setBool(v, text)
	case kindAny:
		if json.Valid([]byte(s1)) {
			return json.Unmarshal([]byte(s1), v)
		}
		*v.(*any) = s1 // base64 or a date: the string itself
		return nil
	}
	// kindOther: the string is SerializeObject output (a number, bool, array or a quoted string
	// holding user JSON, such as a queue message or signalRConnectionInfo), or, tolerated, the
	// user JSON itself.
	inner := s1
	if serialized {
		if inner, err = unquote([]byte(s1)); err != nil {
			return fmt.Errorf("value looks serialized twice but the inner text is not a JSON string: %w", err)
		}
	}
	if err := json.Unmarshal([]byte(inner), v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("value arrived as a string that does not hold JSON for %T (%v)", v, err)
		}
		return err
	}
	return nil
}

var nullJSON = []byte("null")

// unquote decodes a JSON string literal, without allocation beyond the result when it is plain
// ASCII without escapes.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		inner := b[1 : len(b)-1]
		plain := true
		for _, c := range inner {
			if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), nil
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", err
	}
	return s, nil
}

func setString(v any, s string) error {
	if p, ok := v.(*string); ok {
		*p = s
		return nil
	}
	reflect.ValueOf(v).Elem().SetString(s)
	return nil
}

// setBool stores a boolean written by JSON (true) or by .NET's Boolean.ToString (True): the
// host turns the top-level properties of a JSON request body into .NET strings before it
// serializes them, so {"ok":true} reaches Metadata as "\"True\"" (spec §8.2).
func setBool(v any, text string) error {
	var b bool
	switch {
	case strings.EqualFold(text, "true"):
		b = true
	case strings.EqualFold(text, "false"):
	default:
		return fmt.Errorf("value %.40q is not a boolean; expected true or false (True or False from the host)", text)
	}
	if p, ok := v.(*bool); ok {
		*p = b
		return nil
	}
	reflect.ValueOf(v).Elem().SetBool(b)
	return nil
}

func setBytes(v any, b []byte) error {
	if p, ok := v.(*[]byte); ok {
		*p = b
		return nil
	}
	reflect.ValueOf(v).Elem().SetBytes(b)
	return nil
}

// hostTimeLayouts are the forms a .NET DateTime takes on the wire: RFC 3339 with any fraction,
// Newtonsoft's zone-less form for DateTimeKind.Unspecified, and DateTime.ToString's invariant
// form, which a date in a JSON request body takes in Metadata (spec §8.1); zone-less forms are
// read as UTC.
var hostTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "01/02/2006 15:04:05"}

func parseHostTime(s string) (time.Time, error) {
	for _, layout := range hostTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("value is not an ISO 8601 date and time")
}
