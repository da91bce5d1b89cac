package signalrtest

import (
	"bytes"
	"context"
	"encoding/json"

	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

const secondKey = "SECONDARYKEY0123456789abcdefghijklmnopqrstu"

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestServer(t testing.TB, opts *Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

func sign(t testing.TB, key string, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	require.NoError(t, err)
	return tok
}

// restToken signs a REST token the way the newer SDK does: aud = request URL without query.
func restToken(t testing.TB, s *Server, path string) string {
	now := s.now()
	return sign(t, s.keys[0], jwt.MapClaims{"aud": s.URL + path, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix()})
}

// clientToken signs a client access token for hub as user (none when "").
func clientToken(t testing.TB, s *Server, hub, user string) string {
	now := s.now()
	c := jwt.MapClaims{"aud": s.URL + "/client/?hub=" + hub, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix()}
	if user != "" {
		c["nameid"] = user
	}
	return sign(t, s.keys[0], c)
}

type restResult struct {
	status int
	header http.Header
	body   []byte
}

// rest calls the REST API with a valid token for path (query excluded from aud).
func rest(t testing.TB, s *Server, method, pathAndQuery string, body any) restResult {
	t.Helper()
	path, _, _ := strings.Cut(pathAndQuery, "?")
	return restWithToken(t, s, method, pathAndQuery, body, restToken(t, s, path), "")
}

func restWithToken(t testing.TB, s *Server, method, pathAndQuery string, body any, token, contentType string) restResult {
	t.Helper()
	res, err := restTry(s, method, pathAndQuery, body, token, contentType)
	require.NoError(t, err)
	return res
}

// restTry is restWithToken without assertions, for use on other goroutines.
func restTry(s *Server, method, pathAndQuery string, body any, token, contentType string) (restResult, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return restResult{}, err
		}
		rd = bytes.NewReader(j)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, err := http.NewRequest(method, s.URL+pathAndQuery, rd)
	if err != nil {
		return restResult{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return restResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return restResult{resp.StatusCode, resp.Header, b}, err
}

func negotiate(t testing.TB, s *Server, query, token string) (int, negotiateResponse, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/client/negotiate?"+query, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var nr negotiateResponse
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(b, &nr), string(b))
	}
	return resp.StatusCode, nr, b
}

// wsClient is a minimal hub-protocol client over WebSockets for framing tests.
type wsClient struct {
	t     testing.TB
	ws    *websocket.Conn
	proto hubproto.Protocol
	buf   []byte
	id    string // connection id
	token string // connection token
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialWS negotiates (v1) and opens a WebSocket, without the handshake.
func dialWS(t testing.TB, s *Server, hub, user string, stateful bool) *wsClient {
	t.Helper()
	tok := clientToken(t, s, hub, user)
	q := "hub=" + hub + "&negotiateVersion=1"
	if stateful {
		q += "&useStatefulReconnect=true"
	}
	status, nr, body := negotiate(t, s, q, tok)
	require.Equal(t, http.StatusOK, status, string(body))
	c := &wsClient{t: t, id: nr.ConnectionID, token: nr.ConnectionToken}
	c.ws = c.open(s, hub, tok)
	return c
}

func (c *wsClient) open(s *Server, hub, tok string) *websocket.Conn {
	c.t.Helper()
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/client/?hub=" + hub + "&id=" + c.token + "&access_token=" + tok
	ws, resp, err := websocket.Dial(testCtx(c.t), u, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(c.t, err)
	ws.SetReadLimit(32 << 20)
	c.t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// connectWS dials and completes the handshake in protocol p.
func connectWS(t testing.TB, s *Server, hub, user string, p hubproto.Protocol) *wsClient {
	t.Helper()
	c := dialWS(t, s, hub, user, false)
	c.handshake(p, 1)
	return c
}

func (c *wsClient) handshake(p hubproto.Protocol, version int) {
	c.t.Helper()
	c.proto = p
	require.NoError(c.t, c.ws.Write(testCtx(c.t), websocket.MessageText, hubproto.AppendHandshakeRequest(nil, hubproto.HandshakeRequest{Protocol: p.Name(), Version: version})))
	errMsg := c.readHandshake()
	require.Empty(c.t, errMsg)
}

func (c *wsClient) readHandshake() string {
	c.t.Helper()
	for {
		msg, n, err := hubproto.ParseHandshakeResponse(c.buf)
		if err == nil {
			c.buf = c.buf[n:]
			return msg
		}
		require.ErrorIs(c.t, err, hubproto.ErrIncomplete)
		c.fill()
	}
}

func (c *wsClient) fill() {
	c.t.Helper()
	_, data, err := c.ws.Read(testCtx(c.t))
	require.NoError(c.t, err)
	c.buf = append(c.buf, data...)
}

func (c *wsClient) send(m *hubproto.Message) {
	c.t.Helper()
	b, err := c.proto.AppendFrame(nil, m)
	require.NoError(c.t, err)
	typ := websocket.MessageText
	if c.proto.Binary() {
		typ = websocket.MessageBinary
	}
	require.NoError(c.t, c.ws.Write(testCtx(c.t), typ, b))
}

// read returns the next message, skipping pings unless wantPing.
func (c *wsClient) read(wantPing bool) hubproto.Message {
	c.t.Helper()
	for {
		if len(c.buf) > 0 {
			m, n, err := c.proto.ParseFrame(c.buf)
			if err == nil {
				c.buf = c.buf[n:]
				if m.Type == hubproto.TypePing && !wantPing {
					continue
				}
				return m
			}
			require.ErrorIs(c.t, err, hubproto.ErrIncomplete)
		}
		c.fill()
	}
}

// readType reads until a message of type typ, skipping others (pings, acks).
func (c *wsClient) readType(typ hubproto.MessageType) hubproto.Message {
	c.t.Helper()
	for {
		m := c.read(true)
		if m.Type == typ {
			return m
		}
	}
}

func argJSON(t testing.TB, v hubproto.Value) string {
	t.Helper()
	b, err := v.JSON()
	require.NoError(t, err)
	return string(b)
}

// upstreamRecorder is a fake function app receiving upstream requests.
type upstreamRecorder struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []recordedReq
	reply func(w http.ResponseWriter, r recordedReq)
	got   chan recordedReq
}

type recordedReq struct {
	header http.Header
	body   []byte
	path   string
}

func newUpstream(t testing.TB, reply func(w http.ResponseWriter, r recordedReq)) *upstreamRecorder {
	u := &upstreamRecorder{reply: reply, got: make(chan recordedReq, 1000)}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rr := recordedReq{header: r.Header.Clone(), body: b, path: r.URL.RequestURI()}
		u.mu.Lock()
		u.reqs = append(u.reqs, rr)
		u.mu.Unlock()
		if u.reply != nil {
			u.reply(w, rr)
		}
		u.got <- rr
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstreamRecorder) templates() []UpstreamTemplate {
	return []UpstreamTemplate{{UrlTemplate: u.srv.URL + "/runtime/webhooks/signalr/{hub}/{category}/{event}"}}
}

// next waits for the next upstream request matching event.
func (u *upstreamRecorder) next(t testing.TB, event string) recordedReq {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-u.got:
			if r.header.Get("X-ASRS-Event") == event {
				return r
			}
		case <-deadline:
			t.Fatalf("no upstream %q event arrived", event)
			return recordedReq{}
		}
	}
}

// eventually polls cond; used for state that settles asynchronously.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
