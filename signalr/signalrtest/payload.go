package signalrtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"sync"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/vmihailenco/msgpack/v5"
)

// outbound is one message for many connections, encoded at most once per
// protocol however many connections receive it.
type outbound struct {
	msg *hubproto.Message // nil only until derived from a pre-encoded frame

	mu     sync.Mutex
	frames [2][]byte // indexed by protoIndex
	done   [2]bool
	errs   [2]error
}

func newOutbound(m *hubproto.Message) *outbound { return &outbound{msg: m} }

func protoIndex(p hubproto.Protocol) int {
	if p.Binary() {
		return 1
	}
	return 0
}

var protocols = [2]hubproto.Protocol{hubproto.JSON, hubproto.MessagePack}

// frame returns the framed encoding for p.
func (o *outbound) frame(p hubproto.Protocol) ([]byte, error) {
	i := protoIndex(p)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done[i] {
		return o.frames[i], o.errs[i]
	}
	if o.msg == nil {
		// Pre-encoded for the other protocol only: decode it once and convert.
		other := 1 - i
		m, n, err := protocols[other].ParseFrame(o.frames[other])
		if err == nil && n != len(o.frames[other]) {
			err = errors.New("trailing bytes after the message")
		}
		if err != nil {
			o.done[i], o.errs[i] = true, fmt.Errorf("signalrtest: converting a pre-encoded %s message: %w", protocols[other].Name(), err)
			return nil, o.errs[i]
		}
		o.msg = &m
	}
	o.frames[i], o.errs[i] = p.AppendFrame(nil, o.msg)
	o.done[i] = true
	return o.frames[i], o.errs[i]
}

// parsePayload decodes a REST send body: a JSON PayloadMessage (property names
// matched case-insensitively), or for application/octet-stream and
// application/x-msgpack the SDK's MessagePack map of pre-encoded frames
// {"json": bin, "messagepack": bin}.
func parsePayload(contentType string, body []byte) (*outbound, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/octet-stream", "application/x-msgpack":
		return parseBinaryPayload(body)
	}
	return parseJSONPayload(body)
}

var errPayload = errors.New(`signalrtest: invalid payload; expected {"target":"<method>","arguments":[…]}`)

// errNotObject says the JSON text is not one object.
var errNotObject = errors.New("not a JSON object")

// pickMembers decodes the JSON object b and returns the members named in
// names, keyed by those names; the values alias b. Names match
// case-insensitively, as the service's serializer matches properties; a
// property present twice, in any spelling, is an error naming both, so that
// the answer never depends on which one a map happened to keep.
func pickMembers(b []byte, names ...string) (map[string]json.RawMessage, error) {
	if !json.Valid(b) {
		return nil, errNotObject
	}
	// b is valid JSON from here on, which keeps the walk below simple.
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return nil, errNotObject
	}
	out := make(map[string]json.RawMessage, len(names))
	var buf [8]string
	spelled := buf[:0] // the spelling each name was first seen in
	if len(names) <= len(buf) {
		spelled = buf[:len(names)]
	} else {
		spelled = make([]string, len(names))
	}
	i = skipSpace(b, i+1)
	for b[i] != '}' {
		keyStart, keyEnd := i, endOfValue(b, i)
		i = skipSpace(b, skipSpace(b, keyEnd)+1) // past the colon
		valEnd := endOfValue(b, i)
		for n, name := range names {
			key, ok := matchKey(b[keyStart:keyEnd], name)
			if !ok {
				continue
			}
			if first := spelled[n]; first != "" {
				if first == key {
					return nil, fmt.Errorf("duplicate property %q; expected each property once", key)
				}
				return nil, fmt.Errorf("duplicate property %q: both %q and %q are present; expected each property once, in any case", name, first, key)
			}
			spelled[n] = key
			out[name] = b[i:valEnd:valEnd]
		}
		i = skipSpace(b, valEnd)
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return out, nil
}

// matchKey reports whether the quoted JSON property name equals name (ASCII)
// ignoring ASCII case, as .NET's ordinal case-insensitive comparison does for
// ASCII names, and returns the name as spelled. Only names with escapes are
// decoded.
func matchKey(quoted []byte, name string) (string, bool) {
	raw := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		if !asciiEqualFold(raw, name) {
			return "", false
		}
		return string(raw), true
	}
	var key string
	if json.Unmarshal(quoted, &key) != nil || !asciiEqualFold([]byte(key), name) {
		return "", false
	}
	return key, true
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// endOfValue returns the index just past the value starting at b[i], in
// valid JSON.
func endOfValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for i++; b[i] != '"'; i++ {
			if b[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				i = endOfValue(b, i) - 1
			}
		}
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

func parseJSONPayload(body []byte) (*outbound, error) {
	obj, err := pickMembers(body, "target", "arguments")
	if errors.Is(err, errNotObject) {
		return nil, errPayload
	}
	if err != nil {
		return nil, fmt.Errorf("signalrtest: invalid payload: %w", err)
	}
	var target string
	if v, ok := obj["target"]; ok {
		if err := json.Unmarshal(v, &target); err != nil {
			return nil, errors.New("signalrtest: invalid payload: target must be a string")
		}
	}
	args := obj["arguments"]
	if target == "" {
		return nil, errors.New("signalrtest: invalid payload: target is required and must not be empty")
	}
	m := &hubproto.Message{Type: hubproto.TypeInvocation, Target: target}
	if len(args) > 0 && !bytes.Equal(args, []byte("null")) {
		var raw []json.RawMessage
		if err := json.Unmarshal(args, &raw); err != nil {
			return nil, errors.New("signalrtest: invalid payload: arguments must be an array")
		}
		m.Arguments = make([]hubproto.Value, len(raw))
		for i, a := range raw {
			m.Arguments[i] = hubproto.JSONValue(a)
		}
	}
	return newOutbound(m), nil
}

func parseBinaryPayload(body []byte) (*outbound, error) {
	var frames map[string][]byte
	if err := msgpack.Unmarshal(body, &frames); err != nil {
		return nil, errors.New(`signalrtest: invalid binary payload; expected a MessagePack map {"json": bin, "messagepack": bin}`)
	}
	o := &outbound{}
	for k, v := range frames {
		p, ok := hubproto.ProtocolByName(k)
		if !ok || len(v) == 0 {
			continue
		}
		m, n, err := p.ParseFrame(v)
		if err != nil || n != len(v) {
			return nil, fmt.Errorf("signalrtest: invalid binary payload: the %q entry is not one framed %s message", k, p.Name())
		}
		if m.Type != hubproto.TypeInvocation || m.InvocationID != "" {
			return nil, fmt.Errorf("signalrtest: invalid binary payload: the %q entry must be an invocation without an invocation id", k)
		}
		i := protoIndex(p)
		o.frames[i], o.done[i] = bytes.Clone(v), true
		if o.msg == nil {
			o.msg = &m
		}
	}
	if !o.done[0] && !o.done[1] {
		return nil, errors.New(`signalrtest: invalid binary payload: neither a "json" nor a "messagepack" entry`)
	}
	return o, nil
}

func completionMessage(id, errMsg string) hubproto.Message {
	return hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: id, Error: errMsg, HasError: errMsg != ""}
}

func streamItemMessage(id string, item []byte) *hubproto.Message {
	return &hubproto.Message{Type: hubproto.TypeStreamItem, InvocationID: id, Item: hubproto.JSONValue(item)}
}

// topLevelKeys returns the keys of a JSON object in document order.
func topLevelKeys(b []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
