package bindings

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/funcsignalr/funcsignalr/signalr"
)

func readBenchdata(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

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
			Identities []Identity          `json:"Identities"`
			Body       string              `json:"Body"`
		} `json:"req"`
	} `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

func BenchmarkDecodeHTTPInvocation(b *testing.B) {
	payload := readBenchdata(b, "http_trigger.json")
	b.Run("bindings", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			req, err := parseInvokeRequest(payload)
			if err != nil {
				b.Fatal(err)
			}
			r, err := req.httpRequest("req")
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
			var r invokeResponse
			if err := r.setHTTP("res", http.StatusAccepted, nil, msg); err != nil {
				b.Fatal(err)
			}
			if err := r.signalR("signalRMessages",
				signalr.Message{Target: "newMessage", Arguments: []any{msg}},
				signalr.Message{Target: "newMessage", Arguments: []any{msg}, GroupName: "room"}); err != nil {
				b.Fatal(err)
			}
			if _, err := r.appendJSON(make([]byte, 0, 1024)); err != nil {
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
