package bindings

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/internal/outputitem"
	"github.com/funcsignalr/funcsignalr/signalr"
)

func marshalResponse(t *testing.T, r *invokeResponse) map[string]json.RawMessage {
	t.Helper()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &top))
	return top
}

func TestEmptyResponseHasNoNullCollections(t *testing.T) {
	b, err := json.Marshal(&invokeResponse{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Outputs":{},"Logs":[],"ReturnValue":null}`, string(b))
}

func TestHTTPOutputShape(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		headers  http.Header
		body     any
		wantJSON string
	}{
		{
			name: "struct body is compact JSON with application/json", status: 201,
			body:     struct{ A int }{1},
			wantJSON: `{"statusCode":201,"headers":{"Content-Type":"application/json"},"body":"{\"A\":1}"}`,
		},
		{
			name: "string body gets an explicit text content type", status: 200, body: "hello",
			wantJSON: `{"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"hello"}`,
		},
		{
			name: "status 0 means 200 and nil body is empty", status: 0,
			wantJSON: `{"statusCode":200,"headers":{},"body":""}`,
		},
		{
			name: "caller's content type wins, header values joined as one string", status: 200,
			headers:  http.Header{"content-type": {"application/problem+json"}, "Vary": {"Origin", "Accept"}},
			body:     map[string]string{"error": "x"},
			wantJSON: `{"statusCode":200,"headers":{"content-type":"application/problem+json","Vary":"Origin, Accept"},"body":"{\"error\":\"x\"}"}`,
		},
		{
			name: "raw JSON verbatim", status: 202, body: json.RawMessage(`{"b": [1, 2]}`),
			wantJSON: `{"statusCode":202,"headers":{"Content-Type":"application/json"},"body":"{\"b\": [1, 2]}"}`,
		},
		{
			name: "UTF-8 bytes as text", status: 200, body: []byte("héllo"),
			wantJSON: `{"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"héllo"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r invokeResponse
			require.NoError(t, r.setHTTP("res", tt.status, tt.headers, tt.body))
			top := marshalResponse(t, &r)
			var outputs map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(top["Outputs"], &outputs))
			assert.JSONEq(t, tt.wantJSON, string(outputs["res"]))
			// Trap checks (spec §0.5): statusCode is a number, headers are strings, no "status".
			var shape map[string]any
			require.NoError(t, json.Unmarshal(outputs["res"], &shape))
			assert.IsType(t, float64(0), shape["statusCode"])
			assert.NotContains(t, shape, "status")
			for k, v := range shape["headers"].(map[string]any) {
				assert.IsType(t, "", v, "header %s", k)
			}
			assert.IsType(t, "", shape["body"])
		})
	}
}

func TestHTTPOutputErrors(t *testing.T) {
	var r invokeResponse
	require.ErrorContains(t, r.setHTTP("res", 42, nil, nil), "HTTP status 42 is invalid")
	require.ErrorContains(t, r.setHTTP("res", 200, nil, []byte{0xff, 0xfe}), "cannot return binary bodies")
	require.ErrorContains(t, r.setHTTP("res", 200, nil, json.RawMessage(`{`)), "not valid JSON")
	require.ErrorContains(t, r.setHTTP("res", 200, nil, make(chan int)), "marshalling the HTTP body")
	assert.Empty(t, r.Outputs)
}

func TestHTTPReturnBinding(t *testing.T) {
	var r invokeResponse
	require.NoError(t, r.setHTTP(manifest.ReturnBindingName, 404, nil, "gone"))
	assert.Empty(t, r.Outputs)
	resp, ok := r.ReturnValue.(httpResponse)
	require.True(t, ok)
	assert.Equal(t, 404, resp.StatusCode)
	b, err := json.Marshal(r.ReturnValue)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"body":"gone"`, "$return honours statusCode only with a body key")
}

func TestSignalROutput(t *testing.T) {
	var r invokeResponse
	require.NoError(t, r.signalR("signalRMessages",
		signalr.Message{Target: "newMessage"},
		&signalr.Message{Target: "direct", Arguments: []any{"hi"}, ConnectionID: "c1"},
	))
	require.NoError(t, r.signalR("signalRMessages",
		signalr.GroupAction{Action: signalr.GroupActionAdd, GroupName: "g", UserID: "alice"},
		&signalr.GroupAction{Action: signalr.GroupActionRemoveAll, UserID: "bob"},
	))
	top := marshalResponse(t, &r)
	var outputs map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(top["Outputs"], &outputs))
	var items []json.RawMessage
	require.NoError(t, json.Unmarshal(outputs["signalRMessages"], &items), "an array")
	require.Len(t, items, 4)
	for i, item := range items {
		assert.Equal(t, byte('{'), item[0], "item %d is an object, never a bare string", i)
		_, err := outputitem.Parse(item)
		require.NoError(t, err, "item %d parses as the extension would", i)
	}
	assert.JSONEq(t, `{"target":"newMessage","arguments":[]}`, string(items[0]), "nil arguments sent as [] so the extension sees a message")
	assert.JSONEq(t, `{"target":"direct","arguments":["hi"],"connectionId":"c1"}`, string(items[1]))
	assert.JSONEq(t, `{"action":"add","groupName":"g","userId":"alice"}`, string(items[2]))
	assert.JSONEq(t, `{"action":"removeAll","userId":"bob"}`, string(items[3]))
}

func TestSignalROutputErrors(t *testing.T) {
	tests := []struct {
		name    string
		binding string
		items   []signalr.Action
		wantErr string
	}{
		{name: "no target", binding: "out", items: []signalr.Action{signalr.Message{}}, wantErr: `"out" item 0: signalr: message has no target`},
		{name: "group action without user", binding: "out", items: []signalr.Action{signalr.Message{Target: "t"}, signalr.GroupAction{Action: signalr.GroupActionAdd, GroupName: "g"}}, wantErr: "item 1: signalr: group action \"add\" has neither"},
		{name: "nil item", binding: "out", items: []signalr.Action{nil}, wantErr: "item 0: item is nil"},
		{name: "nil message pointer", binding: "out", items: []signalr.Action{(*signalr.Message)(nil)}, wantErr: "item 0: item is nil"},
		{name: "nil group pointer", binding: "out", items: []signalr.Action{(*signalr.GroupAction)(nil)}, wantErr: "item 0: item is nil"},
		{name: "return binding", binding: "$return", items: []signalr.Action{signalr.Message{Target: "t"}}, wantErr: "cannot be the return value"},
		// SignalRAsyncCollector.cs (azure-sdk-for-net SignalR extension) handles only add and
		// remove for a connection id: removeAll would be dropped without a word (spec §8.4).
		{name: "removeAll for a connection", binding: "out", items: []signalr.Action{signalr.GroupAction{Action: signalr.GroupActionRemoveAll, ConnectionID: "c"}},
			wantErr: `"out" item 0: a removeAll group action with a connectionId is silently skipped by the Functions SignalR extension`},
		{name: "removeAll for a connection by pointer", binding: "out", items: []signalr.Action{signalr.Message{Target: "t"}, &signalr.GroupAction{Action: signalr.GroupActionRemoveAll, ConnectionID: "c", UserID: "u"}},
			wantErr: "item 1: a removeAll group action with a connectionId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r invokeResponse
			require.ErrorContains(t, r.signalR(tt.binding, tt.items...), tt.wantErr)
			assert.Empty(t, r.Outputs, "nothing half-written")
		})
	}
}

func TestOutputBase64Trap(t *testing.T) {
	tests := []struct {
		name    string
		value   any
		trapped bool
	}{
		{name: "test is valid base64", value: "test", trapped: true},
		{name: "abcd1234", value: "abcd1234", trapped: true},
		{name: "padded", value: "dGVzdA==", trapped: true},
		{name: "with whitespace", value: "ab cd\n", trapped: true},
		{name: "empty string", value: "", trapped: true},
		{name: "raw JSON string", value: json.RawMessage(`"abcd"`), trapped: true},
		{name: "hello is not", value: "hello"},
		{name: "punctuation", value: "hi there!"},
		{name: "padding in the middle", value: "ab=c"},
		{name: "three pads", value: "a==="},
		{name: "object", value: map[string]string{"text": "test"}},
		{name: "raw object", value: json.RawMessage(`{"a":"test"}`)},
		{name: "bytes are meant as binary", value: []byte("test")},
		{name: "number", value: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r invokeResponse
			err := r.output("queue", tt.value)
			if tt.trapped {
				require.ErrorContains(t, err, `output "queue" is a string that is valid base64`)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.value, r.Outputs["queue"])
		})
	}
}

func TestLogsAndReturn(t *testing.T) {
	var r invokeResponse
	r.logf("hello %s", "world")
	r.logf("n=%d", 2)
	r.setReturn(map[string]int{"sum": 3})
	top := marshalResponse(t, &r)
	assert.JSONEq(t, `["hello world","n=2"]`, string(top["Logs"]))
	assert.JSONEq(t, `{"sum":3}`, string(top["ReturnValue"]))
}

func TestHTTPResponseHeaderLookup(t *testing.T) {
	resp, err := newHTTPResponse(200, http.Header{"X-Thing": {"a"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "a", resp.Header("x-thing"))
	assert.Empty(t, resp.Header("content-type"), "no content type without a body")
}
