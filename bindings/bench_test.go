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
)

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
