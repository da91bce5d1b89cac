package signalrtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

func FuzzParsePayload(f *testing.F) {
	f.Add("application/json", []byte(`{"target":"t","arguments":[1,"a",{"b":null}]}`))
	f.Add("application/json; charset=utf-8", []byte(`{"Target":"t","Arguments":null}`))
	f.Add("application/json", []byte(`{"target":""}`))
	f.Add("application/json", []byte(`[1,2]`))
	f.Add("application/json", []byte(`{"target":"t","arguments":[1e999]}`))
	bin, _ := msgpack.Marshal(map[string][]byte{"json": []byte("{\"type\":1,\"target\":\"t\",\"arguments\":[]}\x1e")})
	f.Add("application/octet-stream", bin)
	f.Add("application/x-msgpack", []byte{0x81, 0xa4, 'j', 's', 'o', 'n', 0xc4, 0x01, 0x1e})
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		o, err := parsePayload(ct, body)
		if err != nil {
			if o != nil {
				t.Fatal("an error comes without a payload")
			}
			return
		}
		for _, p := range protocols {
			_, _ = o.frame(p) // may fail for unconvertible values, never panic
		}
	})
}

func FuzzParseSettings(f *testing.F) {
	f.Add([]byte(`{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://localhost:7071/runtime/webhooks/signalr","EventPattern":"*","HubPattern":"*","CategoryPattern":"*"}]}}`))
	f.Add([]byte(`{"upstreamsettings":{"templates":[{"urltemplate":"http://h/{hub}/{event}","auth":{"type":"ManagedIdentity","managedIdentity":{"resource":"r"}}}]}}`))
	f.Add([]byte(`{"UpstreamSettings":{"Templates":[{"UrlTemplate":"relative"}]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := ParseSettings(b)
		if err != nil {
			return
		}
		for i := range ts {
			_ = ts[i].expand("h/", "c?", "e#")
			_ = ts[i].matches("h", "messages", "e")
		}
	})
}

// FuzzClientInput feeds arbitrary client bytes through the handshake and hub
// message parsing of a connection.
func FuzzClientInput(f *testing.F) {
	f.Add([]byte("{\"protocol\":\"json\",\"version\":1}\x1e{\"type\":1,\"target\":\"a\",\"arguments\":[]}\x1e{\"type\":6}\x1e"))
	f.Add([]byte("{\"protocol\":\"json\",\"version\":1}\x1e{\"type\":7,\"error\":\"x\"}\x1e"))
	f.Add([]byte("{\"protocol\":\"json\",\"version\":1}\x1e{\"type\":3,\"invocationId\":\"s1\",\"result\":1}\x1e{\"type\":8,\"sequenceId\":5}\x1e"))
	f.Add([]byte("{\"protocol\":\"messagepack\",\"version\":1}\x1e\x02\x91\x06\x06\x95\x01\x80\xc0\xa1a\x90"))
	f.Add([]byte("{\"protocol\":\"messagepack\",\"version\":2}\x1e\xff\xff\xff\xff\x7f"))
	f.Add([]byte("{\"protocol\":\"json\",\"version\":1}\x1e{\"type\":4,\"invocationId\":\"1\",\"target\":\"s\",\"arguments\":[]}\x1e{\"type\":9,\"sequenceId\":1}\x1e"))
	f.Add([]byte("not a handshake\x1e"))
	s := NewUnstartedServer(&Options{Upstream: []UpstreamTemplate{{UrlTemplate: "http://127.0.0.1:1/never"}}})
	f.Cleanup(s.Close)
	f.Fuzz(func(t *testing.T, in []byte) {
		c := s.newConn("fuzz", identity{}, "?hub=fuzz", true)
		s.mu.Lock()
		s.byToken[c.token] = c
		s.mu.Unlock()
		c.mu.Lock()
		c.attachLocked(transportLongPolling)
		c.mu.Unlock()
		// Split the input in two to exercise partial records.
		half := len(in) / 2
		c.receive(in[:half])
		c.receive(in[half:])
		c.finish("")
	})
}

func FuzzValidateToken(f *testing.F) {
	s := NewUnstartedServer(nil)
	f.Cleanup(s.Close)
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.sig")
	f.Add("a.b.c")
	f.Add("")
	f.Add(strings.Repeat("x", 5000))
	f.Fuzz(func(t *testing.T, tok string) {
		r := httptest.NewRequest("POST", "/client/negotiate?hub=chat", nil)
		_, err := s.validateToken(r, tok, clientAudience(r, "chat"), false, false)
		if err != nil && strings.Contains(err.Error(), tok) && len(tok) > 8 {
			t.Fatalf("the error echoes the token: %v", err)
		}
		_ = payloadKeyOrder(tok)
	})
}

func FuzzClientQuery(f *testing.F) {
	f.Add("hub=chat&id=x&access_token=secret")
	f.Add("&&access_token&=")
	f.Fuzz(func(t *testing.T, raw string) {
		q := clientQuery(raw)
		if !strings.HasPrefix(q, "?") {
			t.Fatalf("%q lacks the leading ?", q)
		}
		for part := range strings.SplitSeq(q[1:], "&") {
			if k, _, _ := strings.Cut(part, "="); k == "access_token" {
				t.Fatalf("access_token survived in %q", q)
			}
		}
	})
}

// FuzzREST sends arbitrary routes and bodies, with a valid token, through the
// whole REST handler: every answer is a status code, never a panic.
func FuzzREST(f *testing.F) {
	f.Add(uint8(0), "/api/hubs/chat/:send", "application/json", []byte(`{"target":"t","arguments":[1]}`))
	f.Add(uint8(1), "/api/hubs/chat/users/u/groups/g?ttl=5", "", []byte(nil))
	f.Add(uint8(2), "/api/v1/hubs/chat/groups/g/users/u", "", []byte(nil))
	f.Add(uint8(0), "/api/hubs/chat/:execute?filter=startswith(userId,'a')", "application/json", []byte(`[{"type":"JoinGroup","group":"g"}]`))
	f.Add(uint8(3), "/api/hubs/chat/groups/g/connections?maxpagesize=1&continuationToken=YQ", "", []byte(nil))
	f.Add(uint8(0), "/api/hubs/chat/connections/c/streams/s/:send?completed=true", "", []byte(`1`))
	f.Add(uint8(0), "/api/hubs/chat/:send", "application/octet-stream", []byte{0x81, 0xa4, 'j', 's', 'o', 'n', 0xc4, 0x00})
	s := NewUnstartedServer(nil)
	f.Cleanup(s.Close)
	s.URL = "http://127.0.0.1"
	c := s.newConn("chat", identity{userID: "u"}, "", false)
	c.mu.Lock()
	c.attachLocked(transportLongPolling)
	c.proto = hubproto.JSON
	c.state = stateOpen
	c.mu.Unlock()
	s.mu.Lock()
	s.byToken[c.token] = c
	s.addConnLocked(c)
	s.mu.Unlock()
	methods := []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodPatch}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, m uint8, target, ct string, body []byte) {
		// :invoke waits for a client that never answers: bound it.
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, methods[int(m)%len(methods)], s.URL+target, bytes.NewReader(body))
		if err != nil || req.URL.Host != "127.0.0.1" {
			return
		}
		req.Header.Set("Authorization", "Bearer "+sign(t, DefaultAccessKey, jwt.MapClaims{"aud": s.URL + req.URL.Path, "exp": time.Now().Add(time.Hour).Unix()}))
		req.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
		c.mu.Lock()
		c.recycleLocked(c.takePendingLocked())
		c.mu.Unlock()
	})
}

// FuzzPathSegments: decoding never panics, never leaves a dot segment, and an input without
// escapes or dot segments splits as strings.Split does.
func FuzzPathSegments(f *testing.F) {
	f.Add("/api/hubs/chat/users/%2E%2E/:send")
	f.Add("/a/./b/../../../c/")
	f.Add("/%zz/%2F..")
	f.Add("")
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := pathSegments(path)
		if err != nil {
			return
		}
		for _, s := range segs {
			if s == "." || s == ".." {
				t.Fatalf("dot segment left in %q: %q", path, segs)
			}
		}
		if !strings.ContainsAny(path, "%.") && strings.HasPrefix(path, "/") && !strings.HasSuffix(path, "/") && len(path) > 1 {
			if want := strings.Split(path[1:], "/"); !slices.Equal(want, segs) {
				t.Fatalf("%q: got %q, want %q", path, segs, want)
			}
		}
	})
}

// FuzzEscapeDataString: the result holds only unreserved characters and %XX escapes, and
// decodes back to the input.
func FuzzEscapeDataString(f *testing.F) {
	f.Add("a&fixed=2&code=x+y")
	f.Add("群😀 /?#")
	f.Add("\xff\x00")
	f.Fuzz(func(t *testing.T, s string) {
		e := escapeDataString(s)
		for i := 0; i < len(e); i++ {
			if !unreserved(e[i]) && e[i] != '%' {
				t.Fatalf("%q escaped to %q keeps %q", s, e, e[i])
			}
		}
		back, err := url.PathUnescape(e)
		if err != nil || back != s {
			t.Fatalf("%q escaped to %q decodes to %q, %v", s, e, back, err)
		}
	})
}

// FuzzPickMembers holds the hand-written object walk of pickMembers to encoding/json's
// tokenizer: both see the same members, the same duplicates and the same non-objects.
func FuzzPickMembers(f *testing.F) {
	f.Add([]byte(`{"Target":"a","target":"b"}`))
	f.Add([]byte(`{"t\u0061rget":"a","target":{"x":["]"]}, "arguments" : [1, "\"", {"a":[]}]}`))
	f.Add([]byte(`{"x":1} {}`))
	f.Add([]byte(` {"ARGUMENTS":null,"a":"\\"} `))
	f.Add([]byte(`[{"target":1}]`))
	names := []string{"target", "arguments"}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := pickMembers(b, names...)
		want, wantErr := referenceMembers(b, names)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: pickMembers error %v, reference error %v", b, err, wantErr)
		}
		if err != nil {
			if errors.Is(err, errNotObject) != errors.Is(wantErr, errNotObject) {
				t.Fatalf("%q: pickMembers error %v, reference error %v", b, err, wantErr)
			}
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: members %q, reference %q", b, got, want)
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("%q: member %s is %q, reference %q", b, k, got[k], v)
			}
		}
	})
}

// referenceMembers is pickMembers written with encoding/json's tokenizer.
func referenceMembers(b []byte, names []string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errNotObject
	}
	out := map[string]json.RawMessage{}
	var dup error
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errNotObject
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errNotObject
		}
		for _, name := range names {
			if len(key) == len(name) && strings.EqualFold(key, name) && isASCII(key) {
				if _, ok := out[name]; ok && dup == nil {
					dup = errors.New("duplicate")
				}
				out[name] = v
			}
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotObject
	}
	if dup != nil {
		return nil, dup
	}
	return out, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
