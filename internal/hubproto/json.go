package hubproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
)

// RecordSeparator ends every JSON record (and the handshake in both
// protocols).
const RecordSeparator = 0x1E

type jsonProtocol struct{}

// JSON is the JSON hub protocol ("json", text transfer format).
var JSON Protocol = jsonProtocol{}

func (jsonProtocol) Name() string { return "json" }
func (jsonProtocol) Binary() bool { return false }

func (jsonProtocol) AppendFrame(dst []byte, m *Message) ([]byte, error) {
	dst, err := appendJSONMessage(dst, m)
	if err != nil {
		return dst, err
	}
	return append(dst, RecordSeparator), nil
}

func (jsonProtocol) Marshal(m *Message) ([]byte, error) {
	return appendJSONMessage(make([]byte, 0, 128), m)
}

func (jsonProtocol) ParseFrame(buf []byte) (Message, int, error) {
	i := bytes.IndexByte(buf, RecordSeparator)
	if i < 0 {
		if len(buf) > MaxMessageSize {
			return Message{}, 0, ErrTooLarge
		}
		return Message{}, 0, ErrIncomplete
	}
	// Parse a copy: the caller may reuse buf, and Values point into it.
	m, err := parseJSONMessage(bytes.Clone(buf[:i]))
	return m, i + 1, err
}

func (jsonProtocol) Unmarshal(b []byte) (Message, error) {
	return parseJSONMessage(trimJSONRecord(b))
}

// trimJSONRecord drops trailing whitespace and one record separator.
func trimJSONRecord(b []byte) []byte {
	b = bytes.TrimRight(b, " \t\r\n")
	if n := len(b); n > 0 && b[n-1] == RecordSeparator {
		b = b[:n-1]
	}
	return b
}

// appendJSONMessage writes the camelCase property names the JS client reads.
func appendJSONMessage(dst []byte, m *Message) ([]byte, error) {
	switch m.Type {
	case TypeInvocation, TypeStreamInvocation:
		if m.Target == "" {
			return dst, fmt.Errorf("hubproto: %v without a target: a target method name is required", m.Type)
		}
		if m.Type == TypeStreamInvocation && m.InvocationID == "" {
			return dst, errors.New("hubproto: StreamInvocation without an invocation id: an id is required")
		}
		dst = append(dst, `{"type":`...)
		dst = appendJSONInt(dst, int64(m.Type))
		if m.InvocationID != "" {
			dst = append(dst, `,"invocationId":`...)
			dst = jsonwire.AppendString(dst, m.InvocationID)
		}
		dst = append(dst, `,"target":`...)
		dst = jsonwire.AppendString(dst, m.Target)
		dst = append(dst, `,"arguments":[`...)
		for i := range m.Arguments {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = m.Arguments[i].appendJSON(dst); err != nil {
				return dst, fmt.Errorf("hubproto: argument %d: %w", i, err)
			}
		}
		dst = append(dst, ']')
		if len(m.StreamIDs) > 0 {
			dst = append(dst, `,"streamIds":[`...)
			for i, id := range m.StreamIDs {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = jsonwire.AppendString(dst, id)
			}
			dst = append(dst, ']')
		}
		dst = appendJSONHeaders(dst, m.Headers)
	case TypeStreamItem:
		if m.InvocationID == "" {
			return dst, errors.New("hubproto: StreamItem without an invocation id: an id is required")
		}
		dst = append(dst, `{"type":2,"invocationId":`...)
		dst = jsonwire.AppendString(dst, m.InvocationID)
		dst = append(dst, `,"item":`...)
		var err error
		if dst, err = m.Item.appendJSON(dst); err != nil {
			return dst, fmt.Errorf("hubproto: stream item: %w", err)
		}
		dst = appendJSONHeaders(dst, m.Headers)
	case TypeCompletion:
		if m.InvocationID == "" {
			return dst, errors.New("hubproto: Completion without an invocation id: an id is required")
		}
		if m.HasResult && m.hasError() {
			return dst, errors.New("hubproto: Completion with both a result and an error: set only one")
		}
		dst = append(dst, `{"type":3,"invocationId":`...)
		dst = jsonwire.AppendString(dst, m.InvocationID)
		switch {
		case m.hasError():
			dst = append(dst, `,"error":`...)
			dst = jsonwire.AppendString(dst, m.Error)
		case m.HasResult:
			dst = append(dst, `,"result":`...)
			var err error
			if dst, err = m.Result.appendJSON(dst); err != nil {
				return dst, fmt.Errorf("hubproto: completion result: %w", err)
			}
		}
		dst = appendJSONHeaders(dst, m.Headers)
	case TypeCancelInvocation:
		if m.InvocationID == "" {
			return dst, errors.New("hubproto: CancelInvocation without an invocation id: an id is required")
		}
		dst = append(dst, `{"type":5,"invocationId":`...)
		dst = jsonwire.AppendString(dst, m.InvocationID)
		dst = appendJSONHeaders(dst, m.Headers)
	case TypePing:
		dst = append(dst, `{"type":6`...)
	case TypeClose:
		dst = append(dst, `{"type":7`...)
		if m.hasError() {
			dst = append(dst, `,"error":`...)
			dst = jsonwire.AppendString(dst, m.Error)
		}
		if m.AllowReconnect {
			dst = append(dst, `,"allowReconnect":true`...)
		}
	case TypeAck, TypeSequence:
		dst = append(dst, `{"type":`...)
		dst = appendJSONInt(dst, int64(m.Type))
		dst = append(dst, `,"sequenceId":`...)
		dst = appendJSONInt(dst, m.SequenceID)
	case TypeOpenConnection:
		dst = append(dst, `{"type":10`...)
	case TypeCloseConnection:
		// PascalCase, as the service writes this body.
		dst = append(dst, `{"Type":11`...)
		if m.hasError() {
			dst = append(dst, `,"Error":`...)
			dst = jsonwire.AppendString(dst, m.Error)
		}
	default:
		return dst, fmt.Errorf("hubproto: cannot encode message type %d: want 1 to 11", int(m.Type))
	}
	return append(dst, '}'), nil
}

func appendJSONHeaders(dst []byte, h map[string]string) []byte {
	if len(h) == 0 {
		return dst
	}
	dst = append(dst, `,"headers":{`...)
	first := true
	for _, k := range sortedKeys(h) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonwire.AppendString(dst, k)
		dst = append(dst, ':')
		dst = jsonwire.AppendString(dst, h[k])
	}
	return append(dst, '}')
}

// jsonMessage is the union of every JSON message's properties. encoding/json
// matches names case-insensitively, which the serverless bodies
// ({"Type":11,"Error":…}) need.
type jsonMessage struct {
	Type           *int              `json:"type"`
	InvocationID   *string           `json:"invocationId"`
	Target         *string           `json:"target"`
	Arguments      []json.RawMessage `json:"arguments"`
	StreamIDs      []string          `json:"streamIds"`
	Headers        map[string]string `json:"headers"`
	Item           json.RawMessage   `json:"item"`
	Result         json.RawMessage   `json:"result"`
	Error          *string           `json:"error"`
	AllowReconnect bool              `json:"allowReconnect"`
	SequenceID     int64             `json:"sequenceId"`
}

func parseJSONMessage(b []byte) (Message, error) { return parseJSONMessageLimited(b, 0) }

// parseJSONMessageLimited refuses more than maxArgs arguments when maxArgs > 0.
func parseJSONMessageLimited(b []byte, maxArgs int) (Message, error) {
	if len(b) == 0 {
		return Message{}, errors.New("hubproto: empty JSON message: want a JSON object")
	}
	var jm jsonMessage
	if err := decodeJSONEnvelopeLimited(b, &jm, maxArgs); err != nil {
		if errors.Is(err, ErrTooManyArguments) {
			return Message{}, err
		}
		return Message{}, fmt.Errorf("hubproto: malformed JSON message: %w", err)
	}
	if jm.Type == nil {
		return Message{}, errors.New(`hubproto: JSON message without "type": want a number from 1 to 11`)
	}
	m := Message{Type: MessageType(*jm.Type)}
	if jm.InvocationID != nil {
		m.InvocationID = *jm.InvocationID
	}
	if jm.Target != nil {
		m.Target = *jm.Target
	}
	if jm.Error != nil {
		m.Error, m.HasError = *jm.Error, true
	}
	switch m.Type {
	case TypeInvocation, TypeStreamInvocation:
		if m.Target == "" {
			return Message{}, fmt.Errorf(`hubproto: %v without "target": want a non-empty method name`, m.Type)
		}
		if m.Type == TypeStreamInvocation && m.InvocationID == "" {
			return Message{}, errors.New(`hubproto: StreamInvocation without "invocationId"`)
		}
		// An empty "invocationId" is a non-blocking Invocation (send()), as for ASP.NET Core's
		// hub dispatcher and the Functions extension (string.IsNullOrEmpty, in
		// SignalRInvocationMethodExecutor.cs), and as MessagePack already reads it.
		if len(jm.Arguments) > 0 {
			m.Arguments = make([]Value, len(jm.Arguments))
			for i, a := range jm.Arguments {
				m.Arguments[i] = JSONValue(a)
			}
		}
		if len(jm.StreamIDs) > 0 {
			m.StreamIDs = jm.StreamIDs
		}
		m.Headers = nonEmpty(jm.Headers)
		m.Error, m.HasError = "", false
	case TypeStreamItem:
		if m.InvocationID == "" {
			return Message{}, errors.New(`hubproto: StreamItem without "invocationId"`)
		}
		if jm.Item == nil {
			return Message{}, errors.New(`hubproto: StreamItem without "item"`)
		}
		m.Item = JSONValue(jm.Item)
		m.Headers = nonEmpty(jm.Headers)
		m.Target, m.Error, m.HasError = "", "", false
	case TypeCompletion:
		if m.InvocationID == "" {
			return Message{}, errors.New(`hubproto: Completion without "invocationId"`)
		}
		if jm.Result != nil {
			if m.HasError {
				return Message{}, errors.New(`hubproto: Completion with both "result" and "error": want at most one`)
			}
			m.Result, m.HasResult = JSONValue(jm.Result), true
		}
		m.Headers = nonEmpty(jm.Headers)
		m.Target = ""
	case TypeCancelInvocation:
		if m.InvocationID == "" {
			return Message{}, errors.New(`hubproto: CancelInvocation without "invocationId"`)
		}
		m.Headers = nonEmpty(jm.Headers)
		m.Target, m.Error, m.HasError = "", "", false
	case TypeClose:
		m = Message{Type: m.Type, Error: m.Error, HasError: m.HasError, AllowReconnect: jm.AllowReconnect}
	case TypeCloseConnection:
		m = Message{Type: m.Type, Error: m.Error, HasError: m.HasError}
	case TypeAck, TypeSequence:
		m = Message{Type: m.Type, SequenceID: jm.SequenceID}
	case TypePing, TypeOpenConnection:
		m = Message{Type: m.Type}
	default:
		// Unknown types are returned bare so callers can ignore them.
		return Message{Type: m.Type}, nil
	}
	return m, nil
}

func nonEmpty(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	return h
}
