package hubproto

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MessageType is the "type" discriminator of a hub message.
type MessageType int

// Hub protocol message types (HubProtocol.md), plus the two serverless
// upstream bodies that share the "type" field.
const (
	TypeInvocation       MessageType = 1
	TypeStreamItem       MessageType = 2
	TypeCompletion       MessageType = 3
	TypeStreamInvocation MessageType = 4
	TypeCancelInvocation MessageType = 5
	TypePing             MessageType = 6
	TypeClose            MessageType = 7
	TypeAck              MessageType = 8
	TypeSequence         MessageType = 9
	// TypeOpenConnection is the body of a connections/connected upstream
	// request: {"type":10}. JSON only.
	TypeOpenConnection MessageType = 10
	// TypeCloseConnection is the body of a connections/disconnected upstream
	// request: {"Type":11,"Error":"…"}. JSON only.
	TypeCloseConnection MessageType = 11
)

var typeNames = [...]string{
	TypeInvocation:       "Invocation",
	TypeStreamItem:       "StreamItem",
	TypeCompletion:       "Completion",
	TypeStreamInvocation: "StreamInvocation",
	TypeCancelInvocation: "CancelInvocation",
	TypePing:             "Ping",
	TypeClose:            "Close",
	TypeAck:              "Ack",
	TypeSequence:         "Sequence",
	TypeOpenConnection:   "OpenConnection",
	TypeCloseConnection:  "CloseConnection",
}

// String returns the protocol name of t, or "MessageType(n)" when unknown.
func (t MessageType) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// Message is one hub message in protocol-neutral form. Which fields are
// meaningful depends on Type; the others are ignored when encoding.
//
// A message of a type this package does not know is decoded with only Type
// set, so callers can ignore it the way the JS client does.
type Message struct {
	Type MessageType
	// InvocationID is "" when absent (a send() or a broadcast).
	InvocationID string
	Target       string
	Arguments    []Value
	StreamIDs    []string
	Headers      map[string]string
	// Item is the payload of a StreamItem.
	Item Value
	// Result is the value of a Completion when HasResult is true.
	Result    Value
	HasResult bool
	// Error is the error text of a Completion, Close or CloseConnection;
	// HasError says it is present (an empty error text is still an error).
	// When encoding, a non-empty Error counts as present too.
	Error          string
	HasError       bool
	AllowReconnect bool
	// SequenceID is the number carried by Ack and Sequence.
	SequenceID int64
}

// hasError reports whether m carries an error text.
func (m *Message) hasError() bool { return m.HasError || m.Error != "" }

// MaxMessageSize bounds one framed record. Larger length prefixes, and JSON
// input this long without a record separator, are rejected with
// ErrTooLarge so a reader never buffers without limit.
const MaxMessageSize = 64 << 20

var (
	// ErrIncomplete says the buffer holds only the beginning of a record:
	// read more bytes and try again. Nothing was consumed.
	ErrIncomplete = errors.New("hubproto: incomplete message: need more bytes")
	// ErrTooLarge says a record is larger than MaxMessageSize.
	ErrTooLarge = errors.New("hubproto: message larger than MaxMessageSize")
	// ErrTooManyArguments says an invocation has more arguments than UnmarshalLimited allows.
	ErrTooManyArguments = errors.New("hubproto: too many arguments")
)

// Protocol encodes and decodes hub messages in one wire format. The two
// implementations are JSON and MessagePack; both are safe for concurrent use.
type Protocol interface {
	// Name is the handshake name: "json" or "messagepack".
	Name() string
	// Binary reports whether the transfer format is binary (WebSocket binary
	// frames, binary long polling).
	Binary() bool
	// AppendFrame appends the framed encoding of m (JSON + 0x1E, or varint
	// length + MessagePack) to dst.
	AppendFrame(dst []byte, m *Message) ([]byte, error)
	// ParseFrame decodes the first whole framed record of buf and returns how
	// many bytes it used. When buf holds only part of a record it returns
	// ErrIncomplete and consumes nothing. On any other error n is the size of
	// the bad record when it is known (so a caller may skip it), else 0.
	// The Message does not alias buf, which the caller may reuse.
	ParseFrame(buf []byte) (m Message, n int, err error)
	// Marshal returns the unframed encoding of m, as sent in upstream
	// request bodies.
	Marshal(m *Message) ([]byte, error)
	// Unmarshal decodes one unframed message. The JSON protocol tolerates a
	// trailing 0x1E; the MessagePack protocol tolerates a length prefix.
	// The Message's Values alias b: do not modify b while they are in use.
	Unmarshal(b []byte) (Message, error)
}

// ProtocolByName returns the protocol with the given handshake name,
// compared case-insensitively.
func ProtocolByName(name string) (Protocol, bool) {
	switch {
	case strings.EqualFold(name, "json"):
		return JSON, true
	case strings.EqualFold(name, "messagepack"):
		return MessagePack, true
	}
	return nil, false
}

// UnmarshalLimited is p.Unmarshal for a message from a peer that is not trusted: it refuses an
// invocation with more than maxArguments arguments (ErrTooManyArguments) before holding them.
// Each argument costs a Value, 48 bytes, however small its encoding (a MessagePack nil is one
// byte), so without the limit a message costs memory many times its size. maxArguments <= 0
// means no limit.
func UnmarshalLimited(p Protocol, b []byte, maxArguments int) (Message, error) {
	switch p.(type) {
	case jsonProtocol:
		return parseJSONMessageLimited(trimJSONRecord(b), maxArguments)
	case msgpackProtocol:
		return parseMPMessageLimited(unframeMP(b), maxArguments)
	}
	return p.Unmarshal(b)
}

func tooManyArguments(t MessageType, max int) error {
	return fmt.Errorf("%w: the %v has more than %d arguments; expected at most %d", ErrTooManyArguments, t, max, max)
}
