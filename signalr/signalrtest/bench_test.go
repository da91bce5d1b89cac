package signalrtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// benchConns registers n open long-polling connections (output only queues).
func benchConns(b *testing.B, s *Server, hub string, n int) []*conn {
	b.Helper()
	conns := make([]*conn, n)
	for i := range conns {
		c := s.newConn(hub, identity{}, "", false)
		c.mu.Lock()
		c.attachLocked(transportLongPolling)
		c.proto = hubproto.JSON
		c.state = stateOpen
		c.mu.Unlock()
		s.mu.Lock()
		s.byToken[c.token] = c
		s.addConnLocked(c)
		s.mu.Unlock()
		conns[i] = c
	}
	return conns
}

func drain(conns []*conn) {
	for _, c := range conns {
		c.mu.Lock()
		c.recycleLocked(c.takePendingLocked())
		c.mu.Unlock()
	}
}

var benchBody = []byte(`{"target":"newMessage","arguments":[{"sender":"alice","text":"hello there, this is a chat message"}]}`)

// BenchmarkRESTBroadcast100 is one REST broadcast to 100 connections through the
// whole handler (token validation, payload decoding, one encoding, fan-out).
// The floor is the least any server must do: decode the body with
// encoding/json, encode one invocation and copy it into 100 buffers.
func BenchmarkRESTBroadcast100(b *testing.B) {
	b.Run("emulator", func(b *testing.B) {
		s := NewUnstartedServer(nil)
		defer s.Close()
		s.URL = "http://127.0.0.1"
		conns := benchConns(b, s, "chat", 100)
		tok := restToken(b, s, "/api/hubs/chat/:send")
		h := s.Handler()
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/api/hubs/chat/:send", bytes.NewReader(benchBody))
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusAccepted {
				b.Fatal(w.Code)
			}
			drain(conns)
		}
	})
	b.Run("floor", func(b *testing.B) {
		bufs := make([][]byte, 100)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var p struct {
				Target    string            `json:"target"`
				Arguments []json.RawMessage `json:"arguments"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			frame, _ := json.Marshal(struct {
				Type      int               `json:"type"`
				Target    string            `json:"target"`
				Arguments []json.RawMessage `json:"arguments"`
			}{1, p.Target, p.Arguments})
			for i := range bufs {
				bufs[i] = append(append(bufs[i][:0], frame...), 0x1e)
			}
			w.WriteHeader(http.StatusAccepted)
		})
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/api/hubs/chat/:send", bytes.NewReader(benchBody))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
		}
	})
}

// BenchmarkValidateToken compares REST token validation with its floor, one
// raw HMAC-SHA256 over the token's signing input. SDKs reuse a token for its
// lifetime, so "emulator" (a verified token seen again) is the common case and
// "emulator-first-use" the full parse and signature check.
func BenchmarkValidateToken(b *testing.B) {
	s := NewUnstartedServer(nil)
	defer s.Close()
	s.URL = "http://127.0.0.1"
	tok := restToken(b, s, "/api/hubs/chat/:send")
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/api/hubs/chat/:send", nil)
	segs := []string{"api", "hubs", "chat", ":send"}
	b.Run("emulator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.validateToken(r, tok, restAudience(r, segs), false, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("emulator-first-use", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.tokMu.Lock()
			clear(s.tokens)
			s.tokMu.Unlock()
			if _, err := s.validateToken(r, tok, restAudience(r, segs), false, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-hmac", func(b *testing.B) {
		i := strings.LastIndexByte(tok, '.')
		input := []byte(tok[:i])
		key := []byte(DefaultAccessKey)
		b.ReportAllocs()
		for b.Loop() {
			m := hmac.New(sha256.New, key)
			m.Write(input)
			_ = m.Sum(nil)
		}
	})
}

// BenchmarkClientInvocation is one client invocation through the connection's
// input path (parse, sequence check, upstream matching and re-encoding); the
// floor decodes the same bytes with encoding/json.
func BenchmarkClientInvocation(b *testing.B) {
	frame := []byte("{\"type\":1,\"invocationId\":\"7\",\"target\":\"broadcast\",\"arguments\":[\"hello there\",{\"n\":1}]}\x1e")
	b.Run("emulator", func(b *testing.B) {
		s := NewUnstartedServer(nil) // no upstream: the invocation is answered with an error completion
		defer s.Close()
		c := benchConns(b, s, "chat", 1)[0]
		b.ReportAllocs()
		for b.Loop() {
			c.receive(frame)
			drain([]*conn{c})
		}
	})
	b.Run("floor-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m struct {
				Type         int               `json:"type"`
				InvocationID string            `json:"invocationId"`
				Target       string            `json:"target"`
				Arguments    []json.RawMessage `json:"arguments"`
			}
			if err := json.Unmarshal(frame[:len(frame)-1], &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpstreamSignature is the X-ASRS-Signature header for two keys; the
// floor is the two raw HMACs.
func BenchmarkUpstreamSignature(b *testing.B) {
	keys := []string{DefaultAccessKey, secondKey}
	b.Run("emulator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = signature(keys, "connection-id-0123456789")
		}
	})
	b.Run("floor-hmac", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, k := range keys {
				m := hmac.New(sha256.New, []byte(k))
				m.Write([]byte("connection-id-0123456789"))
				_ = m.Sum(nil)
			}
		}
	})
}
