package signalrtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// traceStream reads /trace/events in the background.
type traceStream struct {
	t      testing.TB
	resp   *http.Response
	events chan map[string]any
	frames chan string // every raw SSE block, for secret checks
}

// openTrace subscribes to the server's trace with the given query; it fails the test on a
// status other than 200.
func openTrace(t testing.TB, s *Server, query string, header http.Header) *traceStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/trace/events?"+query, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	ts := &traceStream{t: t, resp: resp, events: make(chan map[string]any, 4096), frames: make(chan string, 4096)}
	go func() {
		defer close(ts.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var block strings.Builder
		var data string
		for sc.Scan() {
			line := sc.Text()
			if line != "" {
				block.WriteString(line + "\n")
				if d, ok := strings.CutPrefix(line, "data: "); ok {
					data = d
				}
				continue
			}
			select {
			case ts.frames <- block.String():
			default: // tests reading frames see few events; the others never read them
			}
			block.Reset()
			if data == "" {
				continue
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				ev = map[string]any{"kind": "unparseable", "data": data}
			}
			data = ""
			ts.events <- ev
		}
	}()
	return ts
}

// next returns the next event that match accepts, skipping others.
func (ts *traceStream) next(what string, match func(map[string]any) bool) map[string]any {
	ts.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ts.events:
			require.True(ts.t, ok, "the trace stream ended while waiting for %s", what)
			if match(ev) {
				return ev
			}
		case <-deadline:
			ts.t.Fatalf("no trace event %s within 10s", what)
			return nil
		}
	}
}

// kindFor matches events of a kind whose fields include want.
func kindFor(kind string, want map[string]any) func(map[string]any) bool {
	return func(ev map[string]any) bool {
		if ev["kind"] != kind {
			return false
		}
		for k, v := range want {
			if fmt.Sprint(ev[k]) != fmt.Sprint(v) {
				return false
			}
		}
		return true
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sortedKeys(ks ...string) []string {
	ks = append(ks, "seq", "time", "kind", "hub")
	slices.Sort(ks)
	return ks
}

// echoUpstream answers invocations of "echo" with their first argument and everything else
// with an empty 200.
func echoUpstream(t testing.TB) *upstreamRecorder {
	return newUpstream(t, func(w http.ResponseWriter, r recordedReq) {
		if r.header.Get("X-ASRS-Event") != "echo" {
			return
		}
		m, err := hubproto.JSON.Unmarshal(r.body)
		if err != nil || len(m.Arguments) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		b, _ := hubproto.JSON.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: m.InvocationID, Result: m.Arguments[0], HasResult: true})
		_, _ = w.Write(b)
	})
}

// Each kind of event has a fixed set of JSON fields: seq, time, kind and hub always, and the
// ids and facts of its kind. The cases run in order against one server.
func TestTraceEventShapes(t *testing.T) {
	up := echoUpstream(t)
	s := newTestServer(t, &Options{Upstream: up.templates()})
	ts := openTrace(t, s, "", nil)
	alice := connectWS(t, s, "Chat", "alice", hubproto.JSON)

	cases := []struct {
		name  string
		act   func(t *testing.T)
		kind  string
		match map[string]any
		keys  []string
		check func(t *testing.T, ev map[string]any)
	}{
		{"connected", func(*testing.T) {}, "connected", map[string]any{"connectionId": alice.id},
			sortedKeys("connectionId", "userId", "transport", "protocol"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "chat", ev["hub"], "hub names are normalised")
				assert.Equal(t, "alice", ev["userId"])
				assert.Equal(t, "WebSockets", ev["transport"])
				assert.Equal(t, "json", ev["protocol"])
			}},
		{"upstream connected event", func(*testing.T) {}, "upstream", map[string]any{"event": "connected"},
			sortedKeys("connectionId", "userId", "category", "event", "url", "status", "durationMs"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, up.srv.URL+"/runtime/webhooks/signalr/chat/connections/connected", ev["url"])
				assert.EqualValues(t, 200, ev["status"])
				assert.Greater(t, ev["durationMs"], 0.0)
			}},
		{"message per connection of a broadcast", func(t *testing.T) {
			r := rest(t, s, http.MethodPost, "/api/hubs/chat/:send?api-version=2024-12-01", map[string]any{"target": "news", "arguments": []any{"hello", 2}})
			require.Equal(t, http.StatusAccepted, r.status)
		}, "message", map[string]any{"target": "news"},
			sortedKeys("connectionId", "userId", "scope", "target", "arguments"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, alice.id, ev["connectionId"])
				assert.Equal(t, "all", ev["scope"])
				assert.Equal(t, `["hello",2]`, ev["arguments"])
			}},
		{"REST send with its reach", func(*testing.T) {}, "rest", map[string]any{"target": "news"},
			sortedKeys("method", "path", "query", "status", "durationMs", "reached", "scope", "target", "arguments"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "POST", ev["method"])
				assert.Equal(t, "/api/hubs/chat/:send", ev["path"])
				assert.Equal(t, "api-version=2024-12-01", ev["query"])
				assert.EqualValues(t, 202, ev["status"])
				assert.EqualValues(t, 1, ev["reached"])
			}},
		{"REST send that reached nobody", func(t *testing.T) {
			rest(t, s, http.MethodPost, "/api/hubs/chat/users/bob/:send", map[string]any{"target": "lost"})
		}, "rest", map[string]any{"target": "lost"},
			sortedKeys("method", "path", "status", "durationMs", "reached", "scope", "target", "arguments", "userId"),
			func(t *testing.T, ev map[string]any) {
				assert.EqualValues(t, 0, ev["reached"], "reached 0 is shown, not omitted")
				assert.Equal(t, "bob", ev["userId"], "the user the call names")
				assert.Equal(t, "user", ev["scope"])
			}},
		{"REST group membership", func(t *testing.T) {
			r := rest(t, s, http.MethodPut, "/api/hubs/chat/groups/g%2F1/connections/"+alice.id, nil)
			require.Equal(t, http.StatusOK, r.status)
		}, "rest", map[string]any{"method": "PUT"},
			sortedKeys("method", "path", "status", "durationMs", "group", "connectionId"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "g/1", ev["group"], "escaped names are unescaped once")
				assert.Equal(t, alice.id, ev["connectionId"])
			}},
		{"message to a group", func(t *testing.T) {
			rest(t, s, http.MethodPost, "/api/hubs/chat/groups/g%2F1/:send", map[string]any{"target": "groupnews"})
		}, "message", map[string]any{"target": "groupnews"},
			sortedKeys("connectionId", "userId", "group", "scope", "target", "arguments"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "g/1", ev["group"])
				assert.Equal(t, "group", ev["scope"])
				assert.Equal(t, "[]", ev["arguments"])
			}},
		{"client invocation", func(*testing.T) {
			alice.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "7", Target: "echo", Arguments: []hubproto.Value{hubproto.JSONValue([]byte(`{"n":1}`))}})
		}, "invoke", map[string]any{"target": "echo"},
			sortedKeys("connectionId", "userId", "target", "invocationId", "arguments"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "7", ev["invocationId"])
				assert.Equal(t, `[{"n":1}]`, ev["arguments"])
			}},
		{"upstream call with its Completion", func(*testing.T) {}, "upstream", map[string]any{"event": "echo"},
			sortedKeys("connectionId", "userId", "category", "event", "url", "status", "durationMs", "invocationId", "completion", "result"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "messages", ev["category"])
				assert.Equal(t, "result", ev["completion"])
				assert.Equal(t, `{"n":1}`, ev["result"])
				assert.Equal(t, hubproto.TypeCompletion, alice.readType(hubproto.TypeCompletion).Type)
			}},
		{"client result of :invoke", func(t *testing.T) {
			done := make(chan restResult, 1)
			tok := restToken(t, s, "/api/hubs/chat/connections/"+alice.id+"/:invoke")
			go func() {
				r, _ := restTry(s, http.MethodPost, "/api/hubs/chat/connections/"+alice.id+"/:invoke", map[string]any{"target": "ask", "arguments": []any{"q"}}, tok, "")
				done <- r
			}()
			inv := alice.readType(hubproto.TypeInvocation)
			alice.send(&hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, Result: hubproto.JSONValue([]byte(`42`)), HasResult: true})
			require.Equal(t, http.StatusOK, (<-done).status)
		}, "result", map[string]any{"target": "ask"},
			sortedKeys("connectionId", "userId", "target", "arguments", "completion", "result"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "42", ev["result"])
			}},
		{"disconnected with its close reason", func(t *testing.T) {
			rest(t, s, http.MethodDelete, "/api/hubs/chat/connections/"+alice.id+"?reason=shutting+down", nil)
		}, "disconnected", map[string]any{"connectionId": alice.id},
			sortedKeys("connectionId", "userId", "reason"),
			func(t *testing.T, ev map[string]any) {
				assert.Equal(t, "shutting down", ev["reason"])
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.act(t)
			ev := ts.next(tc.kind+" "+fmt.Sprint(tc.match), kindFor(tc.kind, tc.match))
			assert.Equal(t, tc.keys, keysOf(ev), "fields of %v", ev)
			tm, err := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["time"]))
			require.NoError(t, err)
			assert.WithinDuration(t, time.Now(), tm, time.Minute)
			assert.Greater(t, ev["seq"], 0.0)
			tc.check(t, ev)
		})
	}
}

// Events no upstream rule matches are shown with the reason, the usual answer to "why does
// my trigger never fire?".
func TestTraceNoUpstream(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run("StrictAzure="+strconv.FormatBool(strict), func(t *testing.T) {
			s := newTestServer(t, &Options{StrictAzure: strict})
			ts := openTrace(t, s, "kind=upstream", nil)
			c := connectWS(t, s, "chat", "", hubproto.JSON)
			ev := ts.next("connected without upstream", kindFor("upstream", map[string]any{"event": "connected"}))
			assert.Equal(t, sortedKeys("connectionId", "category", "event", "error"), keysOf(ev))
			assert.Equal(t, "no upstream rule matches hub 'chat', category 'connections', event 'connected'; the event is dropped", ev["error"])

			c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "add"})
			ev = ts.next("invocation without upstream", kindFor("upstream", map[string]any{"event": "add"}))
			if strict {
				assert.Nil(t, ev["completion"], "Azure leaves the client waiting")
			} else {
				assert.Equal(t, "error", ev["completion"], "the client gets an error Completion")
			}
		})
	}
}

// Refused tokens are shown with the reason and what the token claims, never the token.
func TestTraceRejections(t *testing.T) {
	s := newTestServer(t, nil)
	ts := openTrace(t, s, "kind=rejected", nil)
	now := time.Now()
	claims := func(aud string, exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"aud": aud, "exp": exp.Unix(), "nbf": now.Add(-2 * time.Hour).Unix(), "nameid": "mallory"}
	}
	clientAud := s.URL + "/client/?hub=chat"
	cases := []struct {
		name     string
		token    string
		inQuery  bool
		reason   string
		wantAud  string
		expected string
	}{
		{"expired", sign(t, s.keys[0], claims(clientAud, now.Add(-time.Hour))), false, "expired", clientAud, ""},
		{"wrong audience", sign(t, s.keys[0], claims(s.URL+"/client/?hub=other", now.Add(time.Hour))), true, "wrong audience", s.URL + "/client/?hub=other", "{endpoint}/client/?hub=chat"},
		{"bad signature", sign(t, "not-the-key-0123456789012345678901234567890", claims(clientAud, now.Add(time.Hour))), true, "bad signature", clientAud, ""},
		{"malformed", "not.a.token", false, "malformed", "", ""},
		{"none", "", false, "no token", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := "hub=chat&negotiateVersion=1"
			hdr := tc.token
			if tc.inQuery {
				q += "&access_token=" + url.QueryEscape(tc.token)
				hdr = ""
			}
			status, _, _ := negotiate(t, s, q, hdr)
			require.Equal(t, http.StatusUnauthorized, status)
			ev := ts.next(tc.reason, kindFor("rejected", nil))
			frame := <-ts.frames
			for !strings.Contains(frame, `"rejected"`) {
				frame = <-ts.frames
			}
			assert.Equal(t, tc.reason, ev["reason"])
			assert.Equal(t, "chat", ev["hub"])
			assert.Equal(t, "/client/negotiate", ev["path"])
			assert.Equal(t, "hub=chat&negotiateVersion=1", ev["query"], "access_token is removed")
			if tc.token != "" && tc.name != "malformed" {
				assert.NotContains(t, frame, tc.token)
				assert.NotContains(t, frame, strings.Split(tc.token, ".")[2], "not even the signature")
				assert.Equal(t, "mallory", ev["userId"], "the user the token claims")
			}
			if tc.wantAud != "" {
				assert.Equal(t, tc.wantAud, ev["audience"])
			}
			if tc.expected != "" {
				assert.Equal(t, tc.expected, ev["expectedAudience"])
			}
		})
	}
	t.Run("REST", func(t *testing.T) {
		r := restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", map[string]any{"target": "x"}, sign(t, s.keys[0], claims(s.URL+"/api/hubs/other/:send", now.Add(time.Hour))), "")
		require.Equal(t, http.StatusUnauthorized, r.status)
		ev := ts.next("REST rejection", kindFor("rejected", map[string]any{"path": "/api/hubs/chat/:send"}))
		assert.Equal(t, "wrong audience", ev["reason"])
		assert.Equal(t, "{endpoint}/api/hubs/chat/:send", ev["expectedAudience"])
	})
}

// Nothing secret reaches the stream: not the access keys, not tokens in payloads or queries,
// not the function key or password of an upstream URL.
func TestTraceHidesSecrets(t *testing.T) {
	up := echoUpstream(t)
	upURL, err := url.Parse(up.srv.URL)
	require.NoError(t, err)
	upURL.User = url.UserPassword("deploy", "hunter2-password")
	upURL.Path = "/runtime/webhooks/signalr"
	upURL.RawQuery = "code=function-key-secret&access_token=abc&clientId=app"
	s := newTestServer(t, &Options{SecondaryAccessKey: secondKey, Upstream: []UpstreamTemplate{{UrlTemplate: upURL.String()}}})
	ts := openTrace(t, s, "", nil)
	tok := clientToken(t, s, "chat", "alice")

	// A long-polling client sends its token in the query, as browsers do.
	status, nr, body := negotiate(t, s, "hub=chat&negotiateVersion=1", tok)
	require.Equal(t, http.StatusOK, status, string(body))
	lp := func(method string, b io.Reader) *http.Response {
		req, err := http.NewRequest(method, s.URL+"/client/?hub=chat&id="+nr.ConnectionToken+"&access_token="+tok, b)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	resp := lp(http.MethodGet, nil) // the first poll returns at once
	_ = resp.Body.Close()
	resp = lp(http.MethodPost, strings.NewReader(`{"protocol":"json","version":1}`+"\x1e"))
	_ = resp.Body.Close()
	ts.next("connected", kindFor("connected", nil))
	up.next(t, "connected")
	upEv := ts.next("upstream", kindFor("upstream", map[string]any{"event": "connected"}))
	assert.Equal(t, up.srv.URL+"/runtime/webhooks/signalr?code=REDACTED&clientId=app", upEv["url"])

	// Secrets inside application data are masked too.
	secretArgs := []any{"token " + tok, "key " + s.keys[0], "second " + secondKey, "Endpoint=http://x;AccessKey=" + s.keys[0] + ";Version=1.0;", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz"}
	rest(t, s, http.MethodPost, "/api/hubs/chat/:send?access_token="+tok, map[string]any{"target": "leak", "arguments": secretArgs})
	msg := ts.next("message", kindFor("message", map[string]any{"target": "leak"}))
	restEv := ts.next("rest", kindFor("rest", map[string]any{"target": "leak"}))
	assert.Nil(t, restEv["query"], "the only parameter was access_token")
	assert.Equal(t, `["token [token]","key [key]","second [key]","Endpoint=http://x;AccessKey=REDACTED;Version=1.0;","Authorization: Bearer [token]"]`, msg["arguments"])

	resp = lp(http.MethodDelete, nil)
	_ = resp.Body.Close()
	ts.next("disconnected", kindFor("disconnected", nil))

	state := rest(t, s, http.MethodGet, "/trace/state", nil)
	require.Equal(t, http.StatusOK, state.status)
	everything := string(state.body)
	for len(ts.frames) > 0 {
		everything += <-ts.frames
	}
	for _, secret := range []string{tok, strings.Split(tok, ".")[2], s.keys[0], secondKey, "function-key-secret", "hunter2-password", "access_token"} {
		assert.NotContains(t, everything, secret)
	}
	assert.Contains(t, everything, "code=REDACTED", "the state lists the upstream rule without its key")
}

func TestTraceScrub(t *testing.T) {
	keys := []string{"PRIMARYKEY0123456789abcdefghijklmnopqrstuvw", "SECONDARY0123456789abcdefghijklmnopqrstuvwx"}
	jwtText := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"
	cases := []struct{ in, want string }{
		{"plain text stays", "plain text stays"},
		{"key " + keys[0] + " and " + keys[1], "key [key] and [key]"},
		{"jwt " + jwtText + " end", "jwt [token] end"},
		{"cut jwt " + jwtText[:30], "cut jwt [token]"},
		{"Bearer " + jwtText, "Bearer [token]"},
		{"an Authorization: Bearer header", "an Authorization: Bearer header"},
		{"authorization: bearer abcdefghijklmnopqrstuvwxyz0123", "authorization: Bearer [token]"},
		{"?access_token=xyz&hub=chat", "?access_token=REDACTED&hub=chat"},
		{"Endpoint=https://x.service.signalr.net;AccessKey=abc+/=;Version=1.0;", "Endpoint=https://x.service.signalr.net;AccessKey=REDACTED;Version=1.0;"},
		{"https://app/api?code=xyz==&x=1", "https://app/api?code=REDACTED&x=1"},
		{"zipcode=12345 is not a key", "zipcode=12345 is not a key"},
		{"a=b", "a=b"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, traceScrub(tc.in, keys))
		})
	}
}

func TestTraceQueryAndURL(t *testing.T) {
	queries := []struct{ in, want string }{
		{"", ""},
		{"hub=chat&access_token=abc", "hub=chat"},
		{"access_token=abc", ""},
		{"ACCESS_TOKEN=abc&id=1", "id=1"},
		{"access%5Ftoken=abc&id=1", "id=1"},
		{"code=k&x=1&sig=s&key", "code=REDACTED&x=1&sig=REDACTED&key"},
		{"a=1&&b=2", "a=1&b=2"},
		{"bad=%zz&access_token=t", "bad=%zz"},
	}
	for _, tc := range queries {
		t.Run("query "+tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, traceQuery(tc.in))
		})
	}
	urls := []struct{ in, want string }{
		{"http://localhost:7071/runtime/webhooks/signalr?code=abc", "http://localhost:7071/runtime/webhooks/signalr?code=REDACTED"},
		{"https://user:pw@app.example/api/{hub}/{category}/{event}?access_token=t&x=1#frag", "https://app.example/api/{hub}/{category}/{event}?x=1"},
		{"http://[::1]:80/x", "http://[::1]:80/x"},
		{"http://bad host/", "(invalid URL)"},
	}
	for _, tc := range urls {
		t.Run("url "+tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, traceURL(tc.in))
		})
	}
}

func TestTraceCut(t *testing.T) {
	assert.Equal(t, "short", traceCut("short", 10))
	assert.Equal(t, "abcdefg…", traceCut("abcdefghijkl", 10))
	cut := traceCut(strings.Repeat("é", 10), 10) // é is two bytes: never split a rune
	assert.Equal(t, "ééé…", cut)
	assert.LessOrEqual(t, len(cut), 10)
}

// Every field of an event is bounded, so the ring's memory is too.
func TestTraceEventSizeBound(t *testing.T) {
	s := newTestServer(t, nil)
	huge := strings.Repeat("x", 100<<10)
	ev := &traceEvent{kind: traceREST, Hub: huge, ConnectionID: huge, UserID: huge, Group: huge, Reason: huge, Method: huge,
		Path: huge, Query: huge, ErrorCode: huge, Target: huge, InvocationID: huge, Arguments: huge, Category: huge,
		Event: huge, URL: huge, Result: huge, Error: huge, Audience: huge, ExpectedAudience: huge}
	s.trace.emit(ev)
	st := s.trace.stats()
	assert.Less(t, st.Bytes, traceMaxEventBytes, "one event is at most traceMaxEventBytes")

	// Characters JSON escapes take six bytes each; such events are cut harder.
	escaped := strings.Repeat("\x01", 100<<10)
	ev = &traceEvent{kind: traceREST, Hub: escaped, ConnectionID: escaped, UserID: escaped, Group: escaped, Reason: escaped, Method: escaped,
		Path: escaped, Query: escaped, ErrorCode: escaped, Target: escaped, InvocationID: escaped, Arguments: escaped, Category: escaped,
		Event: escaped, URL: escaped, Result: escaped, Error: escaped, Audience: escaped, ExpectedAudience: escaped}
	s.trace.emit(ev)
	assert.LessOrEqual(t, s.trace.stats().Bytes-st.Bytes, traceMaxEncoded+64, "the frame adds at most 64 bytes to the JSON")
}

// traceMaxEventBytes bounds one event of plain text: the sum of the field bounds and the
// JSON around them.
const traceMaxEventBytes = 10*traceFieldMax + 16 + 6*traceLongMax + 2*tracePreviewMax + 1024

func TestParseTraceFilter(t *testing.T) {
	cases := []struct {
		query   string
		want    traceFilter
		wantErr string
	}{
		{"", traceFilter{}, ""},
		{"hub=Chat&user=alice&connection=c1&group=g", traceFilter{hub: "chat", user: "alice", conn: "c1", group: "g"}, ""},
		{"kind=rest,upstream", traceFilter{kinds: 1<<traceREST | 1<<traceUpstream}, ""},
		{"kind=REST,+,", traceFilter{kinds: 1 << traceREST}, ""},
		{"kind=nope", traceFilter{}, `unknown trace event kind "nope"; expected some of connected, disconnected, rest`},
		{"kind=gap", traceFilter{}, `unknown trace event kind "gap"`},
		{"user=a&user=b", traceFilter{}, `trace filter "user" is given 2 times; expected at most once`},
		{"group=" + strings.Repeat("g", 1025), traceFilter{}, `trace filter "group" is 1025 bytes long; expected at most 1024`},
		{"other=1", traceFilter{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			got, err := parseTraceFilter(q)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Whatever the query, parseTraceFilter returns a filter or an error naming the problem; it
// never panics, and an accepted filter has only known kinds and bounded values.
func FuzzParseTraceFilter(f *testing.F) {
	for _, s := range []string{"", "hub=chat", "kind=rest,upstream", "kind=x", "user=a&user=b", "group=%ff", "kind=,,,", "connection=" + strings.Repeat("c", 2000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := parseTraceFilter(q)
		if err != nil {
			if !strings.Contains(err.Error(), "expected") {
				t.Fatalf("error %q does not say what was expected", err)
			}
			return
		}
		if got.kinds>>traceKindCount != 0 || got.kinds&1 != 0 {
			t.Fatalf("accepted unknown kinds %b from %q", got.kinds, raw)
		}
		for _, v := range []string{got.hub, got.user, got.conn, got.group} {
			if len(v) > maxTraceFilterValue {
				t.Fatalf("accepted a %d-byte value from %q", len(v), raw)
			}
		}
	})
}

func TestTraceFilterMatch(t *testing.T) {
	rec := &traceRecord{kind: traceMessage, hub: "chat", conn: "c1", user: "alice", group: "g"}
	cases := []struct {
		query string
		want  bool
	}{
		{"", true},
		{"hub=CHAT", true},
		{"hub=other", false},
		{"user=alice&connection=c1&group=g", true},
		{"user=bob", false},
		{"connection=c2", false},
		{"group=h", false},
		{"kind=message", true},
		{"kind=rest,connected", false},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			f, err := parseTraceFilter(q)
			require.NoError(t, err)
			assert.Equal(t, tc.want, f.match(rec))
		})
	}
}

// emitN records n small events straight into the tracer.
func emitN(tr *tracer, n int) {
	for i := range n {
		tr.emit(&traceEvent{kind: traceMessage, Hub: "chat", ConnectionID: "c" + strconv.Itoa(i%7), Target: "t"})
	}
}

// A subscriber that never reads is dropped once its queue is full, without blocking the
// emitter, and the ring never holds more than traceRingSize events.
func TestTraceSlowSubscriberDroppedAndRingBounded(t *testing.T) {
	s := newTestServer(t, nil)
	tr := s.trace
	stalled, _, _, err := tr.subscribe(traceFilter{}, 0)
	require.NoError(t, err)
	filtered, _, _, err := tr.subscribe(traceFilter{kinds: 1 << traceRejected}, 0)
	require.NoError(t, err)

	emitN(tr, traceSubBuffer)
	st := tr.stats()
	assert.Equal(t, 2, st.Subscribers, "a full queue is not yet a dropped subscriber")
	assert.Len(t, stalled.ch, traceSubBuffer)

	emitN(tr, 1)
	st = tr.stats()
	assert.Equal(t, 1, st.Subscribers, "the stalled subscriber is dropped")
	assert.EqualValues(t, 1, st.Dropped)
	_, open := <-stalled.ch
	assert.False(t, open, "its queue is emptied and closed")

	emitN(tr, 3*traceRingSize)
	st = tr.stats()
	assert.Equal(t, traceRingSize, st.Events)
	assert.EqualValues(t, traceSubBuffer+1+3*traceRingSize, st.Seq)
	assert.Equal(t, 1, st.Subscribers, "a subscriber whose filter passes nothing is never dropped")
	assert.Empty(t, filtered.ch)
	assert.Less(t, st.Bytes, traceRingSize*300, "small events stay small in the ring")
	tr.unsubscribe(filtered)
	tr.unsubscribe(stalled) // unsubscribing a dropped subscriber is harmless
	assert.Equal(t, 0, tr.stats().Subscribers)
}

// Over HTTP: a client that opens the stream and never reads stalls the server's writes; the
// server drops it after traceSubBuffer more events and emitting never waits for it.
func TestTraceStalledHTTPSubscriberDropped(t *testing.T) {
	s := newTestServer(t, nil)
	u, err := url.Parse(s.URL)
	require.NoError(t, err)
	nc, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	if tc, ok := nc.(*net.TCPConn); ok {
		require.NoError(t, tc.SetReadBuffer(4096)) // fill the pipe sooner
	}
	_, err = io.WriteString(nc, "GET /trace/events HTTP/1.1\r\nHost: "+u.Host+"\r\nAccept: text/event-stream\r\n\r\n")
	require.NoError(t, err)
	eventually(t, "the stalled subscriber registered", func() bool { return s.trace.stats().Subscribers == 1 })

	big := strings.Repeat("y", tracePreviewMax)
	emitted := 0
	for s.trace.stats().Subscribers > 0 {
		require.Less(t, emitted, 200000, "the stalled subscriber was never dropped")
		for range 100 {
			s.trace.emit(&traceEvent{kind: traceMessage, Hub: "chat", Arguments: big, Result: big})
		}
		emitted += 100
	}
	st := s.trace.stats()
	assert.EqualValues(t, 1, st.Dropped)
	assert.Equal(t, min(emitted, traceRingSize), st.Events)
	t.Logf("dropped after %d events (%d KiB in the ring)", emitted, st.Bytes>>10)
}

func TestTraceReplay(t *testing.T) {
	s := newTestServer(t, nil)
	emitN(s.trace, 5)
	cases := []struct {
		name      string
		lastID    string
		wantFirst float64
		wantN     int
	}{
		{"first connection gets the ring", "", 1, 5},
		{"reconnect resumes after Last-Event-ID", "3", 4, 2},
		{"an id from before a restart starts over", "99", 1, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.lastID != "" {
				h.Set("Last-Event-ID", tc.lastID)
			}
			ts := openTrace(t, s, "", h)
			var seqs []float64
			for range tc.wantN {
				seqs = append(seqs, ts.next("replayed event", func(map[string]any) bool { return true })["seq"].(float64))
			}
			assert.Equal(t, tc.wantFirst, seqs[0])
			assert.True(t, slices.IsSorted(seqs))
		})
	}
	t.Run("events that left the ring are reported as a gap", func(t *testing.T) {
		emitN(s.trace, traceRingSize+10) // seq 6 … traceRingSize+15; the oldest kept is 16
		h := http.Header{"Last-Event-ID": {"2"}}
		ts := openTrace(t, s, "kind=message", h)
		gap := ts.next("gap", func(map[string]any) bool { return true })
		assert.Equal(t, "gap", gap["kind"])
		assert.EqualValues(t, 13, gap["missed"], "events 3 to 15 are gone")
		assert.Nil(t, gap["seq"], "a gap is not an event of the ring")
		first := ts.next("first kept", func(map[string]any) bool { return true })
		assert.EqualValues(t, 16, first["seq"])
	})
}

func TestTraceRoutes(t *testing.T) {
	s := newTestServer(t, nil)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{"page", "GET", "/trace/", nil, 200, "text/html; charset=utf-8", "<title>Live trace"},
		{"script", "GET", "/trace/trace.js", nil, 200, "text/javascript; charset=utf-8", "EventSource"},
		{"style", "GET", "/trace/trace.css", nil, 200, "text/css; charset=utf-8", ":root"},
		{"state", "GET", "/trace/state", nil, 200, "application/json; charset=utf-8", `"hubs":[]`},
		{"redirect", "GET", "/trace", nil, 301, "", ""},
		{"unknown file", "GET", "/trace/nope.js", nil, 404, "", ""},
		{"no directories", "GET", "/trace/traceui/index.html", nil, 404, "", ""},
		{"POST", "POST", "/trace/state", nil, 405, "", "the trace supports GET and HEAD"},
		{"bad filter", "GET", "/trace/events?kind=bogus", nil, 400, "", `unknown trace event kind "bogus"`},
		{"bad Last-Event-ID", "GET", "/trace/events", map[string]string{"Last-Event-ID": "x"}, 400, "", "Last-Event-ID is not an event id"},
		{"rebound DNS name", "GET", "/trace/state", map[string]string{"Host": "attacker.example:8888"}, 403, "", "only requests addressed to an IP address or localhost"},
		{"localhost", "GET", "/trace/state", map[string]string{"Host": "localhost:8888"}, 200, "", ""},
		{"page of another site", "GET", "/trace/state", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "", "pages of other sites"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, s.URL+tc.path, nil)
			require.NoError(t, err)
			for k, v := range tc.header {
				if k == "Host" {
					req.Host = v
				} else {
					req.Header.Set(k, v)
				}
			}
			req.Header.Set("Origin", "http://other.example")
			resp, err := noRedirect.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.wantStatus, resp.StatusCode, string(b))
			if tc.wantType != "" {
				assert.Equal(t, tc.wantType, resp.Header.Get("Content-Type"))
			}
			assert.Contains(t, string(b), tc.wantBody)
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "no other origin may read the trace")
			if tc.name == "page" {
				assert.Equal(t, "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'", resp.Header.Get("Content-Security-Policy"))
				assert.NotContains(t, string(b), "http", "the page loads nothing from elsewhere")
			}
			if tc.name == "redirect" {
				assert.Equal(t, "/trace/", resp.Header.Get("Location"))
			}
		})
	}
}

func TestTraceSubscriberLimit(t *testing.T) {
	s := newTestServer(t, nil)
	for range traceMaxSubscribers {
		openTrace(t, s, "", nil)
	}
	resp, err := http.Get(s.URL + "/trace/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, string(b), "too many trace subscribers; at most 32 streams may be open")
}

// Closing the server ends open trace streams instead of waiting for them.
func TestTraceStreamsEndOnClose(t *testing.T) {
	s := NewServer(nil)
	ts := openTrace(t, s, "", nil)
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a trace stream")
	}
	for range ts.events {
	}
}

func TestTraceDisabled(t *testing.T) {
	s := newTestServer(t, &Options{DisableTrace: true})
	require.Nil(t, s.trace)
	for _, p := range []string{"/trace/", "/trace/events", "/trace/state"} {
		resp, err := http.Get(s.URL + p)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, p)
		assert.Contains(t, string(b), "Options.DisableTrace")
	}
	// Every hook is safe on a disabled trace.
	c := connectWS(t, s, "chat", "alice", hubproto.JSON)
	c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "x"})
	assert.Equal(t, hubproto.TypeCompletion, c.readType(hubproto.TypeCompletion).Type)
	assert.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/:send", map[string]any{"target": "x"}).status)
	assert.Equal(t, http.StatusUnauthorized, restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", nil, "", "").status)
}

// The snapshot lists connections with their groups, groups with their members and users with
// their connections, sorted.
func TestTraceState(t *testing.T) {
	s := newTestServer(t, nil)
	a := connectWS(t, s, "chat", "alice", hubproto.JSON)
	b := connectWS(t, s, "chat", "bob", hubproto.MessagePack)
	a2 := connectWS(t, s, "chat", "alice", hubproto.JSON)
	require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/groups/room/connections/"+b.id, nil).status)
	require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/users/alice/groups/team", nil).status)
	connectWS(t, s, "other", "", hubproto.JSON)

	r := rest(t, s, http.MethodGet, "/trace/state", nil)
	require.Equal(t, http.StatusOK, r.status)
	var st traceState
	require.NoError(t, json.Unmarshal(r.body, &st))
	require.Len(t, st.Hubs, 2)
	h := st.Hubs[0]
	assert.Equal(t, "chat", h.Name)
	assert.Equal(t, 3, h.ConnectionCount)
	require.Len(t, h.Connections, 3)
	assert.True(t, slices.IsSortedFunc(h.Connections, func(x, y traceConn) int { return strings.Compare(x.ID, y.ID) }))
	byID := map[string]traceConn{}
	for _, c := range h.Connections {
		byID[c.ID] = c
		assert.Equal(t, "WebSockets", c.Transport)
		assert.WithinDuration(t, time.Now(), c.ConnectedSince, time.Minute)
	}
	assert.Equal(t, "messagepack", byID[b.id].Protocol)
	assert.Equal(t, []string{"room"}, byID[b.id].Groups)
	assert.Equal(t, []string{"team"}, byID[a.id].Groups)
	alices := []string{a.id, a2.id}
	slices.Sort(alices)
	assert.Equal(t, []traceGroup{{Name: "room", Members: []string{b.id}}, {Name: "team", Members: alices}}, h.Groups)
	assert.Equal(t, []traceUser{{UserID: "alice", Connections: alices}, {UserID: "bob", Connections: []string{b.id}}}, h.Users)
	assert.Equal(t, "other", st.Hubs[1].Name)
	assert.Equal(t, traceRingSize, st.Trace.Capacity)
	assert.Positive(t, st.Trace.Events)
}

// The snapshot of a hub larger than traceMaxListed lists traceMaxListed connections and
// counts them all.
func TestTraceStateBounded(t *testing.T) {
	s := newTestServer(t, nil)
	n := traceMaxListed + 20
	for i := range n {
		c := s.newConn("big", identity{userID: "u" + strconv.Itoa(i)}, "", false)
		c.proto = hubproto.JSON
		s.mu.Lock()
		s.addConnLocked(c)
		s.joinLocked(s.hubs["big"], c, "all", memberDirect)
		s.mu.Unlock()
	}
	st := s.traceState()
	require.Len(t, st.Hubs, 1)
	h := st.Hubs[0]
	assert.Equal(t, n, h.ConnectionCount)
	assert.Len(t, h.Connections, traceMaxListed)
	assert.Equal(t, n, h.UserCount)
	assert.Len(t, h.Users, traceMaxListed)
	require.Len(t, h.Groups, 1)
	assert.Len(t, h.Groups[0].Members, traceMaxListed)
}

// A send to more connections than traceMaxFanout produces traceMaxFanout message events and
// a REST event counting every connection.
func TestTraceFanoutBounded(t *testing.T) {
	s := newTestServer(t, nil)
	n := traceMaxFanout + 30
	for range n {
		c := s.newConn("big", identity{}, "", false)
		c.mu.Lock()
		c.attachLocked(transportLongPolling)
		c.proto = hubproto.JSON
		c.state = stateOpen
		c.mu.Unlock()
		s.mu.Lock()
		s.byToken[c.token] = c
		s.addConnLocked(c)
		s.mu.Unlock()
	}
	before := s.trace.stats().Seq
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/big/:send", map[string]any{"target": "x"}).status)
	ts := openTrace(t, s, "kind=rest", nil)
	ev := ts.next("rest", kindFor("rest", map[string]any{"target": "x"}))
	assert.EqualValues(t, n, ev["reached"])
	assert.EqualValues(t, before+traceMaxFanout+1, s.trace.stats().Seq, "50 message events and the REST event")
}

// The hand-written encoder writes exactly what encoding/json writes for the same event.
func FuzzTraceEventJSON(f *testing.F) {
	f.Add("chat", "conn-1", "alice", `["a\"b",1]`, "bad \xff utf8 \u2028 \x01\x7f <&>", 202, 1.234, 3, true, uint64(0), int64(1_700_000_000_123_456_789))
	f.Add("", "", "", "", "", 0, 0.0, -1, false, uint64(7), int64(0))
	f.Add("é", "\t\n\r\b\f", "\\", "\u2029", "\x00", -5, 1e-7, 0, false, uint64(1), int64(-1))
	f.Add("x", "y", "z", "w", "v", 1, 1e21, 1<<30, true, uint64(1<<63), int64(1<<62))
	f.Fuzz(func(t *testing.T, a, b, c, d, e string, status int, dur float64, reached int, stateful bool, missed uint64, nanos int64) {
		if math.IsNaN(dur) || math.IsInf(dur, 0) {
			return // encoding/json refuses them; durations are finite
		}
		ev := traceEvent{Time: time.Unix(0, nanos).UTC(), Kind: a, Hub: b, ConnectionID: c, UserID: d, Group: e,
			Transport: a, Protocol: b, Stateful: stateful, Reason: c, Method: d, Path: e, Query: a, Status: status,
			ErrorCode: b, Scope: c, DurationMs: dur, Target: d, InvocationID: e, Arguments: a, Category: b, Event: c,
			URL: d, Completion: e, Result: a, Error: b, Audience: c, ExpectedAudience: d, Missed: missed}
		if reached >= 0 {
			ev.Reached = &reached
		}
		if nanos%2 != 0 {
			ev.Time = ev.Time.In(time.FixedZone("", 2*3600+30*60))
		}
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(&ev))
		got := string(ev.appendJSON(nil))
		require.Equal(t, strings.TrimSuffix(want.String(), "\n"), got)
		require.True(t, json.Valid([]byte(got)))
	})
}

// The message events of one send are encoded once and completed per connection; each is
// exactly the event emit would record.
func TestTraceEmitMessagesMatchesEmit(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, &Options{Now: clock.Now})
	conns := []*conn{
		s.newConn("chat", identity{userID: "alice"}, "", false),
		s.newConn("chat", identity{}, "", false),
		s.newConn("chat", identity{userID: "bad \xff \"user\" " + s.keys[0]}, "", false),
	}
	common := traceEvent{kind: traceMessage, Hub: "chat", Group: "g", Scope: "group", Target: "news", Arguments: `["a\u2028b"]`}
	ev := common
	s.trace.emitMessages(&ev, conns)
	for _, c := range conns {
		ev := common
		ev.ConnectionID, ev.UserID = c.id, c.userID
		s.trace.emit(&ev)
	}
	s.trace.mu.Lock()
	defer s.trace.mu.Unlock()
	for i := range conns {
		batched, single := s.trace.ring[i], s.trace.ring[i+len(conns)]
		wantFrame := strings.Replace(string(single.frame), "id: "+strconv.FormatUint(single.seq, 10), "id: "+strconv.FormatUint(batched.seq, 10), 1)
		wantFrame = strings.Replace(wantFrame, `{"seq":`+strconv.FormatUint(single.seq, 10), `{"seq":`+strconv.FormatUint(batched.seq, 10), 1)
		assert.Equal(t, wantFrame, string(batched.frame))
		assert.Equal(t, single.user, batched.user)
		assert.Equal(t, single.conn, batched.conn)
		assert.NotContains(t, string(batched.frame), s.keys[0])
	}
}
