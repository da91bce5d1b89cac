package signalrtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// independentSignature recomputes X-ASRS-Signature with crypto/hmac directly.
func independentSignature(key, connectionID string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(connectionID))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestUpstreamHeadersAndSignature(t *testing.T) {
	up := newUpstream(t, nil)
	s := newTestServer(t, &Options{SecondaryAccessKey: secondKey, Upstream: up.templates()})
	c := connectWS(t, s, "Chat", "alice", hubproto.JSON)

	conn := up.next(t, "connected")
	h := conn.header
	assert.Equal(t, "/runtime/webhooks/signalr/chat/connections/connected", conn.path)
	assert.Equal(t, c.id, h.Get("X-ASRS-Connection-Id"))
	assert.Equal(t, "chat", h.Get("X-ASRS-Hub"))
	assert.Equal(t, "connections", h.Get("X-ASRS-Category"))
	assert.Equal(t, "connected", h.Get("X-ASRS-Event"))
	assert.Equal(t, "alice", h.Get("X-ASRS-User-Id"))
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.JSONEq(t, `{"type":10}`, string(conn.body))
	// The real service's form (spec §8): lowercase hex, entries separated by ", ".
	assert.Equal(t, independentSignature(DefaultAccessKey, c.id)+", "+independentSignature(secondKey, c.id), h.Get("X-ASRS-Signature"))
	assert.Contains(t, h.Get("X-ASRS-User-Claims"), "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier: alice")
	assert.Contains(t, h.Get("X-ASRS-User-Claims"), "aud: "+s.URL+"/client/?hub=Chat")

	q := h.Get("X-ASRS-Client-Query")
	require.True(t, strings.HasPrefix(q, "?"), q)
	assert.NotContains(t, q, "access_token", "the token must not leak upstream")
	parsed, err := url.ParseQuery(q[1:])
	require.NoError(t, err)
	assert.Equal(t, "Chat", parsed.Get("hub"))
	assert.Equal(t, c.token, parsed.Get("id"))

	c.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "broadcast", Arguments: []hubproto.Value{hubproto.JSONValue([]byte(`"hello"`))}})
	msg := up.next(t, "broadcast")
	assert.Equal(t, "/runtime/webhooks/signalr/chat/messages/broadcast", msg.path)
	assert.Equal(t, "messages", msg.header.Get("X-ASRS-Category"))
	assert.Equal(t, "application/json", msg.header.Get("Content-Type"))
	assert.JSONEq(t, `{"type":1,"target":"broadcast","arguments":["hello"]}`, string(msg.body))
	assert.NotContains(t, string(msg.body), "\x1e", "upstream bodies are unframed")

	require.NoError(t, c.ws.CloseNow())
	disc := up.next(t, "disconnected")
	assert.Equal(t, c.id, disc.header.Get("X-ASRS-Connection-Id"))
	assert.Contains(t, string(disc.body), `"Type":11`)

	eventually(t, "three upstream calls logged", func() bool { return len(s.UpstreamCalls()) == 3 })
	calls := s.UpstreamCalls()
	assert.Equal(t, "connected", calls[0].Event)
	assert.Equal(t, http.StatusOK, calls[0].Status)
}

func TestUpstreamMessagePackBody(t *testing.T) {
	up := newUpstream(t, nil)
	s := newTestServer(t, &Options{Upstream: up.templates()})
	c := connectWS(t, s, "chat", "", hubproto.MessagePack)
	c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "0", Target: "echo", Arguments: []hubproto.Value{hubproto.JSONValue([]byte(`[1,2]`))}})
	r := up.next(t, "echo")
	assert.Equal(t, "application/x-msgpack", r.header.Get("Content-Type"))
	m, err := hubproto.MessagePack.Unmarshal(r.body)
	require.NoError(t, err)
	assert.Equal(t, "echo", m.Target)
	assert.Equal(t, "0", m.InvocationID)
	assert.Empty(t, r.header.Get("X-ASRS-User-Id"), "no user id header for anonymous clients")
	assert.Equal(t, byte(0x95), r.body[0], "an unframed 5-element MessagePack array")
}

func TestUpstreamInvocationResults(t *testing.T) {
	cases := []struct {
		name   string
		reply  func(w http.ResponseWriter, p hubproto.Protocol)
		result string // JSON of the result, "" for none
		err    string
	}{
		{"verbatim completion", func(w http.ResponseWriter, p hubproto.Protocol) {
			b, _ := p.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: "0", Result: hubproto.JSONValue([]byte(`{"ok":true}`)), HasResult: true})
			_, _ = w.Write(b)
		}, `{"ok":true}`, ""},
		{"unframed completion is framed", func(w http.ResponseWriter, p hubproto.Protocol) {
			b, _ := p.Marshal(&hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: "0", Result: hubproto.JSONValue([]byte(`42`)), HasResult: true})
			_, _ = w.Write(b)
		}, `42`, ""},
		{"empty 200", func(w http.ResponseWriter, p hubproto.Protocol) {}, "", ""},
		{"204", func(w http.ResponseWriter, p hubproto.Protocol) { w.WriteHeader(http.StatusNoContent) }, "", ""},
		{"404", func(w http.ResponseWriter, p hubproto.Protocol) { w.WriteHeader(http.StatusNotFound) }, "", "Invocation failed, status code 404"},
		{"500", func(w http.ResponseWriter, p hubproto.Protocol) { w.WriteHeader(http.StatusInternalServerError) }, "", "Invocation failed, status code 500"},
	}
	for _, p := range bothProtocols {
		for _, tc := range cases {
			t.Run(p.Name()+"/"+tc.name, func(t *testing.T) {
				up := newUpstream(t, func(w http.ResponseWriter, r recordedReq) {
					if r.header.Get("X-ASRS-Category") == "messages" {
						tc.reply(w, p)
					}
				})
				s := newTestServer(t, &Options{Upstream: up.templates()})
				c := connectWS(t, s, "chat", "", p)
				c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "0", Target: "ask"})
				m := c.readType(hubproto.TypeCompletion)
				assert.Equal(t, "0", m.InvocationID)
				assert.Equal(t, tc.err, m.Error)
				assert.Equal(t, tc.err != "", m.HasError || m.Error != "")
				if tc.result != "" {
					require.True(t, m.HasResult)
					assert.JSONEq(t, tc.result, argJSON(t, m.Result))
				} else {
					assert.False(t, m.HasResult)
				}
			})
		}
	}
}

func TestUnmatchedInvocations(t *testing.T) {
	cases := []struct {
		name   string
		strict bool
	}{{"default answers", false}, {"strict drops", true}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, nil)
			tmpl := up.templates()
			tmpl[0].EventPattern = "known, other"
			s := newTestServer(t, &Options{Upstream: tmpl, StrictAzure: tc.strict})
			c := connectWS(t, s, "chat", "", hubproto.JSON)
			c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "0", Target: "unknown"})
			c.send(&hubproto.Message{Type: hubproto.TypeStreamInvocation, InvocationID: "1", Target: "known"})
			c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "2", Target: "KNOWN"})
			if tc.strict {
				// Only the matched invocation produces a completion.
				m := c.readType(hubproto.TypeCompletion)
				assert.Equal(t, "2", m.InvocationID)
				return
			}
			m := c.readType(hubproto.TypeCompletion)
			assert.Equal(t, "0", m.InvocationID)
			assert.Equal(t, "No upstream is configured for event 'unknown' of hub 'chat'.", m.Error)
			m = c.readType(hubproto.TypeCompletion)
			assert.Equal(t, "1", m.InvocationID)
			assert.Equal(t, "Stream invocation is not supported in serverless mode.", m.Error)
			m = c.readType(hubproto.TypeCompletion)
			assert.Equal(t, "2", m.InvocationID)
			assert.Empty(t, m.Error)
		})
	}
}

// A slow upstream for one connection must not delay another connection, while
// each connection's own events stay in order.
func TestUpstreamOrderingWithoutHeadOfLineBlocking(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	order := map[string][]string{}
	up := newUpstream(t, func(w http.ResponseWriter, r recordedReq) {
		id := r.header.Get("X-ASRS-Connection-Id")
		ev := r.header.Get("X-ASRS-Event")
		mu.Lock()
		order[id] = append(order[id], ev)
		mu.Unlock()
		if ev == "slow" {
			<-release
		}
	})
	s := newTestServer(t, &Options{Upstream: up.templates()})
	a := connectWS(t, s, "chat", "a", hubproto.JSON)
	b := connectWS(t, s, "chat", "b", hubproto.JSON)
	a.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "slow"})
	a.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "after"})
	b.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "fast"})
	r := up.next(t, "fast")
	assert.Equal(t, b.id, r.header.Get("X-ASRS-Connection-Id"), "b is served while a's upstream is stuck")
	mu.Lock()
	assert.NotContains(t, order[a.id], "after", "a's next event waits for its previous one")
	mu.Unlock()
	close(release)
	up.next(t, "after")
	mu.Lock()
	assert.Equal(t, []string{"connected", "slow", "after"}, order[a.id])
	mu.Unlock()
}

func TestUpstreamManagedIdentityAuth(t *testing.T) {
	up := newUpstream(t, nil)
	tmpl := up.templates()
	tmpl[0].Auth = &UpstreamAuth{Type: "ManagedIdentity"}
	tmpl[0].Auth.ManagedIdentity.Resource = "api://my-func"
	s := newTestServer(t, &Options{Upstream: tmpl})
	connectWS(t, s, "chat", "", hubproto.JSON)
	r := up.next(t, "connected")
	auth := r.header.Get("Authorization")
	require.True(t, strings.HasPrefix(auth, "Bearer "), auth)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(strings.TrimPrefix(auth, "Bearer "), claims, func(*jwt.Token) (any, error) { return []byte(DefaultAccessKey), nil })
	require.NoError(t, err)
	assert.Equal(t, "api://my-func", claims["aud"])
}

func TestUpstreamFailureHidesFunctionKey(t *testing.T) {
	dead := newUpstream(t, nil)
	addr := dead.srv.URL
	dead.srv.Close() // nothing listens there any more
	var logs strings.Builder
	s := newTestServer(t, &Options{
		Upstream: []UpstreamTemplate{{UrlTemplate: addr + "/runtime/webhooks/signalr?code=SECRETKEY"}},
		Logger:   slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
	})
	c := connectWS(t, s, "chat", "", hubproto.JSON)
	c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "0", Target: "x"})
	m := c.readType(hubproto.TypeCompletion)
	assert.True(t, strings.HasPrefix(m.Error, "Invocation failed, error: "), m.Error)
	assert.NotContains(t, m.Error, "SECRETKEY")
	for _, call := range s.UpstreamCalls() {
		assert.NotContains(t, call.Err, "SECRETKEY")
	}
	s.Close()
	assert.NotContains(t, logs.String(), "SECRETKEY")
	assert.Contains(t, logs.String(), "upstream request failed")
}

// syncWriter serialises writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// X-ASRS-Client-Query carries the client's query (the service's even carries its
// access_token, spec §8), so it is secret-bearing: nothing the server logs, at any level,
// holds it, the client's token, an access key or a function key.
func TestLogsNeverCarryClientQueryOrSecrets(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r recordedReq) {
		if r.header.Get("X-ASRS-Category") == "messages" {
			_, _ = io.WriteString(w, "not a hub message") // logged as a bad reply
		}
	})
	dead := newUpstream(t, nil)
	deadURL := dead.srv.URL
	dead.srv.Close()
	var logs strings.Builder
	s := newTestServer(t, &Options{
		SecondaryAccessKey: secondKey,
		Upstream: []UpstreamTemplate{
			{UrlTemplate: deadURL + "/runtime/webhooks/signalr?code=FUNCTIONKEY", EventPattern: "unreachable"},
			{UrlTemplate: up.srv.URL + "/runtime/webhooks/signalr?code=FUNCTIONKEY"},
		},
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	tok := clientToken(t, s, "chat", "alice")
	status, nr, body := negotiate(t, s, "hub=chat&negotiateVersion=1", tok)
	require.Equal(t, http.StatusOK, status, string(body))
	c := &wsClient{t: t, id: nr.ConnectionID, token: nr.ConnectionToken}
	wsURL := "ws" + strings.TrimPrefix(s.URL, "http") + "/client/?hub=chat&id=" + c.token + "&secret=QUERYSECRET&access_token=" + tok
	ws, resp, err := websocket.Dial(testCtx(t), wsURL, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	c.ws = ws
	c.handshake(hubproto.JSON, 1)
	connected := up.next(t, "connected")
	require.Contains(t, connected.header.Get("X-ASRS-Client-Query"), "secret=QUERYSECRET", "the query goes upstream")
	require.NotContains(t, connected.header.Get("X-ASRS-Client-Query"), "access_token", "without the token (a deliberate deviation)")

	c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "garbled"})
	assert.Contains(t, c.readType(hubproto.TypeCompletion).Error, "Invocation failed")
	c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "2", Target: "unreachable"})
	assert.Contains(t, c.readType(hubproto.TypeCompletion).Error, "Invocation failed")
	require.NoError(t, c.ws.Write(testCtx(t), websocket.MessageText, []byte("{\"type\":1,\"target\":7}\x1e"))) // malformed: logged and skipped
	res := restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", payload, tok, "")
	require.Equal(t, http.StatusUnauthorized, res.status, "a client token is no REST token")
	require.Equal(t, http.StatusNoContent, rest(t, s, http.MethodPost, "/api/hubs/chat/:closeConnections?reason=bye", nil).status)
	up.next(t, "disconnected")
	s.Close()

	out := logs.String()
	require.Contains(t, out, "upstream reply is not a hub message", "the test exercised the logging paths")
	require.Contains(t, out, "upstream request failed")
	require.Contains(t, out, "skipping a malformed message")
	for _, secret := range []string{tok, "QUERYSECRET", "X-ASRS-Client-Query", "access_token", "FUNCTIONKEY", DefaultAccessKey, secondKey} {
		assert.NotContains(t, out, secret)
	}
}
