package bindings

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// parseInvokeRequest decodes an invocation body. It is faster than json.Unmarshal
// into an invokeRequest: the envelope is split by hand in one pass, and each Data and Metadata
// value is checked when it is decoded rather than up front. The values refer to body instead
// of copying it, so body must not be modified afterwards.
func parseInvokeRequest(body []byte) (*invokeRequest, error) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, errNoPayload
	}
	req := &invokeRequest{}
	end, err := eachMember(body, i, func(key string, value []byte) error {
		var dst *map[string]json.RawMessage
		switch {
		case strings.EqualFold(key, "Data"):
			dst = &req.Data
		case strings.EqualFold(key, "Metadata"):
			dst = &req.Metadata
		default:
			if !json.Valid(value) {
				return fmt.Errorf("member %q is not valid JSON", key)
			}
			return nil
		}
		switch {
		case string(value) == "null":
			return nil
		case value[0] != '{':
			return fmt.Errorf("%s is not a JSON object", key)
		}
		if *dst == nil {
			*dst = make(map[string]json.RawMessage, 4)
		}
		_, err := eachMember(value, 0, func(k string, v []byte) error {
			// A repeated key drops the earlier value unread; make sure it was JSON.
			if old, dup := (*dst)[k]; dup && !json.Valid(old) {
				return fmt.Errorf("%s member %q is not valid JSON", key, k)
			}
			(*dst)[k] = v
			return nil
		})
		return err
	})
	if err == nil && skipSpace(body, end) != len(body) {
		err = errors.New("data after the JSON object")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoPayload, err)
	}
	return req, nil
}

var errSyntax = errors.New("malformed JSON object")

// eachMember calls fn for each member of the JSON object starting at b[i], with the unescaped
// key and the value's bytes, and returns the index after the object. Keys and the object's
// punctuation are checked; values are only delimited (fn or a later decode checks them).
func eachMember(b []byte, i int, fn func(key string, value []byte) error) (int, error) {
	i = skipSpace(b, i+1) // past '{'
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errSyntax
		}
		end := skipString(b, i)
		if end > len(b) {
			return 0, errSyntax
		}
		key, err := unquote(b[i:end])
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, errSyntax
		}
		i = skipSpace(b, i+1)
		vend, ok := skipValue(b, i)
		if !ok {
			return 0, errSyntax
		}
		if err := fn(key, b[i:vend:vend]); err != nil {
			return 0, err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return 0, errSyntax
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string literal starting at b[i], or len(b)+1 when it
// is not terminated.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b) + 1
}

// skipValue returns the index after the JSON value starting at b[i]: strings and nesting are
// followed, scalars run to the next delimiter.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		end := skipString(b, i)
		return end, end <= len(b)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i > len(b) {
					return 0, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	case ',', '}', ']', ':':
		return 0, false
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}
