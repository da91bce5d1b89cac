package hubproto

import (
	"bytes"
	"errors"
	"fmt"
)

type msgpackProtocol struct{}

// MessagePack is the MessagePack hub protocol ("messagepack", binary
// transfer format). Records are framed by an unsigned LEB128 length prefix.
var MessagePack Protocol = msgpackProtocol{}

func (msgpackProtocol) Name() string { return "messagepack" }
func (msgpackProtocol) Binary() bool { return true }

// maxVarintLen is the longest length prefix: 5 bytes hold 2^31-1.
const maxVarintLen = 5

func (msgpackProtocol) AppendFrame(dst []byte, m *Message) ([]byte, error) {
	// Reserve the longest prefix, write the body, then slide it back over the
	// unused prefix bytes: one pass, no temporary buffer.
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0)
	dst, err := appendMPMessage(dst, m)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - maxVarintLen
	if n > MaxMessageSize {
		return dst[:start], ErrTooLarge
	}
	var pre [maxVarintLen]byte
	pl := putVarint(pre[:], n)
	copy(dst[start+pl:], dst[start+maxVarintLen:])
	copy(dst[start:], pre[:pl])
	return dst[:start+pl+n], nil
}

func putVarint(p []byte, n int) int {
	i := 0
	for n >= 0x80 {
		p[i] = byte(n) | 0x80
		n >>= 7
		i++
	}
	p[i] = byte(n)
	return i + 1
}

// readVarint decodes a length prefix. ok=false with a nil error means more
// bytes are needed.
func readVarint(buf []byte) (n, size int, err error) {
	var v uint64
	for i := 0; i < maxVarintLen; i++ {
		if i >= len(buf) {
			return 0, 0, ErrIncomplete
		}
		c := buf[i]
		if i == maxVarintLen-1 && c > 0x07 {
			return 0, 0, errors.New("hubproto: MessagePack length prefix exceeds 2 GB: want at most 5 bytes")
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if v > MaxMessageSize {
				return 0, 0, ErrTooLarge
			}
			return int(v), i + 1, nil
		}
	}
	return 0, 0, errors.New("hubproto: MessagePack length prefix longer than 5 bytes")
}

func (msgpackProtocol) ParseFrame(buf []byte) (Message, int, error) {
	n, size, err := readVarint(buf)
	if err != nil {
		return Message{}, 0, err
	}
	if len(buf)-size < n {
		return Message{}, 0, ErrIncomplete
	}
	// Parse a copy: the caller may reuse buf, and Values point into it.
	m, err := parseMPMessage(bytes.Clone(buf[size : size+n]))
	return m, size + n, err
}

func (msgpackProtocol) Marshal(m *Message) ([]byte, error) {
	return appendMPMessage(make([]byte, 0, 64), m)
}

func (msgpackProtocol) Unmarshal(b []byte) (Message, error) {
	return parseMPMessage(unframeMP(b))
}

// unframeMP drops the length prefix of b when b is exactly one framed record.
func unframeMP(b []byte) []byte {
	if len(b) > 0 && !isMPArrayHeader(b[0]) {
		// Not an array: perhaps a framed record. Accept exactly one.
		n, size, err := readVarint(b)
		if err == nil && size+n == len(b) {
			return b[size:]
		}
	}
	return b
}

func isMPArrayHeader(c byte) bool { return c&0xf0 == 0x90 || c == 0xdc || c == 0xdd }

func appendMPMessage(dst []byte, m *Message) ([]byte, error) {
	var err error
	switch m.Type {
	case TypeInvocation, TypeStreamInvocation:
		if m.Target == "" {
			return dst, fmt.Errorf("hubproto: %v without a target: a target method name is required", m.Type)
		}
		if m.Type == TypeStreamInvocation && m.InvocationID == "" {
			return dst, errors.New("hubproto: StreamInvocation without an invocation id: an id is required")
		}
		// 5 elements without stream ids, 6 with, as the JS client writes.
		if len(m.StreamIDs) > 0 {
			dst = append(dst, 0x96)
		} else {
			dst = append(dst, 0x95)
		}
		dst = append(dst, byte(m.Type))
		dst = appendMPHeaders(dst, m.Headers)
		if m.InvocationID == "" {
			dst = append(dst, 0xc0)
		} else {
			dst = appendMPString(dst, m.InvocationID)
		}
		dst = appendMPString(dst, m.Target)
		dst = appendMPArrayHeader(dst, len(m.Arguments))
		for i := range m.Arguments {
			if dst, err = m.Arguments[i].appendMessagePack(dst); err != nil {
				return dst, fmt.Errorf("hubproto: argument %d: %w", i, err)
			}
		}
		if len(m.StreamIDs) > 0 {
			dst = appendMPArrayHeader(dst, len(m.StreamIDs))
			for _, id := range m.StreamIDs {
				dst = appendMPString(dst, id)
			}
		}
	case TypeStreamItem:
		if m.InvocationID == "" {
			return dst, errors.New("hubproto: StreamItem without an invocation id: an id is required")
		}
		dst = append(dst, 0x94, byte(TypeStreamItem))
		dst = appendMPHeaders(dst, m.Headers)
		dst = appendMPString(dst, m.InvocationID)
		if dst, err = m.Item.appendMessagePack(dst); err != nil {
			return dst, fmt.Errorf("hubproto: stream item: %w", err)
		}
	case TypeCompletion:
		if m.InvocationID == "" {
			return dst, errors.New("hubproto: Completion without an invocation id: an id is required")
		}
		if m.HasResult && m.hasError() {
			return dst, errors.New("hubproto: Completion with both a result and an error: set only one")
		}
		switch {
		case m.hasError():
			dst = append(dst, 0x95, byte(TypeCompletion))
		case m.HasResult:
			dst = append(dst, 0x95, byte(TypeCompletion))
		default:
			dst = append(dst, 0x94, byte(TypeCompletion))
		}
		dst = appendMPHeaders(dst, m.Headers)
		dst = appendMPString(dst, m.InvocationID)
		switch {
		case m.hasError():
			dst = append(dst, 1)
			dst = appendMPString(dst, m.Error)
		case m.HasResult:
			dst = append(dst, 3)
			if dst, err = m.Result.appendMessagePack(dst); err != nil {
				return dst, fmt.Errorf("hubproto: completion result: %w", err)
			}
		default:
			dst = append(dst, 2)
		}
	case TypeCancelInvocation:
		if m.InvocationID == "" {
			return dst, errors.New("hubproto: CancelInvocation without an invocation id: an id is required")
		}
		dst = append(dst, 0x93, byte(TypeCancelInvocation))
		dst = appendMPHeaders(dst, m.Headers)
		dst = appendMPString(dst, m.InvocationID)
	case TypePing:
		dst = append(dst, 0x91, byte(TypePing))
	case TypeClose:
		// [7, error|nil, allowReconnect], no headers.
		dst = append(dst, 0x93, byte(TypeClose))
		if m.hasError() {
			dst = appendMPString(dst, m.Error)
		} else {
			dst = append(dst, 0xc0)
		}
		dst = appendMPBool(dst, m.AllowReconnect)
	case TypeAck, TypeSequence:
		dst = append(dst, 0x92, byte(m.Type))
		dst = appendMPInt(dst, m.SequenceID)
	default:
		return dst, fmt.Errorf("hubproto: cannot encode message type %d in MessagePack: want 1 to 9", int(m.Type))
	}
	return dst, nil
}

func parseMPMessage(b []byte) (Message, error) { return parseMPMessageLimited(b, 0) }

// parseMPMessageLimited refuses more than maxArgs arguments when maxArgs > 0.
func parseMPMessageLimited(b []byte, maxArgs int) (Message, error) {
	r := mpReader{b: b, maxArgs: maxArgs}
	m, err := readMPMessage(&r)
	if err != nil {
		return Message{}, err
	}
	if !r.done() {
		return Message{}, fmt.Errorf("hubproto: %d bytes after the MessagePack message: want exactly one message", len(b)-r.i)
	}
	return m, nil
}

func readMPMessage(r *mpReader) (Message, error) {
	var m Message
	count, err := r.readLen(mpArray)
	if err != nil {
		return m, fmt.Errorf("hubproto: MessagePack message: %w", err)
	}
	if count == 0 {
		return m, errors.New("hubproto: empty MessagePack message: want an array starting with the type")
	}
	t, err := r.readInt()
	if err != nil {
		return m, fmt.Errorf("hubproto: MessagePack message type: %w", err)
	}
	m.Type = MessageType(t)
	read := 1 // elements consumed so far
	need := func(min int) error {
		if count < min {
			return fmt.Errorf("hubproto: MessagePack %v has %d elements: want at least %d", m.Type, count, min)
		}
		return nil
	}
	readID := func(required bool) error {
		id, ok, err := r.readString()
		if err != nil {
			return fmt.Errorf("hubproto: %v invocation id: %w", m.Type, err)
		}
		if required && (!ok || id == "") {
			return fmt.Errorf("hubproto: %v without an invocation id", m.Type)
		}
		m.InvocationID = id
		return nil
	}
	switch m.Type {
	case TypeInvocation, TypeStreamInvocation:
		if err := need(5); err != nil {
			return m, err
		}
		if m.Headers, err = readMPHeaders(r); err != nil {
			return m, err
		}
		if err := readID(m.Type == TypeStreamInvocation); err != nil {
			return m, err
		}
		target, _, err := r.readString()
		if err != nil {
			return m, fmt.Errorf("hubproto: %v target: %w", m.Type, err)
		}
		if target == "" {
			return m, fmt.Errorf("hubproto: %v without a target: want a non-empty method name", m.Type)
		}
		m.Target = target
		n, err := r.readLen(mpArray)
		if err != nil {
			return m, fmt.Errorf("hubproto: %v arguments: %w", m.Type, err)
		}
		if r.maxArgs > 0 && n > r.maxArgs {
			return m, fmt.Errorf("%w: the %v has %d arguments; expected at most %d", ErrTooManyArguments, m.Type, n, r.maxArgs)
		}
		if n > 0 {
			m.Arguments = make([]Value, n)
			for i := range n {
				raw, err := r.skip()
				if err != nil {
					return m, fmt.Errorf("hubproto: %v argument %d: %w", m.Type, i, err)
				}
				m.Arguments[i] = MessagePackValue(raw)
			}
		}
		read = 5
		if count >= 6 {
			n, err := r.readLen(mpArray)
			if err != nil {
				return m, fmt.Errorf("hubproto: %v stream ids: %w", m.Type, err)
			}
			for i := range n {
				id, _, err := r.readString()
				if err != nil {
					return m, fmt.Errorf("hubproto: %v stream id %d: %w", m.Type, i, err)
				}
				m.StreamIDs = append(m.StreamIDs, id)
			}
			read = 6
		}
	case TypeStreamItem:
		if err := need(4); err != nil {
			return m, err
		}
		if m.Headers, err = readMPHeaders(r); err != nil {
			return m, err
		}
		if err := readID(true); err != nil {
			return m, err
		}
		raw, err := r.skip()
		if err != nil {
			return m, fmt.Errorf("hubproto: StreamItem item: %w", err)
		}
		m.Item = MessagePackValue(raw)
		read = 4
	case TypeCompletion:
		if err := need(4); err != nil {
			return m, err
		}
		if m.Headers, err = readMPHeaders(r); err != nil {
			return m, err
		}
		if err := readID(true); err != nil {
			return m, err
		}
		kind, err := r.readInt()
		if err != nil {
			return m, fmt.Errorf("hubproto: Completion result kind: %w", err)
		}
		read = 4
		switch kind {
		case 1:
			if err := need(5); err != nil {
				return m, err
			}
			if m.Error, _, err = r.readString(); err != nil {
				return m, fmt.Errorf("hubproto: Completion error: %w", err)
			}
			m.HasError = true
			read = 5
		case 2:
		case 3:
			if err := need(5); err != nil {
				return m, err
			}
			raw, err := r.skip()
			if err != nil {
				return m, fmt.Errorf("hubproto: Completion result: %w", err)
			}
			m.Result, m.HasResult = MessagePackValue(raw), true
			read = 5
		default:
			return m, fmt.Errorf("hubproto: Completion result kind %d: want 1 (error), 2 (void) or 3 (result)", kind)
		}
	case TypeCancelInvocation:
		if err := need(3); err != nil {
			return m, err
		}
		if m.Headers, err = readMPHeaders(r); err != nil {
			return m, err
		}
		if err := readID(true); err != nil {
			return m, err
		}
		read = 3
	case TypePing:
	case TypeClose:
		if err := need(2); err != nil {
			return m, err
		}
		if m.Error, m.HasError, err = r.readString(); err != nil {
			return m, fmt.Errorf("hubproto: Close error: %w", err)
		}
		read = 2
		if count >= 3 {
			if m.AllowReconnect, err = r.readBool(); err != nil {
				return m, fmt.Errorf("hubproto: Close allowReconnect: %w", err)
			}
			read = 3
		}
	case TypeAck, TypeSequence:
		if err := need(2); err != nil {
			return m, err
		}
		if m.SequenceID, err = r.readInt(); err != nil {
			return m, fmt.Errorf("hubproto: %v sequence id: %w", m.Type, err)
		}
		read = 2
	default:
		// Unknown type: skip the rest and return it bare, to be ignored.
		m = Message{Type: m.Type}
	}
	// Later protocol versions may append elements; skip them.
	for ; read < count; read++ {
		if _, err := r.skip(); err != nil {
			return Message{}, fmt.Errorf("hubproto: %v: %w", m.Type, err)
		}
	}
	return m, nil
}

func readMPHeaders(r *mpReader) (map[string]string, error) {
	n, err := r.readLen(mpMap)
	if err != nil {
		return nil, fmt.Errorf("hubproto: headers: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	h := make(map[string]string, min(n, 16))
	for range n {
		k, _, err := r.readString()
		if err != nil {
			return nil, fmt.Errorf("hubproto: header name: %w", err)
		}
		v, _, err := r.readString()
		if err != nil {
			return nil, fmt.Errorf("hubproto: header %q: %w", k, err)
		}
		h[k] = v
	}
	return h, nil
}
