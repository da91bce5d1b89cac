package bindings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// plainHTTPInvocation is the floor: the same payload decoded by encoding/json into plain
// structs, with no knowledge of the host's encoding.
type plainHTTPInvocation struct {
	Data struct {
		Req struct {
			URL        string              `json:"Url"`
			Method     string              `json:"Method"`
			Query      map[string]string   `json:"Query"`
			Headers    map[string][]string `json:"Headers"`
			Params     map[string]string   `json:"Params"`
			Identities []bindings.Identity `json:"Identities"`
			Body       string              `json:"Body"`
		} `json:"req"`
	} `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

func BenchmarkDecodeHTTPInvocation(b *testing.B) {
	payload := readTestdata(b, "http_trigger.json")
	b.Run("bindings", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			req, err := bindings.ParseInvokeRequest(payload)
			if err != nil {
				b.Fatal(err)
			}
			r, err := req.HTTPRequest("req")
			if err != nil || r.Method != "POST" {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var p plainHTTPInvocation
			if err := json.Unmarshal(payload, &p); err != nil {
				b.Fatal(err)
			}
			if p.Data.Req.Method != "POST" {
				b.Fatal("bad decode")
			}
		}
	})
}

type chatMessage struct {
	User string `json:"user"`
	Text string `json:"text"`
}

// plainResponse is the floor: the same response as plain structs marshalled by encoding/json.
type plainResponse struct {
	Outputs struct {
		Res struct {
			StatusCode int               `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
			Body       string            `json:"body"`
		} `json:"res"`
		SignalRMessages []plainMessage `json:"signalRMessages"`
	} `json:"Outputs"`
	Logs        []string `json:"Logs"`
	ReturnValue any      `json:"ReturnValue"`
}

type plainMessage struct {
	Target    string `json:"target"`
	Arguments []any  `json:"arguments"`
	GroupName string `json:"groupName,omitempty"`
}

func BenchmarkWriteHTTPAndSignalR(b *testing.B) {
	msg := chatMessage{User: "alice", Text: "hello, world"}
	b.Run("bindings", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r bindings.InvokeResponse
			if err := r.HTTP("res", http.StatusAccepted, nil, msg); err != nil {
				b.Fatal(err)
			}
			if err := r.SignalR("signalRMessages",
				signalr.Message{Target: "newMessage", Arguments: []any{msg}},
				signalr.Message{Target: "newMessage", Arguments: []any{msg}, GroupName: "room"}); err != nil {
				b.Fatal(err)
			}
			if _, err := r.AppendJSON(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r plainResponse
			body, err := json.Marshal(msg)
			if err != nil {
				b.Fatal(err)
			}
			r.Outputs.Res.StatusCode = http.StatusAccepted
			r.Outputs.Res.Headers = map[string]string{"Content-Type": "application/json"}
			r.Outputs.Res.Body = string(body)
			r.Outputs.SignalRMessages = []plainMessage{
				{Target: "newMessage", Arguments: []any{msg}},
				{Target: "newMessage", Arguments: []any{msg}, GroupName: "room"},
			}
			r.Logs = []string{}
			if _, err := json.Marshal(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// signalRInvocationBody is a compact signalRTrigger invocation as the host posts it: the
// InvocationContext with two arguments, a string and an object.
const signalRInvocationBody = `{"Data":{"invocation":{"Arguments":["hello",{"to":"bob"}],"Error":null,"Category":"messages","Event":"broadcast","Hub":"chat","ConnectionId":"conn-1","UserId":"alice","Headers":{"X-ASRS-Hub":"chat"},"Query":null,"Claims":null}},"Metadata":{"sys":{"MethodName":"broadcast","UtcNow":"2026-11-23T13:14:03.1234567Z","RandGuid":"0f8fad5b-d9cb-469f-a165-70867728950e"}}}`

type benchOptions struct {
	To string `json:"to"`
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkAppSignalRMessage is the App's dispatch of a typed SignalR message handler: the
// whole invocation request, from the host's body to the response written. The floor reads the
// same body with encoding/json into plain structs, decodes the two arguments and writes a
// fixed response.
func BenchmarkAppSignalRMessage(b *testing.B) {
	body := []byte(signalRInvocationBody)
	run := func(b *testing.B, h http.Handler) {
		rd := bytes.NewReader(body)
		r := httptest.NewRequest(http.MethodPost, "/broadcast", nil)
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			rd.Seek(0, io.SeekStart)
			r.Body = io.NopCloser(rd)
			h.ServeHTTP(w, r)
		}
	}
	b.Run("send", func(b *testing.B) {
		app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
		if err := app.SignalRMessage("broadcast", "chat", "broadcast", nil,
			func(ctx context.Context, inv *bindings.Invocation, text string, o benchOptions) error { return nil }); err != nil {
			b.Fatal(err)
		}
		run(b, app)
	})
	b.Run("invoke", func(b *testing.B) {
		app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
		if err := app.SignalRMessage("broadcast", "chat", "broadcast", nil,
			func(ctx context.Context, inv *bindings.Invocation, text string, o benchOptions) (benchOptions, error) {
				return o, nil
			}); err != nil {
			b.Fatal(err)
		}
		run(b, app)
	})
	b.Run("floor-encoding-json", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				b.Fatal(err)
			}
			var p struct {
				Data struct {
					Invocation struct {
						Arguments    []json.RawMessage
						Category     string
						Event        string
						Hub          string
						ConnectionID string `json:"ConnectionId"`
						UserID       string `json:"UserId"`
						Headers      map[string]string
						Query        map[string]string
						Claims       map[string]string
					} `json:"invocation"`
				}
				Metadata map[string]json.RawMessage
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				b.Fatal(err)
			}
			var text string
			var o benchOptions
			if err := json.Unmarshal(p.Data.Invocation.Arguments[0], &text); err != nil {
				b.Fatal(err)
			}
			if err := json.Unmarshal(p.Data.Invocation.Arguments[1], &o); err != nil {
				b.Fatal(err)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`))
		}))
	})
}
