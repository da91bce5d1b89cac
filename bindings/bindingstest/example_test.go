package bindingstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
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

// With the emulator behind it, negotiate and signalR outputs work end to end.
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

	host, err := bindingstest.NewHost(app, &bindingstest.Options{Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	defer host.Close()
	srv := signalrtest.NewServer(&signalrtest.Options{
		Upstream: []signalrtest.UpstreamTemplate{{UrlTemplate: host.URL + bindingstest.WebhookPath}},
		Logger:   quiet,
	})
	defer srv.Close()
	host.SetSetting(signalr.DefaultConnectionSetting, srv.ConnectionString())

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

// Local development: the host on the port `func start` uses, the emulator as the service,
// until Ctrl-C.
func Example_localDevelopment() {
	app := bindings.NewApp(nil)
	_ = app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{HTTPOptions: bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}})

	host, err := bindingstest.NewHost(app, &bindingstest.Options{Addr: "127.0.0.1:7071", CORS: []string{"*"}})
	if err != nil {
		log.Fatal(err)
	}
	defer host.Close()
	srv := signalrtest.NewServer(&signalrtest.Options{
		Upstream: []signalrtest.UpstreamTemplate{{UrlTemplate: host.URL + bindingstest.WebhookPath}},
	})
	defer srv.Close()
	host.SetSetting(signalr.DefaultConnectionSetting, srv.ConnectionString())

	log.Printf("functions on %s/api, SignalR Service emulator on %s", host.URL, srv.URL)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
}
