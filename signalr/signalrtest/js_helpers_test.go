package signalrtest_test

// Shared plumbing of the official-client tests (js_*_test.go): one emulator per test with a
// real HTTP upstream, client tokens minted with jwt/v5 as the service's SDKs do, and the
// official JS client driven through internal/jsclient.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// jsSecondaryKey is configured next to the default primary key so every upstream request must
// carry two signatures.
const jsSecondaryKey = "SecondaryKey0123456789abcdefghijklmnopqrstuv"

// jsEnv is one emulator, its upstream and a REST client, shared by the subtests of a test.
type jsEnv struct {
	srv    *signalrtest.Server
	client *signalr.Client
	up     *upstream
	clock  *testClock
}

// upstreamURL is the template of the recording upstream; "UPSTREAM" stands for its base URL
// in Options.Upstream passed to newJSEnv.
const upstreamURL = "UPSTREAM/upstream/{hub}/{category}/{event}"

// newJSEnv skips (or fails under CI=true) without Node, then starts an emulator whose events
// go to a recording upstream: every event, unless opts.Upstream narrows the rules.
func newJSEnv(t *testing.T, opts *signalrtest.Options) *jsEnv {
	t.Helper()
	jsclient.Require(t)
	var o signalrtest.Options
	if opts != nil {
		o = *opts
	}
	o.SecondaryAccessKey = jsSecondaryKey
	clock := &testClock{}
	if o.Now == nil {
		o.Now = clock.Now
	}
	up := newUpstream(t, []string{signalrtest.DefaultAccessKey, jsSecondaryKey})
	if o.Upstream == nil {
		o.Upstream = []signalrtest.UpstreamTemplate{{UrlTemplate: upstreamURL, HubPattern: "*", CategoryPattern: "*", EventPattern: "*"}}
	}
	o.Upstream = slices.Clone(o.Upstream)
	for i := range o.Upstream {
		o.Upstream[i].UrlTemplate = strings.ReplaceAll(o.Upstream[i].UrlTemplate, "UPSTREAM", up.srv.URL)
	}
	srv := signalrtest.NewServer(&o)
	t.Cleanup(srv.Close)
	client, err := signalr.NewClientFromConnectionString(srv.ConnectionString(), nil)
	require.NoError(t, err)
	return &jsEnv{srv: srv, client: client, up: up, clock: clock}
}

// testClock is the emulator's clock: real time plus an offset tests move forward.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// clientURL is what a negotiate redirect hands the client: the service's client endpoint.
func (e *jsEnv) clientURL(hub string) string {
	return e.srv.URL + "/client/?hub=" + url.QueryEscape(hub)
}

// tokenClaims are the claims of a client access token as the service SDK mints them
// (service-protocol.md §2.3).
func tokenClaims(hub, user string, now time.Time) jwt.MapClaims {
	c := jwt.MapClaims{
		// The audience base is scheme://host/ of the endpoint, without the port.
		"aud": "http://127.0.0.1/client/?hub=" + strings.ToLower(hub),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	if user != "" {
		c["asrs.s.uid"] = user
	}
	return c
}

func signToken(t testing.TB, claims jwt.MapClaims, key string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	require.NoError(t, err)
	return tok
}

// token mints a valid client token for hub and user with the primary key.
func (e *jsEnv) token(t testing.TB, hub, user string) string {
	return signToken(t, tokenClaims(hub, user, time.Now()), e.srv.AccessKeys()[0])
}

// start connects the official client to hub as user over combo.
func (e *jsEnv) start(t *testing.T, combo jsclient.Combination, hub, user string, cfg jsclient.Config) *jsclient.Client {
	t.Helper()
	cfg.URL = e.clientURL(hub)
	cfg.Transport, cfg.Protocol = combo.Transport, combo.Protocol
	if cfg.AccessToken == "" {
		cfg.AccessToken = e.token(t, hub, user)
	}
	return jsclient.Start(t, cfg)
}

// hubName makes a hub per subtest so parallel subtests never see each other's broadcasts.
func hubName(prefix string, combo jsclient.Combination) string {
	return prefix + "_" + strings.ToLower(string(combo.Transport)) + "_" + string(combo.Protocol)
}

// forEachCombination runs f as a parallel subtest per transport × protocol.
func forEachCombination(t *testing.T, f func(t *testing.T, combo jsclient.Combination)) {
	forEachCombinationWhere(t, func(jsclient.Combination) bool { return true }, f)
}

// forEachCombinationWhere is forEachCombination over the combinations keep accepts, so a case
// that does not apply to a transport is not run at all rather than reported as skipped.
func forEachCombinationWhere(t *testing.T, keep func(jsclient.Combination) bool, f func(t *testing.T, combo jsclient.Combination)) {
	for _, combo := range jsclient.Combinations() {
		if !keep(combo) {
			continue
		}
		t.Run(combo.Name(), func(t *testing.T) {
			t.Parallel()
			f(t, combo)
		})
	}
}

// upstreamCall is one request the emulator made to the upstream.
type upstreamCall struct {
	Hub, Category, Event string
	ConnectionID, UserID string
	ClientQuery          string
	UserClaims           string
	Protocol             string // "json" or "messagepack" for messages
	Message              hubproto.Message
	Body                 []byte
	// Problems lists every way the request broke the upstream contract (headers, signature,
	// URL, body); tests require it to be empty.
	Problems []string
}

// upstream is a plain HTTP server standing in for a function app: it checks each request
// against service-protocol.md §4, records it, and answers invocations by target:
//
//	echo   → a Completion whose result is the first argument
//	fail   → a Completion with the error "upstream says no"
//	status → the HTTP status given as the first argument, no body
//	void   → 204
//	other  → 200 with an empty body
type upstream struct {
	srv  *httptest.Server
	keys []string

	mu      sync.Mutex
	calls   []upstreamCall
	changed chan struct{}
}

func newUpstream(t *testing.T, keys []string) *upstream {
	u := &upstream{keys: keys, changed: make(chan struct{})}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

// signature is the upstream signature for one key, computed independently of the emulator.
func signature(key, connectionID string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(connectionID))
	return "sha256=" + strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := upstreamCall{
		Hub:          r.Header.Get("X-ASRS-Hub"),
		Category:     r.Header.Get("X-ASRS-Category"),
		Event:        r.Header.Get("X-ASRS-Event"),
		ConnectionID: r.Header.Get("X-ASRS-Connection-Id"),
		UserID:       r.Header.Get("X-ASRS-User-Id"),
		ClientQuery:  r.Header.Get("X-ASRS-Client-Query"),
		UserClaims:   r.Header.Get("X-ASRS-User-Claims"),
		Body:         body,
	}
	problem := func(s string) { c.Problems = append(c.Problems, s) }
	if r.Method != http.MethodPost {
		problem("method " + r.Method + ", want POST")
	}
	if c.Hub == "" || c.Category == "" || c.Event == "" || c.ConnectionID == "" {
		problem("missing X-ASRS-Hub/Category/Event/Connection-Id")
	}
	if want := "/upstream/" + c.Hub + "/" + c.Category + "/" + c.Event; r.URL.Path != want {
		problem("path " + r.URL.Path + ", want the template expanded to " + want)
	}
	sigs := strings.Split(r.Header.Get("X-ASRS-Signature"), ",")
	for _, key := range u.keys {
		found := false
		for _, s := range sigs {
			if strings.EqualFold(strings.TrimSpace(s), signature(key, c.ConnectionID)) {
				found = true
			}
		}
		if !found {
			problem("X-ASRS-Signature " + r.Header.Get("X-ASRS-Signature") + " lacks the signature of a configured key")
		}
	}
	if c.ClientQuery != "" && !strings.HasPrefix(c.ClientQuery, "?") {
		problem("X-ASRS-Client-Query " + c.ClientQuery + " lacks the leading ?")
	}
	if q, err := url.ParseQuery(strings.TrimPrefix(c.ClientQuery, "?")); err != nil || q.Has("access_token") {
		problem("X-ASRS-Client-Query leaks access_token or does not parse: " + c.ClientQuery)
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	reply := func(status int, m *hubproto.Message, proto hubproto.Protocol) {
		if m == nil {
			w.WriteHeader(status)
			return
		}
		b, err := proto.AppendFrame(nil, m)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", mt)
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
	switch c.Category {
	case "connections":
		if mt != "application/json" {
			problem("connection event Content-Type " + mt + ", want application/json")
		}
		u.record(c)
		w.WriteHeader(http.StatusOK)
		return
	case "messages":
	default:
		problem("category " + c.Category)
		u.record(c)
		w.WriteHeader(http.StatusOK)
		return
	}
	var proto hubproto.Protocol
	switch mt {
	case "application/json":
		proto, c.Protocol = hubproto.JSON, "json"
	case "application/x-msgpack":
		proto, c.Protocol = hubproto.MessagePack, "messagepack"
	default:
		problem("message Content-Type " + mt + ", want application/json or application/x-msgpack")
		u.record(c)
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	m, err := proto.Unmarshal(body)
	if err != nil {
		problem("body is not an unframed " + c.Protocol + " message: " + err.Error())
	}
	if err == nil && (m.Type != hubproto.TypeInvocation || !strings.EqualFold(m.Target, c.Event)) {
		problem("body is " + m.Type.String() + " " + m.Target + ", want an Invocation of " + c.Event)
	}
	c.Message = m
	u.record(c)
	if m.InvocationID == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	switch strings.ToLower(c.Event) {
	case "echo":
		var result hubproto.Value
		if len(m.Arguments) > 0 {
			result = m.Arguments[0]
		}
		reply(http.StatusOK, &hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: m.InvocationID, Result: result, HasResult: true}, proto)
	case "fail":
		reply(http.StatusOK, &hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: m.InvocationID, Error: "upstream says no", HasError: true}, proto)
	case "status":
		var code int
		if len(m.Arguments) == 0 || m.Arguments[0].Decode(&code) != nil || code < 200 || code > 599 {
			code = http.StatusTeapot
		}
		reply(code, nil, proto)
	case "void":
		reply(http.StatusNoContent, nil, proto)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (u *upstream) record(c upstreamCall) {
	u.mu.Lock()
	u.calls = append(u.calls, c)
	close(u.changed)
	u.changed = make(chan struct{})
	u.mu.Unlock()
}

// wait returns the first recorded call match accepts, waiting up to 10 s for it.
func (u *upstream) wait(t *testing.T, what string, match func(upstreamCall) bool) upstreamCall {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		u.mu.Lock()
		for _, c := range u.calls {
			if match(c) {
				u.mu.Unlock()
				assert.Empty(t, c.Problems, "upstream request %s/%s", c.Category, c.Event)
				return c
			}
		}
		ch := u.changed
		u.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("upstream: no %s within 10s", what)
		}
	}
}

// count returns how many recorded calls match accepts.
func (u *upstream) count(match func(upstreamCall) bool) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, c := range u.calls {
		if match(c) {
			n++
		}
	}
	return n
}

// event matches calls of one connection, category and event.
func event(connectionID, category, name string) func(upstreamCall) bool {
	return func(c upstreamCall) bool {
		return c.ConnectionID == connectionID && c.Category == category && strings.EqualFold(c.Event, name)
	}
}

// argString decodes argument i of a recorded invocation as a string.
func argString(t *testing.T, c upstreamCall, i int) string {
	t.Helper()
	require.Greater(t, len(c.Message.Arguments), i)
	var s string
	require.NoError(t, c.Message.Arguments[i].Decode(&s))
	return s
}

// ctxFor bounds a subtest's waits.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func itoa(i int) string { return strconv.Itoa(i) }
