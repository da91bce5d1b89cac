package signalrtest

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// Kestrel percent-decodes the path (all but %2F) and then removes dot segments, so an
// encoded dot segment is as much a dot segment as a literal one (aspnetcore
// src/Servers/Kestrel/Core/src/Internal/Http/PathNormalizer.cs, DecodePath, and
// src/Shared/UrlDecoder/UrlDecoder.cs, which skips only %2F).
func TestPathSegmentsRemoveDotSegmentsAsKestrel(t *testing.T) {
	cases := []struct {
		path string
		want []string
	}{
		{"/api/hubs/chat/users/../:send", []string{"api", "hubs", "chat", ":send"}},
		{"/api/hubs/chat/users/%2E%2E/:send", []string{"api", "hubs", "chat", ":send"}},
		{"/api/hubs/chat/users/%2e./:send", []string{"api", "hubs", "chat", ":send"}},
		{"/api/hubs/chat/users/./:send", []string{"api", "hubs", "chat", "users", ":send"}},
		{"/api/hubs/chat/users/%2E/alice/:send", []string{"api", "hubs", "chat", "users", "alice", ":send"}},
		{"/api/hubs/chat/users/..", []string{"api", "hubs", "chat"}},
		{"/api/hubs/chat/users/../../../../../api/health", []string{"api", "health"}},
		{"/api/hubs/chat/users/a%2F../:send", []string{"api", "hubs", "chat", "users", "a/..", ":send"}},
		{"/api/hubs/chat/users/.../:send", []string{"api", "hubs", "chat", "users", "...", ":send"}},
		{"/api/hubs/chat/users/..a/:send", []string{"api", "hubs", "chat", "users", "..a", ":send"}},
		{"/api/hubs/chat/users/%20../:send", []string{"api", "hubs", "chat", "users", " ..", ":send"}},
		{"/api/hubs/chat/groups//:send", []string{"api", "hubs", "chat", "groups", "", ":send"}},
		{"/client/", []string{"client"}},
		{"/client/negotiate/", []string{"client", "negotiate"}},
		{"/", nil},
		{"", nil},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			got, err := pathSegments(tc.path)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := pathSegments("/api/hubs/chat/users/%zz/:send")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "segment 5 is not validly percent-encoded")
}

// A user id of ".." sent as a path segment, literal or percent-encoded, addresses the hub:
// the send is a broadcast and the close closes every connection, as behind the service's
// Kestrel. An id holding an encoded slash is an ordinary id.
func TestDotSegmentIDsChangeTheTarget(t *testing.T) {
	s := newTestServer(t, nil)
	alice := connectWS(t, s, "chat", "alice", hubproto.JSON)
	bob := connectWS(t, s, "chat", "bob", hubproto.JSON)
	odd := connectWS(t, s, "chat", "a/..", hubproto.JSON)
	eventually(t, "three connections", func() bool { return len(s.Connections("chat")) == 3 })

	for i, path := range []string{
		"/api/hubs/chat/users/../:send",
		"/api/hubs/chat/users/%2E%2E/:send",
		"/api/hubs/chat/users/.%2e/:send",
	} {
		res := rest(t, s, http.MethodPost, path, map[string]any{"target": "dot", "arguments": []any{i}})
		require.Equal(t, http.StatusAccepted, res.status, string(res.body))
		for _, c := range []*wsClient{alice, bob, odd} {
			m := c.read(false)
			assert.Equal(t, "dot", m.Target, "%s reaches every connection", path)
			assert.Equal(t, strconv.Itoa(i), argJSON(t, m.Arguments[0]))
		}
	}

	res := rest(t, s, http.MethodPost, "/api/hubs/chat/users/a%2F../:send", map[string]any{"target": "only", "arguments": []any{"odd"}})
	require.Equal(t, http.StatusAccepted, res.status, string(res.body))
	m := odd.read(false)
	assert.Equal(t, "only", m.Target)
	res = rest(t, s, http.MethodPost, "/api/hubs/chat/:send", map[string]any{"target": "marker"})
	require.Equal(t, http.StatusAccepted, res.status)
	assert.Equal(t, "marker", alice.read(false).Target, "alice got nothing addressed to user a/..")
	assert.Equal(t, "marker", bob.read(false).Target, "bob got nothing addressed to user a/..")

	res = rest(t, s, http.MethodPost, "/api/hubs/chat/users/%2E%2E/:closeConnections", nil)
	require.Equal(t, http.StatusNoContent, res.status)
	for _, c := range []*wsClient{alice, bob, odd} {
		assert.Equal(t, hubproto.TypeClose, c.readType(hubproto.TypeClose).Type)
	}
	eventually(t, "every connection closed", func() bool { return len(s.Connections("chat")) == 0 })
}

// Every 405 names the methods the route takes in an Allow header.
func TestMethodNotAllowedCarriesAllow(t *testing.T) {
	s := newTestServer(t, nil)
	cases := []struct {
		method, path, allow string
	}{
		{"POST", "/api/health", "GET, HEAD"},
		{"DELETE", "/api/v1/health", "GET, HEAD"},
		{"POST", "/api/v1/auth/accessKey", "GET"},
		{"GET", "/api/hubs/chat/:send", "POST"},
		{"GET", "/api/hubs/chat/:closeConnections", "POST"},
		{"GET", "/api/hubs/chat/:generateToken", "POST"},
		{"GET", "/api/hubs/chat/:execute", "POST"},
		{"GET", "/api/v1/hubs/chat", "POST"},
		{"PATCH", "/api/hubs/chat/users/alice", "POST, GET, HEAD"},
		{"GET", "/api/hubs/chat/users/alice/:send", "POST"},
		{"PUT", "/api/hubs/chat/users/alice/groups", "DELETE"},
		{"POST", "/api/hubs/chat/users/alice/groups/g", "PUT, DELETE, GET, HEAD"},
		{"PUT", "/api/hubs/chat/connections/c", "POST, GET, HEAD, DELETE"},
		{"GET", "/api/hubs/chat/connections/c/:invoke", "POST"},
		{"PUT", "/api/hubs/chat/connections/c/groups", "DELETE"},
		{"GET", "/api/hubs/chat/connections/c/streams/s/:send", "POST"},
		{"DELETE", "/api/hubs/chat/groups/g", "POST, GET, HEAD"},
		{"POST", "/api/hubs/chat/groups/g/connections", "GET"},
		{"POST", "/api/hubs/chat/groups/g/connections/c", "PUT, DELETE"},
		{"GET", "/client/negotiate?hub=chat", "POST"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := rest(t, s, tc.method, tc.path, nil)
			require.Equal(t, http.StatusMethodNotAllowed, res.status, string(res.body))
			assert.Equal(t, tc.allow, res.header.Get("Allow"))
			assert.Contains(t, string(res.body), tc.allow)
		})
	}

	t.Run("client endpoint", func(t *testing.T) {
		c := connectWS(t, s, "chat", "alice", hubproto.JSON)
		tok := clientToken(t, s, "chat", "alice")
		res := restWithToken(t, s, http.MethodPut, "/client/?hub=chat&id="+c.token, nil, tok, "")
		require.Equal(t, http.StatusMethodNotAllowed, res.status)
		assert.Equal(t, "GET, POST, DELETE", res.header.Get("Allow"))
		res = restWithToken(t, s, http.MethodPost, "/client/?hub=chat&id="+c.token, "x", tok, "")
		require.Equal(t, http.StatusMethodNotAllowed, res.status, "POST on a WebSocket connection")
		assert.Equal(t, "GET", res.header.Get("Allow"))
	})
}
