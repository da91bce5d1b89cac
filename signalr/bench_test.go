package signalr

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/golang-jwt/jwt/v5"
)

// benchServer is a loopback service that accepts every send.
func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	b.Cleanup(srv.Close)
	return srv
}

var benchMessage = Message{Target: "newMessage", Arguments: []any{map[string]any{"sender": "alice", "text": "hello, world"}}}

// BenchmarkSendToAll is a broadcast through the client: validation, URL and body encoding, the
// azcore pipeline (telemetry, retry, cached access-key token, logging) and the round trip.
func BenchmarkSendToAll(b *testing.B) {
	srv := benchServer(b)
	c, err := NewClientWithAccessKey(srv.URL, NewAccessKeyCredential(testKey), nil)
	if err != nil {
		b.Fatal(err)
	}
	h := hubOf(b, c, "chat")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.SendToAll(ctx, benchMessage, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendToAllFloorRawHTTP is the least any client does for the same send: encode the
// body and POST it with a token signed once, over a keep-alive net/http client.
func BenchmarkSendToAllFloorRawHTTP(b *testing.B) {
	srv := benchServer(b)
	url := srv.URL + "/api/hubs/chat/:send?api-version=" + DefaultAPIVersion
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Audience:  jwt.ClaimStrings{srv.URL + "/api/hubs/chat/:send"},
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}).SignedString([]byte(testKey))
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 10}}
	b.Cleanup(client.CloseIdleConnections)
	b.ReportAllocs()
	for b.Loop() {
		body, err := json.Marshal(payloadMessage{Target: benchMessage.Target, Arguments: benchMessage.Arguments})
		if err != nil {
			b.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkSendToAllFloorAzcore is the same POST through a bare azcore pipeline (no policies of
// ours, token signed once): it separates the cost of azcore's pipeline from the client's own.
func BenchmarkSendToAllFloorAzcore(b *testing.B) {
	srv := benchServer(b)
	url := srv.URL + "/api/hubs/chat/:send?api-version=" + DefaultAPIVersion
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Audience:  jwt.ClaimStrings{srv.URL + "/api/hubs/chat/:send"},
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}).SignedString([]byte(testKey))
	if err != nil {
		b.Fatal(err)
	}
	pl := runtime.NewPipeline("bench", "v0.0.1", runtime.PipelineOptions{}, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		body, err := json.Marshal(payloadMessage{Target: benchMessage.Target, Arguments: benchMessage.Arguments})
		if err != nil {
			b.Fatal(err)
		}
		req, err := runtime.NewRequest(ctx, http.MethodPost, url)
		if err != nil {
			b.Fatal(err)
		}
		req.Raw().Header.Set("Authorization", "Bearer "+token)
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body)), "application/json"); err != nil {
			b.Fatal(err)
		}
		resp, err := pl.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != http.StatusAccepted {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkAccessKeyTokenSign signs a REST token, the work the per-audience cache saves.
func BenchmarkAccessKeyTokenSign(b *testing.B) {
	p := newAccessKeyPolicy(NewAccessKeyCredential(testKey))
	b.ReportAllocs()
	for b.Loop() {
		clear(p.tokens)
		if _, err := p.token("https://x.service.signalr.net/api/hubs/chat/:send"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccessKeyTokenCached is a token lookup that hits the cache, the common case.
func BenchmarkAccessKeyTokenCached(b *testing.B) {
	p := newAccessKeyPolicy(NewAccessKeyCredential(testKey))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.token("https://x.service.signalr.net/api/hubs/chat/:send"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccessKeyTokenFloorHMAC is the raw HMAC-SHA256 over a JWT-sized input.
func BenchmarkAccessKeyTokenFloorHMAC(b *testing.B) {
	input := bytes.Repeat([]byte("a"), 190) // header.claims of a REST token
	key := []byte(testKey)
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		m.Write(input)
		_ = m.Sum(nil)
	}
}

// BenchmarkSendToAllTwoEndpoints is one broadcast through a client of two endpoints, sent to
// both concurrently; compare with two BenchmarkSendToAll round trips.
func BenchmarkSendToAllTwoEndpoints(b *testing.B) {
	var endpoints []Endpoint
	for _, name := range []string{"east", "west"} {
		c, err := NewClientWithAccessKey(benchServer(b).URL, NewAccessKeyCredential(testKey), nil)
		if err != nil {
			b.Fatal(err)
		}
		endpoints = append(endpoints, Endpoint{Name: name, Client: c})
	}
	c, err := NewClientWithEndpoints(endpoints, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	h := hubOf(b, c, "chat")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.SendToAll(ctx, benchMessage, nil); err != nil {
			b.Fatal(err)
		}
	}
}
