package jsclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// fakeHub is the smallest SignalR server the official client accepts: negotiate v1 offering
// WebSockets, JSON protocol only. It exists to test the harness, not a server; the emulator
// is judged by the client in signalr/signalrtest.
//
// Hub methods: "echo" returns its first argument; "fail" completes with an error;
// "broadcast" sends its arguments back as "news"; "close" sends Close{error:"bye"};
// "ask" invokes the client's "question" with an invocation id and reports the client's
// result as "answer"; "headers" returns the negotiate request's headers.
type fakeHub struct {
	srv *httptest.Server

	mu      sync.Mutex
	headers http.Header
	auth    []string
}

func newFakeHub(t *testing.T) *fakeHub { return newFakeHubWith(t, nil) }

// newFakeHubWith also serves other, when non-nil, for every path the hub does not own.
func newFakeHubWith(t *testing.T, other http.Handler) *fakeHub {
	h := &fakeHub{}
	mux := http.NewServeMux()
	if other != nil {
		mux.Handle("/", other)
	}
	mux.HandleFunc("POST /hub/negotiate", h.negotiate)
	mux.HandleFunc("GET /hub", h.connect)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) URL() string { return h.srv.URL + "/hub" }

func (h *fakeHub) negotiate(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.headers = r.Header.Clone()
	h.auth = append(h.auth, r.Header.Get("Authorization"))
	h.mu.Unlock()
	if r.Header.Get("Authorization") == "Bearer refused" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"connectionId":"conn-1","connectionToken":"token-1","negotiateVersion":1,` +
		`"availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}`))
}

func (h *fakeHub) authorizations() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.auth...)
}

type hubMsg struct {
	Type         int               `json:"type"`
	InvocationID string            `json:"invocationId,omitempty"`
	Target       string            `json:"target,omitempty"`
	Arguments    []json.RawMessage `json:"arguments,omitempty"`
	Result       json.RawMessage   `json:"result,omitempty"`
	Error        string            `json:"error,omitempty"`
}

func (h *fakeHub) connect(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("id") != "token-1" {
		http.Error(w, "unknown id", http.StatusNotFound)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	write := func(m any) bool {
		b, _ := json.Marshal(m)
		return c.Write(ctx, websocket.MessageText, append(b, 0x1e)) == nil
	}
	handshaken := false
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		for _, rec := range bytes.Split(data, []byte{0x1e}) {
			if len(rec) == 0 {
				continue
			}
			if !handshaken {
				handshaken = true
				if !write(struct{}{}) {
					return
				}
				continue
			}
			var m hubMsg
			if json.Unmarshal(rec, &m) != nil {
				return
			}
			switch {
			case m.Type == 7:
				_ = c.Close(websocket.StatusNormalClosure, "")
				return
			case m.Type == 3 && m.InvocationID == "s1":
				write(hubMsg{Type: 1, Target: "answer", Arguments: []json.RawMessage{m.Result}})
			case m.Type != 1:
			case m.Target == "echo":
				write(hubMsg{Type: 3, InvocationID: m.InvocationID, Result: m.Arguments[0]})
			case m.Target == "fail":
				write(hubMsg{Type: 3, InvocationID: m.InvocationID, Error: "boom"})
			case m.Target == "broadcast":
				write(hubMsg{Type: 1, Target: "news", Arguments: m.Arguments})
			case m.Target == "close":
				write(map[string]any{"type": 7, "error": "bye"})
			case m.Target == "ask":
				write(hubMsg{Type: 1, InvocationID: "s1", Target: "question", Arguments: m.Arguments})
			case m.Target == "headers":
				h.mu.Lock()
				var ua []string
				for k, v := range h.headers {
					ua = append(ua, strings.ToLower(k)+"="+strings.Join(v, ","))
				}
				h.mu.Unlock()
				b, _ := json.Marshal(ua)
				write(hubMsg{Type: 3, InvocationID: m.InvocationID, Result: b})
			}
		}
	}
}

func ctxT(t *testing.T) context.Context { return t.Context() }
