package bindings_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// A chat backend in a few lines: a negotiate function and a function that broadcasts what it
// is posted. A program ends its main with app.Main(), which serves the Functions host and
// writes the function.json files (`go run . functionjson .`); here the host's invocation is
// played by hand.
func Example() {
	app := bindings.NewApp(&bindings.AppOptions{ExecutablePath: "chat"})
	check(app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{
		HTTPOptions: bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
	}))
	check(app.HTTP("messages", &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: bindings.AuthLevelAnonymous},
		func(ctx context.Context, inv *bindings.Invocation) error {
			req, err := inv.HTTPRequest()
			if err != nil {
				return err
			}
			var m struct {
				Text string `json:"text"`
			}
			if err := req.JSON(&m); err != nil {
				return inv.Respond(http.StatusBadRequest, nil, map[string]string{"error": "expected {\"text\":…}"})
			}
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{m.Text}}); err != nil {
				return err
			}
			return inv.Respond(http.StatusAccepted, nil, nil)
		},
		bindings.SignalROutput("signalRMessages", "chat", nil)))

	fmt.Println(invokeExample(app, "messages", `{"Data":{"req":{"Url":"http://localhost:7071/api/messages","Method":"POST","Headers":{"Content-Type":["application/json"]},"Body":"{\"text\":\"hi\"}"}},"Metadata":{}}`))
	// Output: {"Outputs":{"res":{"statusCode":202,"headers":{},"body":""},"signalRMessages":[{"target":"newMessage","arguments":["hi"]}]},"Logs":[],"ReturnValue":null}
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

// invokeExample posts an invocation payload to the App as the Functions host does and returns
// the App's answer.
func invokeExample(app *bindings.App, function, payload string) string {
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/"+function, strings.NewReader(payload)))
	return w.Body.String()
}

// Input undoes the host's encoding according to the target type: strings, numbers and arrays
// arrive serialized a second time, byte[] as base64.
func ExampleInvocation_Input() {
	app := bindings.NewApp(nil)
	check(app.Func("job", func(ctx context.Context, inv *bindings.Invocation) error {
		var msg string
		var count int
		var blob []byte
		if err := errors.Join(inv.Input("msg", &msg), inv.Input("count", &count), inv.Input("blob", &blob)); err != nil {
			return err
		}
		fmt.Printf("%s %d %v\n", msg, count, blob)
		return nil
	},
		bindings.GenericBinding("queueTrigger", bindings.DirectionIn, "msg", map[string]any{"queueName": "jobs"}),
		bindings.GenericBinding("blob", bindings.DirectionIn, "count", map[string]any{"path": "counts/{queueTrigger}"}),
		bindings.GenericBinding("blob", bindings.DirectionIn, "blob", map[string]any{"path": "data/{queueTrigger}", "dataType": "binary"})))

	invokeExample(app, "job", `{"Data":{"msg":"\"\\\"hi\\\"\"","count":"4","blob":"AAE="},"Metadata":{}}`)
	// Output: "hi" 4 [0 1]
}

// ConnectionInfo reads a signalRConnectionInfo input, which the host encodes three times.
func ExampleInvocation_ConnectionInfo() {
	app := bindings.NewApp(nil)
	check(app.HTTP("negotiate", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		info, err := inv.ConnectionInfo()
		if err != nil {
			return err
		}
		fmt.Println(info.URL)
		fmt.Println(info) // the token is redacted
		return inv.Respond(http.StatusOK, nil, info)
	}, bindings.SignalRConnectionInfo("connectionInfo", "chat", nil)))

	inner := "{\n  \"url\": \"https://x.service.signalr.net/client/?hub=chat\",\n  \"accessToken\": \"eyJ…\"\n}"
	once, _ := json.Marshal(inner)
	twice, _ := json.Marshal(string(once))
	invokeExample(app, "negotiate", `{"Data":{"req":{"Method":"POST","Url":"http://localhost/api/negotiate"},"connectionInfo":`+string(twice)+`},"Metadata":{}}`)
	// Output:
	// https://x.service.signalr.net/client/?hub=chat
	// negotiate.ConnectionInfo{URL: https://x.service.signalr.net/client/?hub=chat, AccessToken: REDACTED}
}

// Output refuses strings the host would mistake for base64.
func ExampleInvocation_Output() {
	app := bindings.NewApp(nil)
	check(app.HTTP("enqueue", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		fmt.Println(inv.Output("queue", "test"))
		fmt.Println(inv.Output("queue", map[string]string{"text": "test"}))
		return inv.Respond(http.StatusAccepted, nil, nil)
	}, bindings.GenericBinding("queue", bindings.DirectionOut, "queue", map[string]any{"queueName": "jobs"})))

	invokeExample(app, "enqueue", `{"Data":{"req":{"Method":"POST","Url":"http://localhost/api/enqueue"}},"Metadata":{}}`)
	// Output:
	// bindings: output "queue" is a string that is valid base64, which the host decodes into bytes; send an object, or []byte for binary data
	// <nil>
}

// Main's functionjson command writes host.json and function.json from the declarations;
// CheckFunctionJSON, in a test, catches the files drifting from them.
func ExampleApp_CheckFunctionJSON() {
	app := bindings.NewApp(nil)
	check(app.SignalRTrigger("broadcast", "chat", trigger.CategoryMessages, "broadcast",
		&bindings.SignalRTriggerOptions{ParameterNames: []string{"message"}},
		func(ctx context.Context, inv *bindings.Invocation) error { return nil }))

	// testdata/example holds the files `go run . functionjson testdata/example` wrote.
	fmt.Println(app.CheckFunctionJSON(filepath.Join("testdata", "example")))
	b, _ := os.ReadFile(filepath.Join("testdata", "example", "broadcast", "function.json"))
	fmt.Print(string(b))
	// Output:
	// <nil>
	// {
	//   "bindings": [
	//     {
	//       "type": "signalRTrigger",
	//       "direction": "in",
	//       "name": "invocation",
	//       "hubName": "chat",
	//       "category": "messages",
	//       "event": "broadcast",
	//       "parameterNames": [
	//         "message"
	//       ]
	//     }
	//   ]
	// }
}

// ServeHTTP answers the host's invocation requests.
func ExampleApp_ServeHTTP() {
	app := bindings.NewApp(nil)
	check(app.HTTP("hello", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		req, err := inv.HTTPRequest()
		if err != nil {
			return err
		}
		return inv.Respond(http.StatusOK, nil, "hello "+req.Query["name"])
	}))

	payload := `{"Data":{"req":{"Url":"http://localhost:7071/api/hello?name=go","Method":"GET","Query":{"name":"go"},"Headers":{}}},"Metadata":{}}`
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hello", strings.NewReader(payload)))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(w.Body.String())
	// Output:
	// 200 application/json
	// {"Outputs":{"res":{"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"hello go"}},"Logs":[],"ReturnValue":null}
}

// A typed SignalR trigger: the client's arguments arrive decoded, the result answers invoke().
func ExampleApp_SignalRMessage() {
	app := bindings.NewApp(nil)
	check(app.SignalRMessage("add", "calc", "add", &bindings.SignalRTriggerOptions{ParameterNames: []string{"a", "b"}},
		func(ctx context.Context, inv *bindings.Invocation, a, b int) (int, error) {
			return a + b, nil
		}))

	fmt.Println(invokeExample(app, "add", `{"Data":{"invocation":{"Arguments":[2,3],"Error":null,"Category":"messages","Event":"add","Hub":"calc","ConnectionId":"c1","UserId":null,"Headers":{},"Query":{},"Claims":{}}},"Metadata":{"a":"2","b":"3"}}`))
	// Output: {"Outputs":{},"Logs":[],"ReturnValue":5}
}

// An authorization filter, like the C# samples' [FunctionAuthorize], is one Use call: here
// hub methods of SignalR triggers need the caller's "role" claim to be "admin". A refused
// invoke() call gets the error as its result; other functions pass through.
func ExampleApp_Use() {
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	app.Use(func(next bindings.HandlerFunc) bindings.HandlerFunc {
		return func(ctx context.Context, inv *bindings.Invocation) error {
			ic, err := inv.InvocationContext()
			if err != nil {
				return next(ctx, inv) // not triggered by SignalR
			}
			if ic.Category == trigger.CategoryMessages && ic.Claims["role"] != "admin" {
				return fmt.Errorf("user %q may not call %s", ic.UserID, ic.Event)
			}
			return next(ctx, inv)
		}
	})
	check(app.SignalRMessage("shutdown", "ops", "shutdown", nil,
		func(ctx context.Context, inv *bindings.Invocation, reason string) (string, error) {
			return "shutting down: " + reason, nil
		}))

	call := func(user, role string) string {
		return invokeExample(app, "shutdown", `{"Data":{"invocation":{"Arguments":["maintenance"],"Category":"messages","Event":"shutdown","Hub":"ops","ConnectionId":"c1","UserId":"`+user+`","Claims":{"role":"`+role+`"}}},"Metadata":{}}`)
	}
	fmt.Println(call("alice", "admin"))
	fmt.Println(call("mallory", "guest"))
	// Output:
	// {"Outputs":{},"Logs":[],"ReturnValue":"shutting down: maintenance"}
	// {"Outputs":{},"Logs":["function shutdown failed: user \"mallory\" may not call shutdown"],"ReturnValue":null}
}

// A negotiate function that chooses among several service endpoints itself: the
// signalRNegotiation input carries a connection info per endpoint, with its type and health.
func ExampleSignalRNegotiation() {
	app := bindings.NewApp(nil)
	check(app.HTTP("negotiate", &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		func(ctx context.Context, inv *bindings.Invocation) error {
			neg, err := inv.Negotiation()
			if err != nil {
				return err
			}
			for _, e := range neg.Endpoints {
				if e.Online {
					return inv.Respond(http.StatusOK, nil, e.ConnectionInfo)
				}
			}
			return inv.Respond(http.StatusServiceUnavailable, nil, map[string]string{"error": "no endpoint is online"})
		},
		bindings.SignalRNegotiation("negotiation", "chat", &bindings.ConnectionInfoOptions{UserID: "{headers.x-ms-client-principal-id}"})))

	// The host sends the extension's value as a JSON object.
	answer := invokeExample(app, "negotiate", `{"Data":{"req":{"Method":"POST","Url":"http://localhost/api/negotiate"},"negotiation":{"endpoints":[
		{"endpointType":"Primary","name":"east","endpoint":"https://east.service.signalr.net","online":false,
		 "connectionInfo":{"url":"https://east.service.signalr.net/client/?hub=chat","accessToken":"a"}},
		{"endpointType":"Secondary","name":"west","endpoint":"https://west.service.signalr.net","online":true,
		 "connectionInfo":{"url":"https://west.service.signalr.net/client/?hub=chat","accessToken":"b"}}]}},"Metadata":{}}`)
	var resp struct {
		Outputs map[string]struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
	}
	check(json.Unmarshal([]byte(answer), &resp))
	fmt.Println(resp.Outputs["res"].StatusCode, resp.Outputs["res"].Body)
	// Output:
	// 200 {"url":"https://west.service.signalr.net/client/?hub=chat","accessToken":"b"}
}

// The signalREndpoints input lists the endpoints; the host sends the extension's array as JSON
// text in a string. Several inputs of one type are read by name with Input.
func ExampleInvocation_Endpoints() {
	app := bindings.NewApp(nil)
	check(app.HTTP("endpoints", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		eps, err := inv.Endpoints()
		if err != nil {
			return err
		}
		var same []signalr.EndpointRef
		if err := inv.Input("endpoints", &same); err != nil {
			return err
		}
		for _, e := range eps {
			fmt.Printf("%s %q %s online=%v\n", e.EndpointType, e.Name, e.Endpoint, e.Online)
		}
		fmt.Println(len(same), "by name")
		return inv.Respond(http.StatusOK, nil, eps)
	}, bindings.SignalREndpoints("endpoints", "chat", nil)))

	invokeExample(app, "endpoints", `{"Data":{"req":{"Method":"GET","Url":"http://localhost/api/endpoints"},"endpoints":"[{\"endpointType\":\"Primary\",\"name\":\"\",\"endpoint\":\"https://a.service.signalr.net\",\"online\":true},{\"endpointType\":\"Secondary\",\"name\":\"b\",\"endpoint\":\"https://b.service.signalr.net\",\"online\":false}]"},"Metadata":{}}`)
	// Output:
	// Primary "" https://a.service.signalr.net online=true
	// Secondary "b" https://b.service.signalr.net online=false
	// 2 by name
}

// A timer function: its schedule is checked when it is declared, and App.Main runs it locally
// on schedule, as the host does in Azure.
func ExampleApp_Timer() {
	app := bindings.NewApp(nil)
	err := app.Timer("cleanup", "0 0 3 * * *", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		info, err := inv.TimerInfo()
		if err != nil {
			return err
		}
		inv.Log("cleaning up; past due: %v", info.IsPastDue)
		return nil
	})
	fmt.Println(err)
	err = app.Timer("typo", "0 0 3 * *  * *", nil, func(context.Context, *bindings.Invocation) error { return nil })
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
}

// A page served by the app itself, with the official SignalR client next to it.
func ExampleApp_Page() {
	app := bindings.NewApp(nil)
	page := fstest.MapFS{"index.html": {Data: []byte(`<script src="signalr.min.js"></script>`)}}
	if err := app.Page("web", page, nil); err != nil {
		log.Fatal(err)
	}
	host, err := bindingstest.NewHost(app, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer host.Close()
	for _, path := range []string{"/api/web/", "/api/web/signalr.min.js"} {
		resp, err := http.Get(host.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Output:
	// /api/web/ 200 text/html; charset=utf-8
	// /api/web/signalr.min.js 200 text/javascript; charset=utf-8
}
