package signalrtest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
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
		_, err := s.validateToken(r, tok, clientAudOK("chat"), false, false)
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
