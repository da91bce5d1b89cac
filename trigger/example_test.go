package trigger_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

const accessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// upstreamRequest builds a request the way the service sends one.
func upstreamRequest(event, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/runtime/webhooks/signalr", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(trigger.HeaderConnectionID, "conn-1")
	r.Header.Set(trigger.HeaderHub, "chat")
	r.Header.Set(trigger.HeaderCategory, trigger.CategoryMessages)
	r.Header.Set(trigger.HeaderEvent, event)
	r.Header.Set(trigger.HeaderUserID, "alice")
	r.Header.Set(trigger.HeaderSignature, trigger.Signature(accessKey, "conn-1"))
	return r
}

// A Router answers a client's invoke() with a Completion message: this is
// what the service forwards to the caller.
func ExampleRouter() {
	// The client of the service: its access key verifies the upstream signatures, and
	// Invocation.Reply sends through it.
	client, err := signalr.NewClientFromConnectionString("Endpoint=https://contoso.service.signalr.net;AccessKey="+accessKey+";Version=1.0;", nil)
	if err != nil {
		log.Fatal(err)
	}
	r, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{Client: client}})
	if err != nil {
		log.Fatal(err)
	}
	err = errors.Join(
		r.OnConnected("chat", func(ctx context.Context, inv *trigger.Invocation) error {
			if inv.UserID == "" {
				return errors.New("sign in first") // 403: the service rejects the client
			}
			return nil
		}),
		r.OnMessage("chat", "add", func(ctx context.Context, inv *trigger.Invocation, a, b int) (int, error) {
			return a + b, nil
		}),
	)
	if err != nil {
		log.Fatal(err) // a bad handler signature or a duplicate
	}

	w := httptest.NewRecorder()
	r.ServeHTTP(w, upstreamRequest("add", `{"type":1,"invocationId":"0","target":"add","arguments":[2,3]}`))
	fmt.Println(w.Code)
	fmt.Printf("%q\n", w.Body.String())
	// Output:
	// 200
	// "{\"type\":3,\"invocationId\":\"0\",\"result\":5}\x1e"
}

// Parse decodes and authenticates one request; Bind decodes its arguments.
func ExampleParse() {
	req := upstreamRequest("broadcast", `{"type":1,"target":"broadcast","arguments":["hello",{"room":"lobby"}]}`)
	inv, err := trigger.Parse(req, &trigger.ParseOptions{AccessKeys: []string{accessKey}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var text string
	var meta struct {
		Room string `json:"room"`
	}
	if err := inv.Bind(&text, &meta); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inv.Hub, inv.Category, inv.Event, inv.UserID, inv.IsInvoke())
	fmt.Println(text, meta.Room)
	// Output:
	// chat messages broadcast alice false
	// hello lobby
}

// Failures wrap sentinel errors; none of them contain a key or a signature.
func ExampleParse_errors() {
	req := upstreamRequest("broadcast", `{"type":1,"target":"broadcast","arguments":[]}`)
	_, err := trigger.Parse(req, &trigger.ParseOptions{AccessKeys: []string{"some-other-key"}})
	fmt.Println(errors.Is(err, trigger.ErrInvalidSignature))
	fmt.Println(err)
	// Output:
	// true
	// trigger: invalid signature: no X-ASRS-Signature entry matches a configured access key
}

// With Parse, WriteResponse answers the service as Router would.
func ExampleInvocation_WriteResponse() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv, err := trigger.Parse(r, &trigger.ParseOptions{AccessKeys: []string{accessKey}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var name string
		err = inv.Bind(&name)
		_ = inv.WriteResponse(w, "hello "+name, err)
	})
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, upstreamRequest("greet", `{"type":1,"invocationId":"4","target":"greet","arguments":["bob"]}`))
	fmt.Printf("%d %q\n", w.Code, w.Body.String())
	// Output:
	// 200 "{\"type\":3,\"invocationId\":\"4\",\"result\":\"hello bob\"}\x1e"
}
