package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// broadcastPayload is the body the Functions host POSTs for one broadcast call, as bindingstest
// writes it.
var broadcastPayload = []byte(`{"Data":{"req":{"Url":"http://localhost:7071/api/broadcast","Method":"POST",` +
	`"Query":{},"Headers":{"Content-Type":["application/json"],"x-ms-client-principal-id":["alice"]},` +
	`"Params":{},"Identities":[],"Body":"{\"text\":\"hello everyone\"}"}},` +
	`"Metadata":{"sys":{"MethodName":"broadcast","UtcNow":"2026-01-01T00:00:00Z","RandGuid":"0f8fad5b-d9cb-469f-a165-70867728950e"}}}`)

// BenchmarkBroadcastFunction is one broadcast invocation through the custom handler: decode
// the host's payload, validate, build the signalR output and the HTTP output, encode.
func BenchmarkBroadcastFunction(b *testing.B) {
	app, err := newApp()
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/broadcast", bytes.NewReader(broadcastPayload)))
	if !bytes.Contains(rec.Body.Bytes(), []byte(`"sender":"alice","text":"hello everyone"`)) {
		b.Fatalf("unexpected answer: %s", rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/broadcast", bytes.NewReader(broadcastPayload)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkFloorBroadcastRawJSON is the floor: a plain net/http handler doing the same work with
// encoding/json and no checks — decode the payload and the body inside it, encode the outputs.
func BenchmarkFloorBroadcastRawJSON(b *testing.B) {
	type request struct {
		Data struct {
			Req struct {
				Headers map[string][]string `json:"Headers"`
				Body    string              `json:"Body"`
			} `json:"req"`
		} `json:"Data"`
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var body struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(req.Data.Req.Body), &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sender := req.Data.Req.Headers["x-ms-client-principal-id"][0]
		out := map[string]any{
			"Outputs": map[string]any{
				"res": map[string]any{"statusCode": 202, "headers": map[string]string{"Content-Type": "application/json"}, "body": `{"accepted":true}`},
				"signalRMessages": []any{map[string]any{"target": target, "arguments": []any{
					chatMessage{Sender: sender, Text: body.Text, Kind: kindAll},
				}}},
			},
			"Logs":        []string{},
			"ReturnValue": nil,
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/broadcast", bytes.NewReader(broadcastPayload)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
