package bindings_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// A chat backend in a few lines: a negotiate function and a function that broadcasts what it
// is posted. Under the Functions host, main would end with app.ListenAndServe().
func Example() {
	app := bindings.NewApp(&bindings.AppOptions{ExecutablePath: "chat"})
	check(app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{AuthLevel: bindings.AuthLevelAnonymous}))
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

	for _, f := range app.Functions() {
		fmt.Println(f.Name, len(f.Bindings), "bindings")
	}
	// Output:
	// negotiate 3 bindings
	// messages 3 bindings
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

// Decode undoes the host's double encoding according to the target type.
func ExampleInvokeRequest_Decode() {
	var req bindings.InvokeRequest
	_ = json.Unmarshal([]byte(`{"Data":{"msg":"\"\\\"hi\\\"\"","count":"4","blob":"AAE="},"Metadata":{}}`), &req)

	var msg string
	var count int
	var blob []byte
	check(req.Decode("msg", &msg))
	check(req.Decode("count", &count))
	check(req.Decode("blob", &blob))
	fmt.Printf("%s %d %v\n", msg, count, blob)
	// Output: "hi" 4 [0 1]
}

// ConnectionInfo reads a signalRConnectionInfo input, which the host encodes three times.
func ExampleInvokeRequest_ConnectionInfo() {
	inner := "{\n  \"url\": \"https://x.service.signalr.net/client/?hub=chat\",\n  \"accessToken\": \"eyJ…\"\n}"
	once, _ := json.Marshal(inner)
	twice, _ := json.Marshal(string(once))
	req := bindings.InvokeRequest{Data: map[string]json.RawMessage{"connectionInfo": twice}}

	info, err := req.ConnectionInfo("connectionInfo")
	check(err)
	fmt.Println(info.URL)
	fmt.Println(info) // the token is redacted
	// Output:
	// https://x.service.signalr.net/client/?hub=chat
	// negotiate.ConnectionInfo{URL: https://x.service.signalr.net/client/?hub=chat, AccessToken: REDACTED}
}

// The response builder writes the shapes the host honours.
func ExampleInvokeResponse() {
	var resp bindings.InvokeResponse
	check(resp.HTTP("res", http.StatusCreated, nil, map[string]int{"id": 7}))
	check(resp.SignalR("signalRMessages", signalr.Message{Target: "created", Arguments: []any{7}}))
	resp.Log("created %d", 7)
	b, err := resp.AppendJSON(nil)
	check(err)
	fmt.Println(string(b))
	// Output: {"Outputs":{"res":{"statusCode":201,"headers":{"Content-Type":"application/json"},"body":"{\"id\":7}"},"signalRMessages":[{"target":"created","arguments":[7]}]},"Logs":["created 7"],"ReturnValue":null}
}

// Output refuses strings the host would mistake for base64.
func ExampleInvokeResponse_Output() {
	var resp bindings.InvokeResponse
	fmt.Println(resp.Output("queue", "test"))
	fmt.Println(resp.Output("queue", map[string]string{"text": "test"}))
	// Output:
	// bindings: output "queue" is a string that is valid base64, which the host decodes into bytes; send an object, or []byte for binary data
	// <nil>
}

// WriteFunctionJSON generates host.json and function.json from the declarations.
func ExampleApp_WriteFunctionJSON() {
	app := bindings.NewApp(nil)
	check(app.SignalRTrigger("broadcast", "chat", bindings.CategoryMessages, "broadcast",
		&bindings.SignalRTriggerOptions{ParameterNames: []string{"message"}},
		func(ctx context.Context, inv *bindings.Invocation) error { return nil }))

	dir, _ := os.MkdirTemp("", "functions")
	defer os.RemoveAll(dir)
	check(app.WriteFunctionJSON(dir))
	b, _ := os.ReadFile(dir + "/broadcast/function.json")
	fmt.Print(string(b))
	fmt.Println(app.CheckFunctionJSON(dir))
	// Output:
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
	// <nil>
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

	payload := `{"Data":{"invocation":{"Arguments":[2,3],"Error":null,"Category":"messages","Event":"add","Hub":"calc","ConnectionId":"c1","UserId":null,"Headers":{},"Query":{},"Claims":{}}},"Metadata":{"a":"2","b":"3"}}`
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/add", strings.NewReader(payload)))
	fmt.Println(w.Body.String())
	// Output: {"Outputs":{},"Logs":[],"ReturnValue":5}
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
		bindings.SignalRNegotiation("negotiation", "chat", &bindings.NegotiationOptions{UserID: "{headers.x-ms-client-principal-id}"})))

	// The host sends the extension's value as a JSON object.
	payload := `{"Data":{"req":{"Method":"POST","Url":"http://localhost/api/negotiate"},"negotiation":{"endpoints":[
		{"endpointType":"Primary","name":"east","endpoint":"https://east.service.signalr.net","online":false,
		 "connectionInfo":{"url":"https://east.service.signalr.net/client/?hub=chat","accessToken":"a"}},
		{"endpointType":"Secondary","name":"west","endpoint":"https://west.service.signalr.net","online":true,
		 "connectionInfo":{"url":"https://west.service.signalr.net/client/?hub=chat","accessToken":"b"}}]}},"Metadata":{}}`
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/negotiate", strings.NewReader(payload)))
	var resp struct {
		Outputs map[string]bindings.HTTPResponse
	}
	check(json.Unmarshal(w.Body.Bytes(), &resp))
	fmt.Println(resp.Outputs["res"].StatusCode, resp.Outputs["res"].Body)
	// Output:
	// 200 {"url":"https://west.service.signalr.net/client/?hub=chat","accessToken":"b"}
}

// The signalREndpoints input lists the endpoints; the host sends the extension's array as JSON
// text in a string.
func ExampleInvokeRequest_Endpoints() {
	var req bindings.InvokeRequest
	_ = json.Unmarshal([]byte(`{"Data":{"endpoints":"[{\"endpointType\":\"Primary\",\"name\":\"\",\"endpoint\":\"https://a.service.signalr.net\",\"online\":true},{\"endpointType\":\"Secondary\",\"name\":\"b\",\"endpoint\":\"https://b.service.signalr.net\",\"online\":false}]"}}`), &req)
	eps, err := req.Endpoints("endpoints")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range eps {
		fmt.Printf("%s %q %s online=%v\n", e.EndpointType, e.Name, e.Endpoint, e.Online)
	}
	// Output:
	// Primary "" https://a.service.signalr.net online=true
	// Secondary "b" https://b.service.signalr.net online=false
}
