package signalrtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// A test points the service client at the emulator through its connection string.
func ExampleNewServer() {
	srv := signalrtest.NewServer(nil)
	defer srv.Close()

	client, err := signalr.NewClientFromConnectionString(srv.ConnectionString(), nil)
	if err != nil {
		log.Fatal(err)
	}
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := hub.AddUserToGroup(ctx, "admins", "alice", &signalr.AddUserToGroupOptions{TTL: time.Hour}); err != nil {
		log.Fatal(err)
	}
	for _, g := range srv.UserGroups("chat", "alice") {
		fmt.Println(g.Group, g.TTL)
	}
	for _, call := range srv.RESTCalls() {
		fmt.Println(call.Method, call.Path, call.Status)
	}
	// Output:
	// admins true
	// PUT /api/hubs/chat/users/alice/groups/admins 200
}

// The connection string has the shape Microsoft's emulator prints.
func ExampleServer_ConnectionString() {
	srv := signalrtest.NewServer(&signalrtest.Options{AccessKey: "my-test-key-0123456789"})
	defer srv.Close()
	cs := srv.ConnectionString()
	fmt.Println(strings.HasPrefix(cs, "Endpoint=http://127.0.0.1;Port="))
	fmt.Println(strings.HasSuffix(cs, ";AccessKey=my-test-key-0123456789;Version=1.0;"))
	// Output:
	// true
	// true
}

// Upstream rules use the settings.json format of Microsoft's emulator; the first
// match receives each event.
func ExampleParseSettings() {
	templates, err := signalrtest.ParseSettings([]byte(`{
	  "UpstreamSettings": {
	    "Templates": [
	      {"UrlTemplate": "http://localhost:7071/runtime/webhooks/signalr", "EventPattern": "*", "HubPattern": "*", "CategoryPattern": "*"}
	    ]
	  }
	}`))
	if err != nil {
		log.Fatal(err)
	}
	srv := signalrtest.NewServer(&signalrtest.Options{Upstream: templates})
	defer srv.Close()
	fmt.Println(len(templates), templates[0].UrlTemplate)
	// Output:
	// 1 http://localhost:7071/runtime/webhooks/signalr
}

// Handler serves the whole service in-process, here the unauthenticated health probe.
func ExampleServer_Handler() {
	srv := signalrtest.NewUnstartedServer(nil)
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/api/health", nil))
	fmt.Println(rec.Code)
	// Output:
	// 200
}

// Tools read the live trace as Server-Sent Events; here only REST calls, one JSON object per
// event. A browser shows the same at srv.URL + "/trace/".
func Example_trace() {
	srv := signalrtest.NewServer(nil)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/trace/events?kind=rest")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()

	client, err := signalr.NewClientFromConnectionString(srv.ConnectionString(), nil)
	if err != nil {
		log.Fatal(err)
	}
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := hub.SendToAll(context.Background(), signalr.Message{Target: "news", Arguments: []any{"hi"}}, nil); err != nil {
		log.Fatal(err)
	}

	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue // id:, retry: and blank lines
		}
		var ev struct {
			Kind, Hub, Method, Path string
			Status, Reached         int
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Kind, ev.Hub, ev.Method, ev.Path, ev.Status, "reached", ev.Reached)
		break
	}
	// Output:
	// rest chat POST /api/hubs/chat/:send 202 reached 0
}
