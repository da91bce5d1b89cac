package hubproto

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHandshakeRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want HandshakeRequest
		n    int
		err  string
	}{
		{"json v1", "{\"protocol\":\"json\",\"version\":1}\x1e", HandshakeRequest{"json", 1}, 32, ""},
		{"messagepack v2 then ping", "{\"protocol\":\"messagepack\",\"version\":2}\x1e\x02\x91\x06", HandshakeRequest{"messagepack", 2}, 39, ""},
		{"extra fields", "{\"protocol\":\"json\",\"version\":1,\"x\":true}\x1e", HandshakeRequest{"json", 1}, 41, ""},
		{"no protocol", "{\"version\":1}\x1e", HandshakeRequest{}, 14, `without "protocol"`},
		{"no version", "{\"protocol\":\"json\"}\x1e", HandshakeRequest{}, 20, `without "version"`},
		{"bad json", "{\x1e", HandshakeRequest{}, 2, "malformed handshake request"},
		{"wrong types", "{\"protocol\":1,\"version\":\"1\"}\x1e", HandshakeRequest{}, 29, "malformed handshake request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := ParseHandshakeRequest([]byte(tt.in))
			assert.Equal(t, tt.n, n)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, n, err := ParseHandshakeRequest([]byte(`{"protocol":"json","version":1}`))
	assert.ErrorIs(t, err, ErrIncomplete)
	assert.Zero(t, n)
}

func TestHandshakeRoundTrip(t *testing.T) {
	req := AppendHandshakeRequest(nil, HandshakeRequest{Protocol: "messagepack", Version: 1})
	assert.Equal(t, "{\"protocol\":\"messagepack\",\"version\":1}\x1e", string(req))
	got, n, err := ParseHandshakeRequest(req)
	require.NoError(t, err)
	assert.Equal(t, len(req), n)
	assert.Equal(t, HandshakeRequest{"messagepack", 1}, got)

	assert.Equal(t, "{}\x1e", string(AppendHandshakeResponse(nil, "")))
	resp := AppendHandshakeResponse([]byte("x"), "Requested protocol 'xml' is not available.")
	assert.Equal(t, "x{\"error\":\"Requested protocol 'xml' is not available.\"}\x1e", string(resp))
	msg, n, err := ParseHandshakeResponse(resp[1:])
	require.NoError(t, err)
	assert.Equal(t, len(resp)-1, n)
	assert.Equal(t, "Requested protocol 'xml' is not available.", msg)
}

func TestParseHandshakeResponse(t *testing.T) {
	msg, n, err := ParseHandshakeResponse([]byte("{}\x1e{\"type\":6}\x1e"))
	require.NoError(t, err)
	assert.Equal(t, "", msg)
	assert.Equal(t, 3, n)
	_, _, err = ParseHandshakeResponse([]byte("{\"minorVersion\":1}\x1e"))
	assert.NoError(t, err)
	_, _, err = ParseHandshakeResponse([]byte("{\"type\":6}\x1e"))
	assert.ErrorContains(t, err, "expected a handshake response")
	_, _, err = ParseHandshakeResponse([]byte("{}"))
	assert.ErrorIs(t, err, ErrIncomplete)
	_, _, err = ParseHandshakeResponse([]byte("[\x1e"))
	assert.ErrorContains(t, err, "malformed handshake response")
}
