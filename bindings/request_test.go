package bindings

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadPayload(t testing.TB, name string) *invokeRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var req invokeRequest
	require.NoError(t, json.Unmarshal(raw, &req))
	return &req
}

func TestHTTPRequestGolden(t *testing.T) {
	req := loadPayload(t, "http_trigger.json")
	r, err := req.httpRequest("req")
	require.NoError(t, err)

	assert.Equal(t, "http://localhost:7071/api/messages/42?lang=en&tag=a&tag=b", r.URL)
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, map[string]string{"lang": "en", "tag": "a,b"}, r.Query)
	assert.Equal(t, map[string]string{"id": "42"}, r.Params)
	assert.Equal(t, []string{"application/json", "text/plain"}, r.HeaderValues("accept"))
	assert.Equal(t, "application/json", r.Header("ACCEPT"), "Header returns the first value, any case")
	assert.Equal(t, "alice-id", r.Header("x-ms-client-principal-id"))
	assert.Empty(t, r.Header("missing"))
	require.Len(t, r.Identities, 1)
	id := r.Identities[0]
	assert.Empty(t, id.AuthenticationType, "a local anonymous call carries ASP.NET Core's empty identity")
	assert.False(t, id.IsAuthenticated)
	assert.Empty(t, id.Claims)

	var body struct {
		Text  string   `json:"text"`
		Count int      `json:"count"`
		Tags  []string `json:"tags"`
	}
	require.NoError(t, r.JSON(&body))
	assert.Equal(t, "hello", body.Text)
	assert.Equal(t, 2, body.Count)
	assert.Equal(t, []string{"a", "b"}, body.Tags)

	// Metadata: body scalars as .NET strings serialized again, objects plain, Query/Headers as
	// string maps, the query last-value-wins.
	var text string
	require.NoError(t, req.decodeMetadata("text", &text))
	assert.Equal(t, "hello", text)
	var count int
	require.NoError(t, req.decodeMetadata("count", &count))
	assert.Equal(t, 2, count)
	var ok bool
	require.NoError(t, req.decodeMetadata("ok", &ok))
	assert.True(t, ok)
	var at time.Time
	require.NoError(t, req.decodeMetadata("at", &at))
	assert.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), at)
	var tag string
	require.NoError(t, req.decodeMetadata("tag", &tag))
	assert.Equal(t, "b", tag)
	var id42 string
	require.NoError(t, req.decodeMetadata("id", &id42))
	assert.Equal(t, "42", id42)
	var nested struct{ X int }
	require.NoError(t, req.decodeMetadata("nested", &nested))
	assert.Equal(t, 1, nested.X)
	var headers map[string]string
	require.NoError(t, req.decodeMetadata("Headers", &headers))
	assert.Equal(t, "application/json,text/plain", headers["Accept"])

	var sys struct {
		MethodName string
		UtcNow     time.Time
		RandGuid   string
	}
	require.NoError(t, req.decodeMetadata("sys", &sys))
	assert.Equal(t, "messages", sys.MethodName)
	assert.Equal(t, "0f8fad5b-d9cb-469f-a165-70867728950e", sys.RandGuid)
	assert.Equal(t, time.Date(2026, 11, 23, 13, 14, 3, 123456700, time.UTC), sys.UtcNow.UTC())
}

func TestHTTPRequestOctetStreamBody(t *testing.T) {
	r, err := loadPayload(t, "http_trigger_octet.json").httpRequest("req")
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2, 0xff, 0xfe, 'A'}, r.Body, "base64 body decoded for application/octet-stream")
	assert.Empty(t, r.Params)
}

func TestHTTPRequestLegacyQueryString(t *testing.T) {
	req := loadPayload(t, "http_trigger_legacy_query.json")
	r, err := req.httpRequest("req")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1"}, r.Query)
	assert.Nil(t, r.Body, "no Body key: nil body")
	assert.Equal(t, "localhost:7071", r.Header("host"))
	var a int
	require.NoError(t, req.decodeMetadata("a", &a))
	assert.Equal(t, 1, a)
}

func TestHTTPRequestForms(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		check   func(t *testing.T, r *HTTPRequest)
		wantErr string
	}{
		{
			name: "multipart body is base64",
			raw:  `{"Url":"u","Method":"POST","Headers":{"content-type":["multipart/form-data; boundary=x"]},"Body":"LS14DQo="}`,
			check: func(t *testing.T, r *HTTPRequest) {
				assert.Equal(t, []byte("--x\r\n"), r.Body)
			},
		},
		{
			name: "text body kept verbatim even if it looks like base64",
			raw:  `{"Url":"u","Method":"POST","Headers":{"Content-Type":["text/plain"]},"Body":"dGVzdA=="}`,
			check: func(t *testing.T, r *HTTPRequest) {
				assert.Equal(t, []byte("dGVzdA=="), r.Body)
			},
		},
		{
			name: "single-string header values and numeric route values tolerated",
			raw:  `{"Url":"u","Method":"GET","Query":"","Headers":{"X-One":"v"},"Params":{"id":7,"name":"n"}}`,
			check: func(t *testing.T, r *HTTPRequest) {
				assert.Equal(t, []string{"v"}, r.HeaderValues("x-one"))
				assert.Equal(t, map[string]string{"id": "7", "name": "n"}, r.Params)
				assert.Nil(t, r.Query)
			},
		},
		{
			name: "whole value serialized as a string",
			raw:  `"{\"Url\":\"u\",\"Method\":\"GET\"}"`,
			check: func(t *testing.T, r *HTTPRequest) {
				assert.Equal(t, "GET", r.Method)
			},
		},
		{name: "not an object", raw: `42`, wantErr: `decoding HTTP trigger "req": value is not a JSON object`},
		{name: "bad base64 body", raw: `{"Headers":{"Content-Type":["application/octet-stream"]},"Body":"***"}`, wantErr: "not base64"},
		{name: "bad header", raw: `{"Headers":{"X":{"a":1}}}`, wantErr: `header "X"`},
		{name: "bad query", raw: `{"Query":"[1]"}`, wantErr: "Query is neither an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &invokeRequest{Data: map[string]json.RawMessage{"req": json.RawMessage(tt.raw)}}
			r, err := req.httpRequest("req")
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, r)
		})
	}
}

// Body-derived Metadata arrives as .NET strings serialized again (spec §8.2, from
// azure-webjobs-sdk-extensions src/WebJobs.Extensions.Http/Utility.cs ConvertPropertyValue,
// which applies (string)JToken): DecodeMetadata reads them back into bools, numbers and times.
func TestDecodeMetadataDotNetStrings(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		into    func() any
		want    any
		wantErr string
	}{
		{name: "True", raw: `"\"True\""`, into: func() any { return new(bool) }, want: true},
		{name: "False", raw: `"\"False\""`, into: func() any { return new(bool) }, want: false},
		{name: "JSON true from a trigger argument", raw: `"true"`, into: func() any { return new(bool) }, want: true},
		{name: "plain JSON bool", raw: `true`, into: func() any { return new(bool) }, want: true},
		{name: "named bool type", raw: `"\"True\""`, into: func() any { return new(flagType) }, want: flagType(true)},
		{name: "not a bool", raw: `"\"yes\""`, into: func() any { return new(bool) }, wantErr: `value "yes" is not a boolean; expected true or false`},
		{name: "integer from its text", raw: `"\"2\""`, into: func() any { return new(int) }, want: 2},
		{name: "negative", raw: `"\"-7\""`, into: func() any { return new(int64) }, want: int64(-7)},
		{name: "double from its text", raw: `"\"2.5\""`, into: func() any { return new(float64) }, want: 2.5},
		{name: "double in .NET exponent form", raw: `"\"1E+20\""`, into: func() any { return new(float64) }, want: 1e20},
		{name: "big integer into a json.Number", raw: `"\"12345678901234567890\""`, into: func() any { return new(json.Number) }, want: json.Number("12345678901234567890")},
		{name: "number text kept as a string", raw: `"\"2.5\""`, into: func() any { return new(string) }, want: "2.5"},
		{name: "True kept as a string", raw: `"\"True\""`, into: func() any { return new(string) }, want: "True"},
		{name: "date in .NET's invariant form", raw: `"\"01/02/2024 03:04:05\""`, into: func() any { return new(time.Time) }, want: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{name: "not a number", raw: `"\"abc\""`, into: func() any { return new(int) }, wantErr: "does not hold JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &invokeRequest{Metadata: map[string]json.RawMessage{"v": json.RawMessage(tt.raw)}}
			dst := tt.into()
			err := req.decodeMetadata("v", dst)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, reflect.ValueOf(dst).Elem().Interface())
		})
	}
}

type flagType bool

func TestHTTPRequestJSONErrors(t *testing.T) {
	r := &HTTPRequest{}
	var v map[string]any
	require.ErrorContains(t, r.JSON(&v), "body is empty")
	r.Body = []byte("{nope")
	require.ErrorContains(t, r.JSON(&v), "not the expected JSON")
}

func TestConnectionInfoTripleEncoded(t *testing.T) {
	req := loadPayload(t, "negotiate.json")
	info, err := req.connectionInfo("connectionInfo")
	require.NoError(t, err)
	assert.Equal(t, "https://x.service.signalr.net/client/?hub=chat", info.URL)
	assert.Equal(t, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL3guc2VydmljZS5zaWduYWxyLm5ldC9jbGllbnQvP2h1Yj1jaGF0In0.c2lnbmF0dXJl", info.AccessToken)

	// The same value as a plain string: the indented JSON the extension produced.
	var s string
	require.NoError(t, req.decode("connectionInfo", &s))
	assert.Contains(t, s, "{\n  \"url\": \"https://x.service.signalr.net/client/?hub=chat\",")
}

func TestConnectionInfoForms(t *testing.T) {
	const inner = `{"url":"https://h/client/?hub=chat","accessToken":"tok","tokenLifetimeSeconds":600}`
	single, _ := json.Marshal(inner)
	double, _ := json.Marshal(string(single))
	tests := []struct {
		name    string
		raw     string
		wantErr string
	}{
		{name: "object", raw: inner},
		{name: "single-encoded", raw: string(single)},
		{name: "triple-encoded", raw: string(double)},
		{name: "missing token", raw: `{"url":"https://h"}`, wantErr: "is not connection info"},
		{name: "not JSON inside", raw: `"\"nope\""`, wantErr: `decoding input binding "connectionInfo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &invokeRequest{Data: map[string]json.RawMessage{"connectionInfo": json.RawMessage(tt.raw)}}
			info, err := req.connectionInfo("connectionInfo")
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "tok")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "https://h/client/?hub=chat", info.URL)
			assert.Equal(t, "tok", info.AccessToken)
			assert.Equal(t, 10*time.Minute, info.TokenLifetime)
		})
	}
}

func TestDecodeQueueStyle(t *testing.T) {
	req := loadPayload(t, "queue.json")

	var msg string
	require.NoError(t, req.decode("msg", &msg))
	assert.Equal(t, "hi", msg, "double-encoded string loses both layers")

	var order struct {
		ID   int    `json:"id"`
		Item string `json:"item"`
	}
	require.NoError(t, req.decode("order", &order), "JSON text in a queue message decodes into a struct")
	assert.Equal(t, 7, order.ID)
	assert.Equal(t, "tea", order.Item)

	var orderText string
	require.NoError(t, req.decode("order", &orderText))
	assert.Equal(t, `{"id":7,"item":"tea"}`, orderText)

	var blob []byte
	require.NoError(t, req.decode("blob", &blob))
	assert.Equal(t, []byte("\x00binary\xff"), blob)

	var blobText string
	require.NoError(t, req.decode("blob", &blobText))
	assert.Equal(t, "AGJpbmFyef8=", blobText, "a base64 string is returned as is to a string target")

	var count int
	require.NoError(t, req.decode("count", &count))
	assert.Equal(t, 3, count)
	var countText string
	require.NoError(t, req.decode("count", &countText))
	assert.Equal(t, "3", countText)

	var flag bool
	require.NoError(t, req.decode("flag", &flag))
	assert.True(t, flag)

	var batch []string
	require.NoError(t, req.decode("batch", &batch))
	assert.Equal(t, []string{"a", "b"}, batch)

	var test string
	require.NoError(t, req.decode("test", &test))
	assert.Equal(t, "test", test, "base64-looking text that was serialized stays text")

	var dequeue int
	require.NoError(t, req.decodeMetadata("DequeueCount", &dequeue))
	assert.Equal(t, 4, dequeue)
	var id string
	require.NoError(t, req.decodeMetadata("Id", &id))
	assert.Equal(t, "b1f0e7a2-3c3d-4c1e-8f43-0e7d9a5f6c1a", id, "quotes stripped")
	var receipt string
	require.NoError(t, req.decodeMetadata("PopReceipt", &receipt))
	assert.Equal(t, "AgAAAAMAAAAAAAAA", receipt)
	var inserted time.Time
	require.NoError(t, req.decodeMetadata("InsertionTime", &inserted))
	assert.Equal(t, time.Date(2019, 10, 9, 17, 58, 31, 0, time.UTC), inserted.UTC())
	var insertedText string
	require.NoError(t, req.decodeMetadata("InsertionTime", &insertedText))
	assert.Equal(t, "2019-10-09T17:58:31+00:00", insertedText)
}

type named string

func TestDecodeTargets(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		target  func() any
		want    any
		wantErr string
	}{
		{name: "any from serialized string", raw: `"\"hi\""`, target: func() any { return new(any) }, want: "hi"},
		{name: "any from serialized number", raw: `"4"`, target: func() any { return new(any) }, want: float64(4)},
		{name: "any from base64", raw: `"AAE="`, target: func() any { return new(any) }, want: "AAE="},
		{name: "any from object", raw: `{"a":1}`, target: func() any { return new(any) }, want: map[string]any{"a": float64(1)}},
		{name: "raw from serialized string", raw: `"\"hi\""`, target: func() any { return new(json.RawMessage) }, want: json.RawMessage(`"hi"`)},
		{name: "raw from date", raw: `"2019-10-09T17:58:31+00:00"`, target: func() any { return new(json.RawMessage) }, want: json.RawMessage(`"2019-10-09T17:58:31+00:00"`)},
		{name: "raw from object", raw: `{"a":1}`, target: func() any { return new(json.RawMessage) }, want: json.RawMessage(`{"a":1}`)},
		{name: "named string type", raw: `"\"x\""`, target: func() any { return new(named) }, want: named("x")},
		{name: "string from object", raw: `{"a":1}`, target: func() any { return new(string) }, want: `{"a":1}`},
		{name: "string from null", raw: `null`, target: func() any { return new(string) }, want: ""},
		{name: "bytes from serialized string", raw: `"\"hi\""`, target: func() any { return new([]byte) }, want: []byte("hi")},
		{name: "bytes from object", raw: `{"a":1}`, target: func() any { return new([]byte) }, want: []byte(`{"a":1}`)},
		{name: "float from serialized", raw: `"1.5"`, target: func() any { return new(float64) }, want: 1.5},
		{name: "number from double-serialized", raw: `"\"4\""`, target: func() any { return new(int) }, want: 4},
		{name: "zone-less date", raw: `"2019-10-09T17:58:31.5"`, target: func() any { return new(time.Time) }, want: time.Date(2019, 10, 9, 17, 58, 31, 500000000, time.UTC)},
		{name: "serialized date", raw: `"\"2019-10-09T17:58:31Z\""`, target: func() any { return new(time.Time) }, want: time.Date(2019, 10, 9, 17, 58, 31, 0, time.UTC)},
		{name: "bad date", raw: `"yesterday"`, target: func() any { return new(time.Time) }, wantErr: "not an ISO 8601 date"},
		{name: "bytes not base64", raw: `"not base64!"`, target: func() any { return new([]byte) }, wantErr: "neither base64"},
		{name: "int from text", raw: `"\"abc\""`, target: func() any { return new(int) }, wantErr: "does not hold JSON"},
		{name: "struct from number", raw: `"4"`, target: func() any { return new(struct{ A int }) }, wantErr: "cannot unmarshal"},
		{name: "non-pointer", raw: `"4"`, target: func() any { return 4 }, wantErr: "expected a non-nil pointer"},
		{name: "nil", raw: `"4"`, target: func() any { return nil }, wantErr: "target is nil"},
		{name: "empty", raw: ``, target: func() any { return new(int) }, wantErr: "value is empty"},
		{name: "broken inner string", raw: `"\"abc"`, target: func() any { return new(string) }, wantErr: "inner text is not a JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &invokeRequest{Data: map[string]json.RawMessage{"v": json.RawMessage(tt.raw)}}
			target := tt.target()
			err := req.decode("v", target)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), `"v"`, "the error names the binding")
				return
			}
			require.NoError(t, err)
			got := target
			switch p := target.(type) {
			case *any:
				got = *p
			case *json.RawMessage:
				got = *p
			case *named:
				got = *p
			case *string:
				got = *p
			case *[]byte:
				got = *p
			case *float64:
				got = *p
			case *int:
				got = *p
			case *time.Time:
				got = p.UTC()
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeMissingBinding(t *testing.T) {
	req := loadPayload(t, "negotiate.json")
	var s string
	err := req.decode("nope", &s)
	require.ErrorContains(t, err, `no input binding "nope"`)
	assert.Contains(t, err.Error(), "[connectionInfo, req]")
	assert.NotContains(t, err.Error(), "eyJ", "values are never echoed")
	require.ErrorContains(t, req.decodeMetadata("nope", &s), `no metadata "nope"`)
	_, err = req.httpRequest("nope")
	require.Error(t, err)
	require.ErrorContains(t, (&invokeRequest{}).decodeMetadata("sys", &s), "it has none")
}

func TestInvocationContextGolden(t *testing.T) {
	req := loadPayload(t, "signalr_trigger.json")
	c, err := req.invocationContext("invocation")
	require.NoError(t, err)
	assert.Equal(t, "messages", c.Category)
	assert.Equal(t, "broadcast", c.Event)
	assert.Equal(t, "chat", c.Hub)
	assert.Equal(t, "conn-1", c.ConnectionID)
	assert.Equal(t, "alice", c.UserID)
	assert.Empty(t, c.Error, "null Error")
	assert.Equal(t, "chat", c.Header("x-asrs-hub"))
	assert.Equal(t, map[string]string{"hub": "chat"}, c.Query)
	assert.Equal(t, "admin", c.Claims["role"])
	var text string
	var opts struct {
		To string `json:"to"`
	}
	require.NoError(t, c.Bind(&text, &opts))
	assert.Equal(t, "hello", text)
	assert.Equal(t, "bob", opts.To)

	// parameterNames arrive in Metadata: strings double-encoded, objects plain.
	var message string
	require.NoError(t, req.decodeMetadata("message", &message))
	assert.Equal(t, "hello", message)
	require.NoError(t, req.decodeMetadata("options", &opts))
	assert.Equal(t, "bob", opts.To)
	var sys struct{ MethodName string }
	require.NoError(t, req.decodeMetadata("sys", &sys))
	assert.Equal(t, "broadcast", sys.MethodName)

	_, err = (&invokeRequest{Data: map[string]json.RawMessage{"x": json.RawMessage(`{}`)}}).invocationContext("x")
	require.ErrorContains(t, err, "not a SignalR invocation context")
	_, err = (&invokeRequest{Data: map[string]json.RawMessage{"x": json.RawMessage(`{"Arguments":5}`)}}).invocationContext("x")
	require.ErrorContains(t, err, `decoding input binding "x"`)
}

func TestToHTTPRequest(t *testing.T) {
	r, err := loadPayload(t, "http_trigger.json").httpRequest("req")
	require.NoError(t, err)
	hr, err := r.ToHTTPRequest(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "POST", hr.Method)
	assert.Equal(t, "localhost:7071", hr.Host)
	assert.Equal(t, "/api/messages/42", hr.URL.Path)
	assert.Equal(t, "/api/messages/42?lang=en&tag=a&tag=b", hr.RequestURI)
	assert.Equal(t, []string{"a", "b"}, hr.URL.Query()["tag"])
	assert.Equal(t, "alice-id", hr.Header.Get("X-Ms-Client-Principal-Id"), "canonical lookups work")
	assert.Equal(t, []string{"application/json", "text/plain"}, hr.Header.Values("Accept"))
	body, err := io.ReadAll(hr.Body)
	require.NoError(t, err)
	assert.Equal(t, r.Body, body)
	assert.Equal(t, int64(len(r.Body)), hr.ContentLength)

	_, err = (&HTTPRequest{URL: "http://[::1", Method: "GET"}).ToHTTPRequest(context.Background())
	require.ErrorContains(t, err, "request URL is invalid")
	_, err = (&HTTPRequest{URL: "http://h/", Method: "BAD METHOD"}).ToHTTPRequest(context.Background())
	require.ErrorContains(t, err, "rebuilding the request")
}
