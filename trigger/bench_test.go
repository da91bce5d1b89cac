package trigger

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The floor is what any upstream decoder must do at least: decode the JSON
// invocation into a struct and compute one HMAC-SHA256 of the connection id.

const benchBody = `{"type":1,"target":"broadcast","arguments":["alice","hello world"]}`

func benchRequest(b *testing.B, body string) (*http.Request, *bytes.Reader) {
	r := newUpstream(b, body, ContentTypeJSON, set(HeaderEvent, "broadcast"))
	rd := bytes.NewReader([]byte(body))
	r.Body = io.NopCloser(rd)
	return r, rd
}

func BenchmarkParseBind(b *testing.B) {
	r, rd := benchRequest(b, benchBody)
	opts := &ParseOptions{AccessKeys: []string{primaryKey}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Seek(0, io.SeekStart)
		inv, err := Parse(r, opts)
		if err != nil {
			b.Fatal(err)
		}
		var user, text string
		if err := inv.Bind(&user, &text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseBindFloor(b *testing.B) {
	body := []byte(benchBody)
	sig := Signature(primaryKey, "c1")
	b.ReportAllocs()
	for b.Loop() {
		var m struct {
			Type         int      `json:"type"`
			InvocationID string   `json:"invocationId"`
			Target       string   `json:"target"`
			Arguments    []string `json:"arguments"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
		mac := hmac.New(sha256.New, []byte(primaryKey))
		mac.Write([]byte("c1"))
		if len(mac.Sum(nil)) != len(sig[7:])/2 {
			b.Fatal("bad mac")
		}
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkRouterSend is Parse + Bind + dispatch to a typed handler: the
// difference to BenchmarkParseBind is the router's overhead per call.
func BenchmarkRouterSend(b *testing.B) {
	r, rd := benchRequest(b, benchBody)
	rt := mustRouter(b, &RouterOptions{ParseOptions: ParseOptions{AccessKeys: []string{primaryKey}}})
	require.NoError(b, rt.OnMessage("chat", "broadcast", func(ctx context.Context, inv *Invocation, user, text string) error { return nil }))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Seek(0, io.SeekStart)
		rt.ServeHTTP(w, r)
	}
}

// BenchmarkRouterInvokeReflect adds a Completion and a handler shape that
// goes through reflect.
func BenchmarkRouterInvokeReflect(b *testing.B) {
	r, rd := benchRequest(b, `{"type":1,"invocationId":"0","target":"broadcast","arguments":["alice",{"x":1}]}`)
	rt := mustRouter(b, &RouterOptions{ParseOptions: ParseOptions{AccessKeys: []string{primaryKey}}})
	type point struct{ X int }
	require.NoError(b, rt.OnMessage("chat", "broadcast", func(ctx context.Context, inv *Invocation, user string, p point) (int, error) { return p.X, nil }))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Seek(0, io.SeekStart)
		rt.ServeHTTP(w, r)
	}
}
