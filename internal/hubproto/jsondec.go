package hubproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// decodeJSONEnvelope fills jm from the JSON object b without reflection. It
// behaves like json.Unmarshal(b, jm) (the tests hold it to that): property
// names match case-insensitively, null leaves a property unset, the last of
// duplicate properties wins, unknown properties are skipped. Raw values in
// jm alias b.
func decodeJSONEnvelope(b []byte, jm *jsonMessage) error {
	return decodeJSONEnvelopeLimited(b, jm, 0)
}

// decodeJSONEnvelopeLimited is decodeJSONEnvelope refusing more than maxArgs arguments
// (ErrTooManyArguments) when maxArgs > 0, before it holds them.
func decodeJSONEnvelopeLimited(b []byte, jm *jsonMessage, maxArgs int) error {
	if !json.Valid(b) {
		// Let encoding/json describe the syntax error.
		var x json.RawMessage
		if err := json.Unmarshal(b, &x); err != nil {
			return err
		}
		return errors.New("invalid JSON")
	}
	s := jsonScanner{b: b, maxArgs: maxArgs}
	s.ws()
	if s.b[s.i] == 'n' {
		return nil // null leaves everything unset, as in encoding/json
	}
	if s.b[s.i] != '{' {
		return fmt.Errorf("want a JSON object, got %s", jsonKind(s.b[s.i]))
	}
	s.i++
	for {
		s.ws()
		if s.b[s.i] == '}' {
			return nil
		}
		if s.b[s.i] == ',' {
			s.i++
			s.ws()
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		s.ws()
		s.i++ // ':'
		s.ws()
		if err := s.property(key, jm); err != nil {
			return err
		}
	}
}

func (s *jsonScanner) property(key string, jm *jsonMessage) error {
	null := s.b[s.i] == 'n'
	var err error
	switch {
	case strings.EqualFold(key, "type"):
		if null {
			jm.Type = nil
			break
		}
		var n int64
		if n, err = s.int("type"); err == nil {
			t := int(n)
			jm.Type = &t
		}
		return err
	case strings.EqualFold(key, "invocationId"):
		return s.optString(&jm.InvocationID, "invocationId")
	case strings.EqualFold(key, "target"):
		return s.optString(&jm.Target, "target")
	case strings.EqualFold(key, "error"):
		return s.optString(&jm.Error, "error")
	case strings.EqualFold(key, "arguments"):
		if null {
			jm.Arguments = nil
			break
		}
		if s.b[s.i] != '[' {
			return fmt.Errorf(`"arguments" is a JSON %s, want an array`, jsonKind(s.b[s.i]))
		}
		jm.Arguments = jm.Arguments[:0]
		if jm.Arguments == nil {
			jm.Arguments = []json.RawMessage{}
		}
		err = s.array(func() error {
			if s.maxArgs > 0 && len(jm.Arguments) >= s.maxArgs {
				return tooManyArguments(TypeInvocation, s.maxArgs)
			}
			jm.Arguments = append(jm.Arguments, s.skip())
			return nil
		})
		return err
	case strings.EqualFold(key, "streamIds"):
		if null {
			jm.StreamIDs = nil
			break
		}
		if s.b[s.i] != '[' {
			return fmt.Errorf(`"streamIds" is a JSON %s, want an array of strings`, jsonKind(s.b[s.i]))
		}
		jm.StreamIDs = jm.StreamIDs[:0]
		if jm.StreamIDs == nil {
			jm.StreamIDs = []string{}
		}
		return s.array(func() error {
			var id *string
			if err := s.optString(&id, "streamIds"); err != nil {
				return err
			}
			v := ""
			if id != nil {
				v = *id
			}
			jm.StreamIDs = append(jm.StreamIDs, v)
			return nil
		})
	case strings.EqualFold(key, "headers"):
		if null {
			jm.Headers = nil
			break
		}
		if s.b[s.i] != '{' {
			return fmt.Errorf(`"headers" is a JSON %s, want an object of strings`, jsonKind(s.b[s.i]))
		}
		if jm.Headers == nil {
			jm.Headers = map[string]string{}
		}
		s.i++
		for {
			s.ws()
			if s.b[s.i] == '}' {
				s.i++
				return nil
			}
			if s.b[s.i] == ',' {
				s.i++
				s.ws()
			}
			k, err := s.str()
			if err != nil {
				return err
			}
			s.ws()
			s.i++ // ':'
			s.ws()
			var v *string
			if err := s.optString(&v, "headers"); err != nil {
				return err
			}
			if v != nil {
				jm.Headers[k] = *v
			} else {
				jm.Headers[k] = ""
			}
		}
	case strings.EqualFold(key, "item"):
		jm.Item = s.skip()
		return nil
	case strings.EqualFold(key, "result"):
		jm.Result = s.skip()
		return nil
	case strings.EqualFold(key, "allowReconnect"):
		switch s.b[s.i] {
		case 't', 'f':
			jm.AllowReconnect = s.b[s.i] == 't'
		case 'n':
		default:
			return fmt.Errorf(`"allowReconnect" is a JSON %s, want a boolean`, jsonKind(s.b[s.i]))
		}
	case strings.EqualFold(key, "sequenceId"):
		if null {
			break
		}
		jm.SequenceID, err = s.int("sequenceId")
		return err
	}
	s.skip()
	return nil
}

// optString reads a string into *dst, or null as nil.
func (s *jsonScanner) optString(dst **string, name string) error {
	switch s.b[s.i] {
	case 'n':
		s.i += 4
		*dst = nil
		return nil
	case '"':
		v, err := s.str()
		if err != nil {
			return err
		}
		*dst = &v
		return nil
	}
	return fmt.Errorf("%q is a JSON %s, want a string", name, jsonKind(s.b[s.i]))
}

// int reads an integer number.
func (s *jsonScanner) int(name string) (int64, error) {
	if c := s.b[s.i]; c != '-' && (c < '0' || c > '9') {
		return 0, fmt.Errorf("%q is a JSON %s, want an integer", name, jsonKind(c))
	}
	lit := s.skip()
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is %s, want an integer", name, lit)
	}
	return n, nil
}

// array calls elem for each element of the array at s.i.
func (s *jsonScanner) array(elem func() error) error {
	s.i++
	for {
		s.ws()
		if s.b[s.i] == ']' {
			s.i++
			return nil
		}
		if s.b[s.i] == ',' {
			s.i++
			s.ws()
		}
		if err := elem(); err != nil {
			return err
		}
	}
}

// skip returns the bytes of the value at s.i and moves past it. The input
// is valid JSON, so only strings need care: brackets inside them do not
// count.
func (s *jsonScanner) skip() []byte {
	start := s.i
	depth := 0
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch c {
		case '"':
			s.i++
			for s.i < len(s.b) && s.b[s.i] != '"' {
				if s.b[s.i] == '\\' {
					s.i++
				}
				s.i++
			}
			s.i++ // the closing quote
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return s.b[start:s.i] // a scalar ended at its container's end
			}
			depth--
			s.i++
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return s.b[start:s.i]
			}
			s.i++
		default:
			s.i++
		}
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			break
		}
	}
	s.i = min(s.i, len(s.b))
	return s.b[start:s.i]
}

func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
