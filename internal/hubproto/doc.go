// Package hubproto implements the SignalR hub protocol: the JSON and
// MessagePack message encodings, their framing, and the handshake. It is the
// one codec shared by the upstream decoder (package trigger) and the service
// emulator (package signalr/signalrtest).
//
// # Messages
//
// A Message is one hub message in protocol-neutral form; Type says which
// fields matter (see the Type constants). Arguments, results and stream
// items are Values: the raw bytes of the protocol they arrived in (or a Go
// value to encode later), converted only when a message crosses protocols.
// Encoding/json is the common data model, so `json` struct tags hold in both
// protocols.
//
//	JSONValue(raw) / MessagePackValue(raw) / ValueOf(goValue) Value
//	(Value) JSON() / MessagePack() ([]byte, error)
//	(Value) Decode(dst any) error
//	(Value) IsZero() bool
//
// # Protocols
//
// JSON and MessagePack implement Protocol; ProtocolByName finds one by its
// handshake name.
//
//	AppendFrame(dst, *Message) ([]byte, error) // JSON + 0x1E, or varint length + MessagePack
//	ParseFrame(buf) (Message, n int, error)    // ErrIncomplete until a whole record is in buf
//	Marshal(*Message) ([]byte, error)          // unframed, as in upstream request bodies
//	Unmarshal([]byte) (Message, error)         // unframed; tolerates a trailing 0x1E / a length prefix
//
// A Message from ParseFrame owns its memory, so a reader may reuse its
// buffer; one from Unmarshal shares the argument bytes with its input.
//
// A reader whose input arrives in pieces finds record boundaries with
// RecordEnd, which resumes a JSON record's search for 0x1E where the previous
// call stopped: each byte is examined once, and a record longer than the
// reader's limit is refused as soon as that is known.
//
//	RecordEnd(p, buf, scanned, limit) (n, next int, err error)
//
// Encoding and decoding the envelope are hand-written, with no reflection;
// the JSON decoder behaves like encoding/json (a differential fuzz target
// holds it to that). The wire
// forms follow what the official JavaScript client writes and reads:
// camelCase JSON property names; MessagePack invocations with 5 elements, or
// 6 when there are stream ids; Completion result kinds 1 (error), 2 (void)
// and 3 (result); Ping as exactly 0x91 0x06; Close as
// [7, error|nil, allowReconnect] without headers; Ack and Sequence as
// [type, sequenceId]. Decoding is tolerant where the service is: JSON
// property names match case-insensitively (the service writes
// {"Type":11,"Error":…}), extra MessagePack elements are skipped, and
// unknown message types decode with only Type set so callers can ignore
// them.
//
// The serverless upstream bodies {"type":10} (TypeOpenConnection) and
// {"Type":11,"Error":…} (TypeCloseConnection) are JSON-only messages.
//
// Records larger than MaxMessageSize are rejected with ErrTooLarge.
//
// # Handshake
//
// The handshake is JSON + 0x1E in both protocols:
//
//	ParseHandshakeRequest(buf) (HandshakeRequest, n int, error)
//	AppendHandshakeRequest(dst, HandshakeRequest) []byte
//	AppendHandshakeResponse(dst, errMsg string) []byte   // "{}\x1e" or {"error":…}\x1e
//	ParseHandshakeResponse(buf) (errMsg string, n int, error)
//
// All functions are safe for concurrent use; errors start with "hubproto: "
// and never panic on malformed input.
package hubproto
