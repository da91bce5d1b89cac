package bindingstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// A test calls an App through the fake host exactly as a browser calls it in Azure.
func Example() {
	app := bindings.NewApp(nil)
	if err := app.HTTP("hello", &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		func(ctx context.Context, inv *bindings.Invocation) error {
			req, err := inv.HTTPRequest()
			if err != nil {
				return err
			}
			return inv.Respond(http.StatusOK, nil, "hello "+req.Query["name"])
		}); err != nil {
		log.Fatal(err)
	}

	host, err := bindingstest.NewHost(app, &bindingstest.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	defer host.Close()

	resp, err := http.Get(host.URL + "/api/hello?name=go")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), string(body))
	// Output: 200 text/plain; charset=utf-8 hello go
}

// With the emulator behind it, negotiate and signalR outputs work end to end; Options.Emulator
// also wires the emulator's upstream to the host, for SignalR triggers.
func ExampleNewHost_withEmulator() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	_ = app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{HTTPOptions: bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}})
	_ = app.HTTP("messages", &bindings.HTTPOptions{Methods: []string{"post"}},
		func(ctx context.Context, inv *bindings.Invocation) error {
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{"hi"}}); err != nil {
				return err
			}
			return inv.Respond(http.StatusAccepted, nil, nil)
		}, bindings.SignalROutput("signalRMessages", "chat", nil))

	srv := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	defer srv.Close()
	host, err := bindingstest.NewHost(app, &bindingstest.Options{Emulator: srv, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	defer host.Close()

	resp, err := http.Post(host.URL+"/api/negotiate", "text/plain", nil)
	if err != nil {
		log.Fatal(err)
	}
	var info struct{ URL string }
	_ = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.HasPrefix(info.URL, srv.URL+"/client/?hub=chat"))

	resp, err = http.Post(host.URL+"/api/messages", "application/json", strings.NewReader(`{}`))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(srv.RESTCalls()))
	// Output:
	// 200 true
	// 202 1
}

// An app as `go run .` runs it, in a test: the emulator for the unset connection setting,
// timers, the admin endpoint and the invocation log.
func ExampleStartLocal() {
	app := bindings.NewApp(nil)
	_ = app.Timer("hourly", "0 0 * * * *", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		inv.Log("ran")
		return nil
	})
	_ = app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{HTTPOptions: bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}})

	var out syncBuffer
	local, err := bindingstest.StartLocal(app, &bindingstest.LocalOptions{Output: &out})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Post(local.URL+"admin/functions/hourly", "application/json", strings.NewReader(`{}`))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(local.Emulators))
	local.Close() // waits for the run
	fmt.Println(strings.Contains(out.String(), "] ran\n"), strings.Contains(out.String(), "Executed 'Functions.hourly' (Succeeded"))
	// Output:
	// 202 1
	// true true
}
