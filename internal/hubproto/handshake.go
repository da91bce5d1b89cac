package hubproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
)

// HandshakeRequest is the client's first message:
// {"protocol":"json"|"messagepack","version":1|2} + 0x1E, JSON in both
// protocols.
type HandshakeRequest struct {
	Protocol string
	Version  int
}

type handshakeRequestJSON struct {
	Protocol *string `json:"protocol"`
	Version  *int    `json:"version"`
}

// ParseHandshakeRequest decodes the handshake at the start of buf and returns
// how many bytes it used (the record separator included). It returns
// ErrIncomplete when no 0x1E has arrived yet. The protocol name is returned
// as sent; look it up with ProtocolByName.
func ParseHandshakeRequest(buf []byte) (HandshakeRequest, int, error) {
	i := bytes.IndexByte(buf, RecordSeparator)
	if i < 0 {
		if len(buf) > MaxMessageSize {
			return HandshakeRequest{}, 0, ErrTooLarge
		}
		return HandshakeRequest{}, 0, ErrIncomplete
	}
	var hr handshakeRequestJSON
	if err := json.Unmarshal(buf[:i], &hr); err != nil {
		return HandshakeRequest{}, i + 1, fmt.Errorf("hubproto: malformed handshake request: %w", err)
	}
	if hr.Protocol == nil || *hr.Protocol == "" {
		return HandshakeRequest{}, i + 1, errors.New(`hubproto: handshake request without "protocol": want "json" or "messagepack"`)
	}
	if hr.Version == nil {
		return HandshakeRequest{}, i + 1, errors.New(`hubproto: handshake request without "version": want 1 or 2`)
	}
	return HandshakeRequest{Protocol: *hr.Protocol, Version: *hr.Version}, i + 1, nil
}

// AppendHandshakeRequest appends the client handshake for r.
func AppendHandshakeRequest(dst []byte, r HandshakeRequest) []byte {
	dst = append(dst, `{"protocol":`...)
	dst = jsonwire.AppendString(dst, r.Protocol)
	dst = append(dst, `,"version":`...)
	dst = appendJSONInt(dst, int64(r.Version))
	return append(dst, '}', RecordSeparator)
}

// AppendHandshakeResponse appends the server's answer: {} + 0x1E when errMsg
// is empty, else {"error":errMsg} + 0x1E (after which the server closes).
func AppendHandshakeResponse(dst []byte, errMsg string) []byte {
	if errMsg == "" {
		return append(dst, '{', '}', RecordSeparator)
	}
	dst = append(dst, `{"error":`...)
	dst = jsonwire.AppendString(dst, errMsg)
	return append(dst, '}', RecordSeparator)
}

// ParseHandshakeResponse decodes the server's handshake answer at the start
// of buf: errMsg is the server's error, "" on success. It fails, as the JS
// client does, when the response carries a "type" (a hub message arrived
// before the handshake).
func ParseHandshakeResponse(buf []byte) (errMsg string, n int, err error) {
	i := bytes.IndexByte(buf, RecordSeparator)
	if i < 0 {
		if len(buf) > MaxMessageSize {
			return "", 0, ErrTooLarge
		}
		return "", 0, ErrIncomplete
	}
	var hr struct {
		Error *string         `json:"error"`
		Type  json.RawMessage `json:"type"`
	}
	if err := json.Unmarshal(buf[:i], &hr); err != nil {
		return "", i + 1, fmt.Errorf("hubproto: malformed handshake response: %w", err)
	}
	if hr.Type != nil {
		return "", i + 1, errors.New("hubproto: expected a handshake response, got a hub message")
	}
	if hr.Error != nil {
		return *hr.Error, i + 1, nil
	}
	return "", i + 1, nil
}
