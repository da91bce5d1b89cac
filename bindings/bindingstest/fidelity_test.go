package bindingstest_test

// These tests check the fake host against the Functions host, bullet by bullet of the notes'
// §8 (custom-handler-protocol.md), independently of package bindings: the declarations are
// function.json files written here, the custom handler is a plain http.Handler that records
// what it receives and answers with canned bytes. Source files named in comments are from
// Azure/azure-functions-host (HOST), Azure/azure-webjobs-sdk-extensions
// src/WebJobs.Extensions.Http (HTTPX), Azure/azure-webjobs-sdk (SDK) and Azure/azure-sdk-for-net
// sdk/signalr/Microsoft.Azure.WebJobs.Extensions.SignalRService (EXT).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
	"github.com/funcsignalr/funcsignalr/trigger"
	"github.com/golang-jwt/jwt/v5"
)

const customHandlerJSON = `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"}}}`

// writeFunctions writes host.json and <name>/function.json files, as an app folder holds them.
func writeFunctions(t *testing.T, hostJSON string, functions map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte(hostJSON), 0o644))
	for name, fj := range functions {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name, "function.json"), []byte(fj), 0o644))
	}
	return dir
}

// received is one request the stub handler got.
type received struct {
	method, path, rawQuery, host string
	header                       http.Header
	body                         []byte
	contentLength                int64
	transferEncoding             []string
}

// stub is a custom handler written without package bindings: it records every request and
// answers with a canned status, Content-Type and body.
type stub struct {
	status      int
	contentType string
	body        string
	// needLength answers 411 to a request without Content-Length, as some servers do.
	needLength bool

	mu   sync.Mutex
	reqs []received
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" && r.Method == http.MethodGet {
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, received{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, host: r.Host, header: r.Header.Clone(),
		body: body, contentLength: r.ContentLength, transferEncoding: r.TransferEncoding})
	s.mu.Unlock()
	if s.needLength && r.ContentLength < 0 {
		w.WriteHeader(http.StatusLengthRequired)
		return
	}
	if s.contentType != "" {
		w.Header().Set("Content-Type", s.contentType)
	}
	status := s.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, s.body)
}

func (s *stub) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

// answer is a stub answering 200 application/json with body.
func answer(body string) *stub { return &stub{contentType: "application/json", body: body} }

const testKey = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0x"

// startHost starts a host for dir in front of h, with a fixed connection string (no service
// behind it) unless opts names one.
func startHost(t *testing.T, dir string, h http.Handler, opts *bindingstest.Options) *bindingstest.Host {
	t.Helper()
	if opts == nil {
		opts = &bindingstest.Options{}
	}
	opts.FunctionsDir = dir
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.SignalRConnectionString == "" {
		opts.SignalRConnectionString = "Endpoint=http://127.0.0.1:1;AccessKey=" + testKey + ";Version=1.0;"
	}
	host, err := bindingstest.NewHost(h, opts)
	require.NoError(t, err)
	t.Cleanup(host.Close)
	return host
}

// call makes a request with header names as given and returns the response and its body.
func call(t *testing.T, method, url string, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// payloadParts splits an invocation body into Data and Metadata, keeping raw values.
func payloadParts(t *testing.T, body []byte) (data, meta map[string]json.RawMessage) {
	t.Helper()
	var p struct {
		Data     map[string]json.RawMessage
		Metadata map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(body, &p), string(body))
	return p.Data, p.Metadata
}

func lastInvocation(t *testing.T, host *bindingstest.Host) bindingstest.Invocation {
	t.Helper()
	invs := host.Invocations()
	require.NotEmpty(t, invs)
	return invs[len(invs)-1]
}

// HTTP trigger Metadata (§8.2; HTTPX HttpTriggerAttributeBindingProvider.cs GetRequestBindingData,
// Utility.cs ApplyBindingData/ConvertPropertyValue, Extensions/HttpRequestExtensions.cs
// GetQueryParameterDictionary; HOST Extensions/HttpRequestExtensions.cs
// GetQueryCollectionAsDictionary).
func TestHostHTTPMetadata(t *testing.T) {
	dir := writeFunctions(t, customHandlerJSON, map[string]string{
		"items": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"items/{id?}"},{"type":"http","direction":"out","name":"res"}]}`,
	})
	tests := []struct {
		name      string
		path      string
		body      string
		chunked   bool
		want      map[string]string // Metadata key -> raw JSON
		absent    []string
		wantQuery string // Data.req.Query, raw JSON
		order     []string
	}{
		{
			name: "body numbers as .NET text, serialized again",
			path: "/api/items", body: `{"n":2,"big":12345678901234567890,"f":1.0,"e":1e20,"small":0.00001,"neg":-2.50}`,
			want: map[string]string{"n": `"\"2\""`, "big": `"\"12345678901234567890\""`, "f": `"\"1\""`, "e": `"\"1E+20\""`, "small": `"\"1E-05\""`, "neg": `"\"-2.5\""`},
		},
		{
			name: "body booleans as True and False",
			path: "/api/items", body: `{"t":true,"f":false}`,
			want: map[string]string{"t": `"\"True\""`, "f": `"\"False\""`},
		},
		{
			name: "body dates as DateTime.ToString, strings kept",
			path: "/api/items", body: `{"at":"2024-01-02T03:04:05+02:00","plain":"2024-01-02","s":"x\"y"}`,
			want: map[string]string{"at": `"\"01/02/2024 01:04:05\""`, "plain": `"\"2024-01-02\""`, "s": `"\"x\\\"y\""`},
		},
		{
			name: "arrays and nulls skipped, objects kept",
			path: "/api/items", body: `{"a":[1],"z":null,"o":{"x":1.50}}`,
			want: map[string]string{"o": `{"x":1.5}`}, absent: []string{"a", "z"},
		},
		{
			name: "query last value wins, Data keeps every value",
			path: "/api/items?tag=x&tag=y",
			want: map[string]string{"tag": `"\"y\""`, "Query": `{"tag":"y"}`}, wantQuery: `{"tag":"x,y"}`,
		},
		{
			name: "query names merge ignoring case, first spelling kept",
			path: "/api/items?a=1&A=2",
			want: map[string]string{"a": `"\"2\""`, "Query": `{"a":"2"}`}, absent: []string{"A"}, wantQuery: `{"a":"1,2"}`,
		},
		{
			name: "code is left out as a key only",
			path: "/api/items?code=k",
			want: map[string]string{"Query": `{"code":"k"}`}, absent: []string{"code"}, wantQuery: `{"code":"k"}`,
		},
		{
			name: "a later source overwrites in place",
			path: "/api/items/7?room=q&ID=9", body: `{"room":"b","first":"1"}`,
			want:  map[string]string{"room": `"\"q\""`, "ID": `"\"7\""`},
			order: []string{`"room"`, `"first"`, `"ID"`, `"Query"`, `"Headers"`, `"sys"`},
		},
		{
			name: "an optional route value left out is no metadata",
			path: "/api/items", want: map[string]string{}, absent: []string{"id"},
		},
		{
			name: "a body property named Query shadows the dictionary",
			path: "/api/items?x=1", body: `{"Query":{"q":1}}`,
			want: map[string]string{"Query": `{"q":1}`},
		},
		{
			name: "a chunked body is not read",
			path: "/api/items", body: `{"n":2}`, chunked: true,
			want: map[string]string{}, absent: []string{"n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := startHost(t, dir, answer(`{}`), nil)
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
				if tt.chunked {
					body = io.MultiReader(body)
				}
			}
			req, err := http.NewRequest(http.MethodPost, host.URL+tt.path, body)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			inv := lastInvocation(t, host)
			data, meta := payloadParts(t, inv.Request)
			for k, v := range tt.want {
				assert.Equal(t, v, string(meta[k]), k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, meta, k)
			}
			var req2 map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(data["req"], &req2))
			if tt.wantQuery != "" {
				assert.Equal(t, tt.wantQuery, string(req2["Query"]))
			}
			if tt.chunked {
				assert.NotContains(t, req2, "Body", "the host reads the body only with Content-Length")
			}
			if tt.order != nil {
				last := -1
				for _, k := range tt.order {
					i := bytes.Index(inv.Request, []byte(`"Metadata":`))
					j := bytes.Index(inv.Request[i:], []byte(k+":"))
					require.GreaterOrEqual(t, j, 0, k)
					assert.Greater(t, i+j, last, k)
					last = i + j
				}
			}
		})
	}
}

// Binding expressions (§8.2; SDK Bindings/Path/BindingTemplateToken.cs ExpressionToken.Evaluate
// and GetProperty): {query.x} by exact name and last value, {headers.x} ignoring case, a missing
// name failing the invocation with the host's message.
func TestHostBindingExpressions(t *testing.T) {
	tests := []struct {
		name    string
		userID  string
		path    string
		header  http.Header
		body    string
		want    string // the asrs.s.uid of the minted token
		wantErr string // the invocation fails with this
	}{
		{name: "query, last value", userID: "{query.userId}", path: "?userId=a&userId=b", want: "b"},
		{name: "query names are case-sensitive", userID: "{query.userId}", path: "?userid=a", wantErr: "Error while accessing 'userId': property doesn't exist."},
		{name: "headers ignore case", userID: "{headers.X-USER}", header: http.Header{"x-user": {"h"}}, want: "h"},
		{name: "missing header", userID: "{headers.x-ms-client-principal-id}", wantErr: "Error while accessing 'x-ms-client-principal-id': property doesn't exist."},
		{name: "missing name", userID: "{nobody}", wantErr: "No value for named parameter 'nobody'."},
		{name: "top-level names ignore case", userID: "{USER}", path: "?user=u", want: "u"},
		{name: "body object members ignore case", userID: "{who.name}", body: `{"Who":{"Name":"n"}}`, want: "n"},
		{name: "body booleans resolve to their .NET text", userID: "{flag}", body: `{"flag":true}`, want: "True"},
		{name: "sys", userID: "{sys.methodname}", want: "negotiate"},
		{name: "literal text around", userID: "u-{query.n}-x", path: "?n=1", want: "u-1-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFunctions(t, customHandlerJSON, map[string]string{
				"negotiate": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"},` +
					`{"type":"signalRConnectionInfo","direction":"in","name":"connectionInfo","hubName":"chat","userId":"` + strings.ReplaceAll(tt.userID, `"`, `\"`) + `"}]}`,
			})
			host := startHost(t, dir, answer(`{}`), nil)
			header := http.Header{"Content-Type": {"application/json"}}
			for k, v := range tt.header {
				header[k] = v
			}
			resp, _ := call(t, http.MethodPost, host.URL+"/api/negotiate"+tt.path, header, tt.body)
			inv := lastInvocation(t, host)
			if tt.wantErr != "" {
				assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
				assert.Contains(t, inv.Err, tt.wantErr)
				assert.Nil(t, inv.Request, "the handler is not called")
				return
			}
			require.Equal(t, http.StatusOK, resp.StatusCode, inv.Err)
			data, _ := payloadParts(t, inv.Request)
			var once, twice string
			require.NoError(t, json.Unmarshal(data["connectionInfo"], &once))
			require.NoError(t, json.Unmarshal([]byte(once), &twice))
			var info struct{ AccessToken string }
			require.NoError(t, json.Unmarshal([]byte(twice), &info))
			claims := jwt.MapClaims{}
			_, _, err := jwt.NewParser().ParseUnverified(info.AccessToken, claims)
			require.NoError(t, err)
			assert.Equal(t, tt.want, claims["asrs.s.uid"])
		})
	}
}

// The identities, written from HOST WebHost/Security/Authentication/Keys/AuthenticationLevelHandler.cs
// and Middleware/FunctionInvocationMiddleware.cs RequiresAuthz, and the `func start` capture of
// §8.1 for the anonymous one.
const (
	wantAnonymous   = `[{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}]`
	wantFunctionKey = `[{"AuthenticationType":"WebJobsAuthLevel","IsAuthenticated":true,"Actor":null,"BootstrapContext":null,"Claims":[` +
		`{"Issuer":"LOCAL AUTHORITY","OriginalIssuer":"LOCAL AUTHORITY","Properties":{},"Type":"http://schemas.microsoft.com/2017/07/functions/claims/authlevel","Value":"Function","ValueType":"http://www.w3.org/2001/XMLSchema#string"},` +
		`{"Issuer":"LOCAL AUTHORITY","OriginalIssuer":"LOCAL AUTHORITY","Properties":{},"Type":"http://schemas.microsoft.com/2017/07/functions/claims/invoke","Value":"true","ValueType":"http://www.w3.org/2001/XMLSchema#string"},` +
		`{"Issuer":"LOCAL AUTHORITY","OriginalIssuer":"LOCAL AUTHORITY","Properties":{},"Type":"http://schemas.microsoft.com/2017/07/functions/claims/keyid","Value":"default","ValueType":"http://www.w3.org/2001/XMLSchema#string"}` +
		`],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}]`
)

func TestHostIdentities(t *testing.T) {
	keys := map[string]string{"default": "function-key-value"}
	tests := []struct {
		name       string
		authLevel  string
		keys       bool
		path       string
		header     http.Header
		wantStatus int
		want       string // Identities, "" when the handler is not called
	}{
		{name: "anonymous call without keys configured", authLevel: "anonymous", wantStatus: 200, want: wantAnonymous},
		{name: "function level without keys configured, as func start", authLevel: "function", wantStatus: 200, want: wantAnonymous},
		{name: "function level without a key", authLevel: "function", keys: true, wantStatus: 401},
		{name: "function level with a wrong key", authLevel: "function", keys: true, header: http.Header{"x-functions-key": {"nope"}}, wantStatus: 401},
		{name: "function key in the header", authLevel: "function", keys: true, header: http.Header{"x-functions-key": {"function-key-value"}}, wantStatus: 200, want: wantFunctionKey},
		{name: "function key in the query", authLevel: "function", keys: true, path: "?code=function-key-value", wantStatus: 200, want: wantFunctionKey},
		{name: "a key on an anonymous function authenticates", authLevel: "anonymous", keys: true, header: http.Header{"x-functions-key": {"function-key-value"}}, wantStatus: 200, want: wantFunctionKey},
		{name: "a wrong key on an anonymous function is anonymous", authLevel: "anonymous", keys: true, path: "?code=nope", wantStatus: 200, want: wantAnonymous},
		{name: "admin level refuses a function key", authLevel: "admin", keys: true, header: http.Header{"x-functions-key": {"function-key-value"}}, wantStatus: 401},
		{name: "admin level takes the master key", authLevel: "admin", keys: true, header: http.Header{"x-functions-key": {"master-key-value"}}, wantStatus: 200,
			want: strings.NewReplacer(`"Value":"Function"`, `"Value":"Admin"`, `"Value":"default"`, `"Value":"_master"`).Replace(wantFunctionKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFunctions(t, customHandlerJSON, map[string]string{
				"f": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"` + tt.authLevel + `"},{"type":"http","direction":"out","name":"res"}]}`,
			})
			opts := &bindingstest.Options{}
			if tt.keys {
				opts.FunctionKeys, opts.MasterKey = keys, "master-key-value"
			}
			h := answer(`{}`)
			host := startHost(t, dir, h, opts)
			resp, body := call(t, http.MethodGet, host.URL+"/api/f"+tt.path, tt.header, "")
			require.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.want == "" {
				assert.Empty(t, h.received(), "the handler is not called")
				assert.Empty(t, body)
				return
			}
			data, _ := payloadParts(t, lastInvocation(t, host).Request)
			var req map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(data["req"], &req))
			assert.Equal(t, tt.want, string(req["Identities"]))
		})
	}
}

// Responses (§8.3; HOST Workers/Http/HttpScriptInvocationResultExtensions.cs,
// Binding/Http/HttpBinding.cs CreateResult, Binding/Http/RawScriptResult.cs,
// Description/Workers/WorkerFunctionInvoker.cs HandleOutputDictionary,
// WebHost/Middleware/FunctionInvocationMiddleware.cs; ASP.NET Core's StringOutputFormatter adds
// charset=utf-8).
func TestHostResponses(t *testing.T) {
	named := writeFunctions(t, customHandlerJSON, map[string]string{
		"f": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"}]}`,
	})
	ret := writeFunctions(t, customHandlerJSON, map[string]string{
		"f": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"$return"}]}`,
	})
	const none = "-" // no Content-Type at all
	tests := []struct {
		name       string
		dir        string
		response   string
		wantStatus int
		wantType   string
		wantBody   string
		wantHeader map[string][]string
		wantErr    string
		wantLogs   []string
	}{
		{name: "no Outputs is an empty 200", dir: named, response: `{"Logs":[]}`, wantStatus: 200, wantType: none, wantBody: ""},
		{name: "Outputs without res is {}", dir: named, response: `{"Outputs":{}}`, wantStatus: 200, wantType: "text/plain; charset=utf-8", wantBody: "{}"},
		{name: "res null fails", dir: named, response: `{"Outputs":{"res":null}}`, wantStatus: 500, wantErr: "Failed while trying to Deserialize to httpOutputBindingResponse"},
		{name: "res a string that is not JSON fails", dir: named, response: `{"Outputs":{"res":"SomeBlah"}}`, wantStatus: 500, wantErr: "not a JSON object"},
		{name: "res as JSON text in a string", dir: named, response: `{"Outputs":{"res":"{\"statusCode\":202,\"body\":\"x\"}"}}`, wantStatus: 202, wantBody: "x"},
		{name: "statusCode string", dir: named, response: `{"Outputs":{"res":{"statusCode":"201","body":"made"}}}`, wantStatus: 201, wantType: "text/plain; charset=utf-8", wantBody: "made"},
		{name: "statusCode not an integer is 200", dir: named, response: `{"Outputs":{"res":{"statusCode":"abc","body":""}}}`, wantStatus: 200},
		{name: "status ignored on a named output", dir: named, response: `{"Outputs":{"res":{"status":404,"body":"x"}}}`, wantStatus: 200, wantBody: "x"},
		{name: "named object body indented", dir: named, response: `{"Outputs":{"res":{"headers":{"content-type":"application/json"},"body":{"a":[1,2]}}}}`,
			wantStatus: 200, wantType: "application/json; charset=utf-8", wantBody: "{\n  \"a\": [\n    1,\n    2\n  ]\n}"},
		{name: "charset replaced with utf-8", dir: named, response: `{"Outputs":{"res":{"headers":{"Content-Type":"text/html; charset=iso-8859-1"},"body":"<p>"}}}`,
			wantStatus: 200, wantType: "text/html; charset=utf-8", wantBody: "<p>"},
		{name: "scalar bodies as .NET text", dir: named, response: `{"Outputs":{"res":{"body":true}}}`, wantStatus: 200, wantBody: "True"},
		{name: "duplicate headers dropped", dir: named, response: `{"Outputs":{"res":{"headers":{"X-A":"1","x-a":"2","X-N":5,"X-B":false},"body":""}}}`,
			wantStatus: 200, wantHeader: map[string][]string{"X-A": {"1"}, "X-N": {"5"}, "X-B": {"False"}}},
		{name: "array header refused", dir: named, response: `{"Outputs":{"res":{"headers":{"X-List":["a","b"]},"body":""}}}`, wantStatus: 500, wantErr: `header "X-List" is a JSON array`},
		{name: "null header refused", dir: named, response: `{"Outputs":{"res":{"headers":{"X-Null":null},"body":""}}}`, wantStatus: 500, wantErr: `header "X-Null" is null`},
		{name: "null Content-Type refused", dir: named, response: `{"Outputs":{"res":{"headers":{"Content-Type":null},"body":"x"}}}`, wantStatus: 500, wantErr: "content-type header cannot be null"},
		{name: "non-ASCII header refused", dir: named, response: `{"Outputs":{"res":{"headers":{"X-Name":"é"},"body":""}}}`, wantStatus: 500, wantErr: "Invalid non-ASCII or control character"},
		{name: "Logs objects fail", dir: named, response: `{"Outputs":{"res":{"body":"x"}},"Logs":["ok",{"a":1}]}`, wantStatus: 500, wantErr: "Logs entry 1 is a JSON object"},
		{name: "Logs numbers and booleans as text", dir: named, response: `{"Outputs":{"res":{"body":"x"}},"Logs":["ok",1.50,true,null]}`, wantStatus: 200, wantBody: "x", wantLogs: []string{"f: ok", "f: 1.50", "f: true"}},
		{name: "names ignore case, the last duplicate wins", dir: named, response: `{"outputs":{"res":{"body":"first"}},"OUTPUTS":{"res":{"body":"second"}}}`, wantStatus: 200, wantBody: "second"},
		{name: "ReturnValue object merged into res, $return semantics", dir: named, response: `{"Outputs":{"res":{"body":"named"}},"ReturnValue":{"res":{"status":203,"body":{"a":1}}}}`,
			wantStatus: 203, wantType: "text/plain; charset=utf-8", wantBody: `{"a":1}`},
		{name: "ReturnValue merged without Outputs", dir: named, response: `{"ReturnValue":{"res":"plain"}}`, wantStatus: 200, wantBody: "plain"},
		{name: "$return object without body is indented text", dir: ret, response: `{"ReturnValue":{"statusCode":404}}`, wantStatus: 200, wantType: "text/plain; charset=utf-8", wantBody: "{\n  \"statusCode\": 404\n}"},
		{name: "$return with body: status fallback, compact body", dir: ret, response: `{"ReturnValue":{"status":"404","body":{"a":1},"headers":{"X-A":"1"}}}`,
			wantStatus: 404, wantBody: `{"a":1}`, wantHeader: map[string][]string{"X-A": {"1"}}},
		{name: "$return statusCode wins over status even when invalid", dir: ret, response: `{"ReturnValue":{"statusCode":"x","status":404,"body":""}}`, wantStatus: 200},
		{name: "$return array body is a List", dir: ret, response: `{"ReturnValue":{"body":[1]}}`, wantStatus: 200, wantBody: "System.Collections.Generic.List`1[System.Object]"},
		{name: "$return string", dir: ret, response: `{"ReturnValue":"plain text"}`, wantStatus: 200, wantType: "text/plain; charset=utf-8", wantBody: "plain text"},
		{name: "$return JSON text in a string", dir: ret, response: `{"ReturnValue":"[1,2]"}`, wantStatus: 200, wantBody: "[\n  1,\n  2\n]"},
		{name: "$return base64 string becomes bytes", dir: ret, response: `{"ReturnValue":"test"}`, wantStatus: 200, wantType: none, wantBody: "\xb5\xeb\x2d"},
		{name: "$return null is an empty 200", dir: ret, response: `{"ReturnValue":null}`, wantStatus: 200, wantType: none, wantBody: ""},
		{name: "an empty body fails", dir: named, response: ``, wantStatus: 500, wantErr: "without a JSON body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := startHost(t, tt.dir, answer(tt.response), nil)
			resp, body := call(t, http.MethodGet, host.URL+"/api/f", nil, "")
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			inv := lastInvocation(t, host)
			if tt.wantErr != "" {
				assert.Contains(t, inv.Err, tt.wantErr)
				assert.Empty(t, body, "a bare 500")
				return
			}
			assert.Empty(t, inv.Err)
			switch tt.wantType {
			case "":
			case none:
				assert.Empty(t, resp.Header.Values("Content-Type"))
			default:
				assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			}
			if tt.wantBody != "" || tt.wantType == none {
				assert.Equal(t, tt.wantBody, string(body))
			}
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, resp.Header.Values(k), k)
			}
			if tt.wantLogs != nil {
				assert.Equal(t, tt.wantLogs, host.Logs())
			}
		})
	}
}

// signalR output items (§8.4; EXT Bindings/SignalROutputConverter.cs, SignalRMessageConverter.cs,
// InternalSignalRMessage.cs, SignalRGroupAction.cs, SignalRAsyncCollector.cs), sent to the
// emulator.
func TestHostSignalRItems(t *testing.T) {
	dir := writeFunctions(t, customHandlerJSON, map[string]string{
		"f": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"},{"type":"signalR","direction":"out","name":"out","hubName":"chat"}]}`,
	})
	tests := []struct {
		name       string
		out        string
		wantStatus int
		wantCalls  []string // method and path of the emulator's REST calls
		wantBody   string   // part of the first call's body
		wantErr    string
	}{
		{name: "a message needs only a target", out: `{"target":"t"}`, wantStatus: 200, wantCalls: []string{"POST /api/hubs/chat/:send"}, wantBody: `"t"`},
		{name: "null arguments", out: `[{"Target":"t","Arguments":null,"UserId":"u"}]`, wantStatus: 200, wantCalls: []string{"POST /api/hubs/chat/users/u/:send"}},
		{name: "action in any casing", out: `{"action":"Add","groupName":"g","userId":"u"}`, wantStatus: 200, wantCalls: []string{"PUT /api/hubs/chat/users/u/groups/g"}},
		{name: "REMOVEALL for a user", out: `{"action":"REMOVEALL","userId":"u"}`, wantStatus: 200, wantCalls: []string{"DELETE /api/hubs/chat/users/u/groups"}},
		{name: "removeAll for a connection is skipped silently", out: `[{"action":"removeAll","connectionId":"c"},{"target":"t"}]`, wantStatus: 200, wantCalls: []string{"POST /api/hubs/chat/:send"}},
		{name: "items as JSON text", out: `"[{\"target\":\"t\"}]"`, wantStatus: 200, wantCalls: []string{"POST /api/hubs/chat/:send"}},
		{name: "arguments not an array", out: `{"target":"t","arguments":"x"}`, wantStatus: 500, wantErr: "Unable to convert JObject"},
		{name: "neither target nor action", out: `{"groupName":"g"}`, wantStatus: 500, wantErr: "Unable to convert JObject"},
		{name: "unknown action", out: `{"action":"join","groupName":"g","userId":"u"}`, wantStatus: 500, wantErr: "Unable to convert JObject"},
		{name: "group action without ids", out: `{"action":"add","groupName":"g"}`, wantStatus: 500, wantErr: "ConnectionId and UserId cannot be null or empty together"},
		{name: "items before a failing one are sent", out: `[{"target":"t"},"bare"]`, wantStatus: 500, wantErr: "Value cannot be null", wantCalls: []string{"POST /api/hubs/chat/:send"}},
		{name: "base64 string", out: `"dGVzdA=="`, wantStatus: 500, wantErr: "valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
			t.Cleanup(srv.Close)
			host := startHost(t, dir, answer(`{"Outputs":{"res":{"body":"ok"},"out":`+tt.out+`}}`), &bindingstest.Options{SignalRConnectionString: srv.ConnectionString()})
			resp, _ := call(t, http.MethodGet, host.URL+"/api/f", nil, "")
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.wantErr != "" {
				assert.Contains(t, lastInvocation(t, host).Err, tt.wantErr)
			}
			var calls []string
			var first []byte
			for _, c := range srv.RESTCalls() {
				calls = append(calls, c.Method+" "+c.Path)
				if first == nil {
					first = c.Body
				}
			}
			require.Len(t, calls, len(tt.wantCalls), "%v", calls)
			for i, want := range tt.wantCalls {
				assert.Equal(t, want, calls[i])
			}
			if tt.wantBody != "" {
				assert.Contains(t, string(first), tt.wantBody)
			}
		})
	}
}

// upstream makes an upstream call with header names exactly as given.
func upstream(t *testing.T, host *bindingstest.Host, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	return call(t, http.MethodPost, host.URL+bindingstest.WebhookPath, header, body)
}

func upstreamHeaders(category, event string, extra http.Header) http.Header {
	h := http.Header{
		"Content-Type":         {"application/json"},
		"X-ASRS-Connection-Id": {"c1"},
		"X-ASRS-Hub":           {"chat"},
		"X-ASRS-Category":      {category},
		"X-ASRS-Event":         {event},
		"X-ASRS-Signature":     {trigger.Signature(testKey, "c1")},
	}
	for k, v := range extra {
		if v == nil {
			delete(h, k)
			continue
		}
		h[k] = v
	}
	return h
}

const triggerFunctions = `{"bindings":[{"type":"signalRTrigger","direction":"in","name":"invocation","hubName":"chat","category":"messages","event":"send","parameterNames":["a","b","c"]}]}`

// The trigger's InvocationContext and Metadata (§8.5; EXT TriggerBindings/Resolver/SignalRRequestResolver.cs
// TryGetInvocationContext, Utils/SignalRTriggerUtils.cs, SignalRTriggerBinding.cs
// AddParameterNamesBindingData; HOST ScriptInvocationContextExtensions.cs drops null Metadata).
func TestHostTriggerContext(t *testing.T) {
	dir := writeFunctions(t, customHandlerJSON, map[string]string{"send": triggerFunctions})
	args := `{"type":1,"target":"send","arguments":[null,{"x":1},5]}`
	tests := []struct {
		name  string
		extra http.Header
		check func(t *testing.T, ctx map[string]json.RawMessage, meta map[string]json.RawMessage)
	}{
		{
			name:  "headers as the caller wrote them, content headers left out",
			extra: http.Header{"x-custom-Thing": {"a", "b"}, "Authorization": {"Bearer t"}, "accept": {"x/y"}},
			check: func(t *testing.T, ctx, _ map[string]json.RawMessage) {
				var h map[string]string
				require.NoError(t, json.Unmarshal(ctx["Headers"], &h))
				assert.Equal(t, "a,b", h["x-custom-Thing"], "repeated lines joined with ','")
				assert.Equal(t, "Bearer t", h["Authorization"])
				assert.Equal(t, "x/y", h["Accept"], "a header .NET knows takes its spelling")
				assert.Equal(t, trigger.Signature(testKey, "c1"), h["X-ASRS-Signature"])
				assert.Equal(t, "c1", h["X-ASRS-Connection-Id"])
				for _, k := range []string{"Content-Type", "Content-Length", "X-Custom-Thing", "X-Asrs-Hub"} {
					assert.NotContains(t, h, k)
				}
			},
		},
		{
			name: "Query and Claims null without their headers, UserId null",
			check: func(t *testing.T, ctx, _ map[string]json.RawMessage) {
				assert.Equal(t, "null", string(ctx["Query"]))
				assert.Equal(t, "null", string(ctx["Claims"]))
				assert.Equal(t, "null", string(ctx["UserId"]))
			},
		},
		{
			name:  "an empty user id header is an empty UserId",
			extra: http.Header{"X-ASRS-User-Id": {""}, "X-ASRS-Client-Query": {""}},
			check: func(t *testing.T, ctx, _ map[string]json.RawMessage) {
				assert.Equal(t, `""`, string(ctx["UserId"]))
				assert.Equal(t, "null", string(ctx["Query"]), "an empty query header is no query")
			},
		},
		{
			name:  "claims: first value of a type, first header line, junk entries dropped",
			extra: http.Header{"X-ASRS-User-Claims": {"role: a, role: b, junk, x: y: z, Role: c", "other: 1"}},
			check: func(t *testing.T, ctx, _ map[string]json.RawMessage) {
				assert.Equal(t, `{"role":"a","Role":"c"}`, string(ctx["Claims"]))
			},
		},
		{
			name:  "query: repeated names joined, access_token kept",
			extra: http.Header{"X-ASRS-Client-Query": {"?hub=chat&id=1&ID=2&access_token=t"}},
			check: func(t *testing.T, ctx, _ map[string]json.RawMessage) {
				assert.Equal(t, `{"hub":"chat","id":"1,2","access_token":"t"}`, string(ctx["Query"]))
			},
		},
		{
			name: "null arguments left out of Metadata, objects kept, numbers serialized",
			check: func(t *testing.T, ctx, meta map[string]json.RawMessage) {
				assert.NotContains(t, meta, "a")
				assert.Equal(t, `{"x":1}`, string(meta["b"]))
				assert.Equal(t, `"5"`, string(meta["c"]))
				assert.Equal(t, `[null,{"x":1},5]`, string(ctx["Arguments"]))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := startHost(t, dir, answer(`{}`), nil)
			resp, _ := upstream(t, host, upstreamHeaders("messages", "send", tt.extra), args)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			data, meta := payloadParts(t, lastInvocation(t, host).Request)
			var ctx map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(data["invocation"], &ctx))
			tt.check(t, ctx, meta)
		})
	}
}

// Upstream answers, step for step (§8.5; EXT TriggerBindings/SignalRTriggerDispatcher.cs
// ExecuteAsync, Resolver/SignalRRequestResolver.cs, Executor/SignalRConnectMethodExecutor.cs,
// SignalRDisconnectMethodExecutor.cs, SignalRInvocationMethodExecutor.cs; serverless protocols in
// sdk/signalr/Microsoft.Azure.SignalR.Serverless.Protocols).
func TestHostUpstreamAnswers(t *testing.T) {
	dir := writeFunctions(t, customHandlerJSON, map[string]string{
		"send":         `{"bindings":[{"type":"signalRTrigger","direction":"in","name":"invocation","hubName":"chat","category":"messages","event":"send"},{"type":"signalR","direction":"out","name":"out","hubName":"chat"}]}`,
		"connected":    `{"bindings":[{"type":"signalRTrigger","direction":"in","name":"invocation","hubName":"chat","category":"connections","event":"connected"}]}`,
		"disconnected": `{"bindings":[{"type":"signalRTrigger","direction":"in","name":"invocation","hubName":"chat","category":"connections","event":"disconnected"}]}`,
	})
	invoke := `{"type":1,"invocationId":"7","target":"send","arguments":[]}`
	send := `{"type":1,"target":"send","arguments":[]}`
	ok := answer(`{"ReturnValue":{"n":1}}`)
	failing := &stub{status: 500, body: "secret handler detail"}
	tests := []struct {
		name       string
		handler    *stub
		category   string
		event      string
		extra      http.Header
		body       string
		wantStatus int
		wantCalled bool
		check      func(t *testing.T, resp *http.Response, body []byte)
	}{
		{name: "no Content-Type", handler: ok, category: "messages", event: "send", extra: http.Header{"Content-Type": nil}, body: send, wantStatus: 500},
		{name: "unsupported media type", handler: ok, category: "messages", event: "send", extra: http.Header{"Content-Type": {"text/plain"}}, body: send, wantStatus: 415},
		{name: "missing hub header", handler: ok, category: "messages", event: "send", extra: http.Header{"X-ASRS-Hub": nil}, body: send, wantStatus: 500},
		{name: "empty hub header", handler: ok, category: "messages", event: "send", extra: http.Header{"X-ASRS-Hub": {""}}, body: send, wantStatus: 400},
		{name: "unmapped event", handler: ok, category: "messages", event: "other", body: `{"type":1,"target":"other"}`, wantStatus: 404},
		{name: "missing connection id", handler: ok, category: "messages", event: "send", extra: http.Header{"X-ASRS-Connection-Id": nil}, body: send, wantStatus: 500},
		{name: "body before signature", handler: ok, category: "messages", event: "send", extra: http.Header{"X-ASRS-Signature": {"sha256=00"}}, body: `{"type":`, wantStatus: 500},
		{name: "bad signature", handler: ok, category: "messages", event: "send", extra: http.Header{"X-ASRS-Signature": {"sha256=00"}}, body: send, wantStatus: 401},
		{name: "signature entries are not trimmed", handler: ok, category: "messages", event: "send", extra: http.Header{"X-ASRS-Signature": {"sha256=00, " + trigger.Signature(testKey, "c1")}}, body: send, wantStatus: 401},
		{name: "lowercase signature", handler: ok, category: "messages", event: "send", extra: http.Header{"X-ASRS-Signature": {"sha256=00," + strings.ToLower(trigger.Signature(testKey, "c1"))}}, body: send, wantStatus: 200, wantCalled: true},
		{name: "target not the event", handler: ok, category: "messages", event: "send", body: `{"type":1,"target":"x","arguments":[]}`, wantStatus: 500},
		{name: "send of a failing function is 200", handler: failing, category: "messages", event: "send", body: send, wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, _ *http.Response, body []byte) { assert.Empty(t, body) }},
		{name: "empty invocationId is a send", handler: failing, category: "messages", event: "send", body: `{"type":1,"invocationId":"","target":"send","arguments":[]}`, wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, _ *http.Response, body []byte) { assert.Empty(t, body) }},
		{name: "invoke gets a Completion without Content-Type", handler: ok, category: "messages", event: "send", body: invoke, wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, resp *http.Response, body []byte) {
				assert.Empty(t, resp.Header.Values("Content-Type"))
				assert.Equal(t, "{\"type\":3,\"invocationId\":\"7\",\"result\":{\"n\":1}}\x1e", string(body))
			}},
		{name: "failed invoke gets the exception's message only", handler: failing, category: "messages", event: "send", body: invoke, wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, _ *http.Response, body []byte) {
				assert.Equal(t, "{\"type\":3,\"invocationId\":\"7\",\"error\":\"Response status code does not indicate success: 500 (Internal Server Error).\"}\x1e", string(body))
			}},
		{name: "MessagePack invoke", handler: ok, category: "messages", event: "send", extra: http.Header{"Content-Type": {"application/x-msgpack"}},
			body: "\x95\x01\x80\xa17\xa4send\x90", wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, resp *http.Response, body []byte) {
				assert.Empty(t, resp.Header.Values("Content-Type"))
				m, _, err := hubproto.MessagePack.ParseFrame(body)
				require.NoError(t, err)
				assert.Equal(t, "7", m.InvocationID)
			}},
		{name: "connected body is not read", handler: ok, category: "connections", event: "connected", body: `not json`, wantStatus: 200, wantCalled: true},
		{name: "connected failing is 403", handler: failing, category: "connections", event: "connected", body: `{"type":10}`, wantStatus: 403, wantCalled: true},
		{name: "connected bad signature", handler: ok, category: "connections", event: "connected", extra: http.Header{"X-ASRS-Signature": nil}, wantStatus: 401},
		{name: "disconnected needs a JSON close message", handler: ok, category: "connections", event: "disconnected", body: `{"type":10}`, wantStatus: 500},
		{name: "disconnected empty body", handler: ok, category: "connections", event: "disconnected", wantStatus: 500},
		{name: "disconnected MessagePack", handler: ok, category: "connections", event: "disconnected", extra: http.Header{"Content-Type": {"application/x-msgpack"}}, body: "\x92\x0b\xc0", wantStatus: 500},
		{name: "disconnected failing is 200", handler: failing, category: "connections", event: "disconnected", body: `{"Type":11,"Error":"gone"}`, wantStatus: 200, wantCalled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &stub{status: tt.handler.status, contentType: tt.handler.contentType, body: tt.handler.body}
			host := startHost(t, dir, h, nil)
			resp, body := upstream(t, host, upstreamHeaders(tt.category, tt.event, tt.extra), tt.body)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantCalled, len(h.received()) > 0, "handler called")
			if tt.wantStatus != http.StatusOK {
				assert.Empty(t, body, "a bare status")
			}
			if tt.check != nil {
				tt.check(t, resp, body)
			}
		})
	}
}

// A ReturnValue object's members become outputs for a SignalR trigger too, and the whole
// object answers invoke() (HOST WorkerFunctionInvoker.cs HandleOutputDictionary; EXT ≥ 1.15.0).
func TestHostTriggerReturnValueMerged(t *testing.T) {
	srv := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(srv.Close)
	dir := writeFunctions(t, customHandlerJSON, map[string]string{
		"send": `{"bindings":[{"type":"signalRTrigger","direction":"in","name":"invocation","hubName":"chat","category":"messages","event":"send"},{"type":"signalR","direction":"out","name":"out","hubName":"chat"}]}`,
	})
	keys := srv.AccessKeys()
	host := startHost(t, dir, answer(`{"ReturnValue":{"out":[{"target":"merged","arguments":["m"]}],"n":2}}`), &bindingstest.Options{SignalRConnectionString: srv.ConnectionString()})
	h := upstreamHeaders("messages", "send", http.Header{"X-ASRS-Signature": {trigger.Signature(keys[0], "c1")}})
	resp, body := upstream(t, host, h, `{"type":1,"invocationId":"1","target":"send","arguments":[]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "{\"type\":3,\"invocationId\":\"1\",\"result\":{\"out\":[{\"target\":\"merged\",\"arguments\":[\"m\"]}],\"n\":2}}\x1e", string(body))
	sends := sendsTo(srv, "chat")
	require.Len(t, sends, 1)
	assert.Contains(t, sends[0], `"merged"`)
}

// host.json modes (§8.6; HOST Workers/Http/DefaultHttpWorkerService.cs InvokeAsync and
// GetPathValue, Extensions/HttpRequestExtensions.cs ToHttpRequestMessage, AddHeaders; the 2025
// version adds enableProxyingHttpRequest, which takes precedence).
func TestHostHTTPModes(t *testing.T) {
	httpOnly := `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"files/{*path}"},{"type":"http","direction":"out","name":"res"}]}`
	withOutput := `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"files/{*path}"},{"type":"http","direction":"out","name":"res"},{"type":"signalR","direction":"out","name":"out","hubName":"chat"}]}`
	tests := []struct {
		name      string
		hostJSON  string
		function  string
		wantPath  string
		wantQuery string
		wantUA    string
		payload   bool
	}{
		{name: "legacy httpWorker forwards to /<function>", hostJSON: `{"version":"2.0","httpWorker":{"description":{"defaultExecutablePath":"h"}}}`, function: httpOnly,
			wantPath: "/f", wantQuery: "tag=x%2Cy&sp=a%20b", wantUA: "caller/1.0 Azure-Functions-Host/" + bindingstest.DefaultHostVersion},
		{name: "forwarding keeps the path, rebuilds the query, appends the user agent", hostJSON: `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"h"},"enableForwardingHttpRequest":true}}`, function: httpOnly,
			wantPath: "/api/files/a/b", wantQuery: "tag=x%2Cy&sp=a%20b", wantUA: "caller/1.0 Azure-Functions-Host/" + bindingstest.DefaultHostVersion},
		{name: "proxying leaves query and user agent alone", hostJSON: `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"h"},"enableProxyingHttpRequest":true}}`, function: httpOnly,
			wantPath: "/api/files/a/b", wantQuery: "tag=x&tag=y&sp=a+b", wantUA: "caller/1.0"},
		{name: "proxying wins over forwarding", hostJSON: `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"h"},"enableForwardingHttpRequest":true,"enableProxyingHttpRequest":true}}`, function: httpOnly,
			wantPath: "/api/files/a/b", wantQuery: "tag=x&tag=y&sp=a+b", wantUA: "caller/1.0"},
		{name: "a function with other bindings gets the payload", hostJSON: `{"version":"2.0","httpWorker":{"description":{"defaultExecutablePath":"h"}}}`, function: withOutput,
			wantPath: "/f", payload: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFunctions(t, tt.hostJSON, map[string]string{"f": tt.function})
			h := &stub{status: 418, contentType: "application/json", body: `{}`}
			if tt.payload {
				h.status = 200
			}
			host := startHost(t, dir, h, nil)
			resp, _ := call(t, http.MethodPost, host.URL+"/api/files/a/b?tag=x&tag=y&sp=a+b", http.Header{"User-Agent": {"caller/1.0"}, "X-Custom": {"v"}}, "payload")
			got := h.received()
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantPath, got[0].path)
			if tt.payload {
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, "Azure-Functions-Host/"+bindingstest.DefaultHostVersion, got[0].header.Get("User-Agent"))
				assert.True(t, bytes.HasPrefix(got[0].body, []byte(`{"Data":`)))
				return
			}
			assert.Equal(t, 418, resp.StatusCode, "the handler's answer passes through")
			assert.Equal(t, tt.wantQuery, got[0].rawQuery)
			assert.Equal(t, tt.wantUA, got[0].header.Get("User-Agent"))
			assert.Equal(t, "v", got[0].header.Get("X-Custom"))
			assert.Equal(t, "payload", string(got[0].body))
			assert.NotEmpty(t, got[0].header.Get("X-Azure-Functions-InvocationId"))
			assert.Equal(t, bindingstest.DefaultHostVersion, got[0].header.Get("X-Azure-Functions-HostVersion"))
		})
	}
}

// A failed invocation answers the HTTP caller with a bare 500: neither the handler's text nor a
// REST error (service URL, response body) reaches it; the details go to the log (HOST
// WebHost/Middleware/FunctionInvocationMiddleware.cs lets the exception become ASP.NET Core's
// empty 500).
func TestHostFailedInvocationIsBare(t *testing.T) {
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"code":"Error.Internal","message":"service secret detail"}`)
	}))
	t.Cleanup(service.Close)
	cs := "Endpoint=" + service.URL + ";AccessKey=" + testKey + ";Version=1.0;"
	dir := writeFunctions(t, customHandlerJSON, map[string]string{
		"f":    `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"},{"type":"signalR","direction":"out","name":"out","hubName":"chat"}]}`,
		"send": `{"bindings":[{"type":"signalRTrigger","direction":"in","name":"invocation","hubName":"chat","category":"messages","event":"send"},{"type":"signalR","direction":"out","name":"out","hubName":"chat"}]}`,
	})
	const status500 = "Response status code does not indicate success: 500 (Internal Server Error)."
	tests := []struct {
		name           string
		handler        *stub
		wantCompletion string // the error an invoke() caller gets
	}{
		{name: "the handler fails with text", handler: &stub{status: 500, contentType: "text/plain", body: "handler secret detail"}, wantCompletion: status500},
		{name: "the handler's JSON is broken", handler: &stub{contentType: "application/json", body: "{handler secret detail"}, wantCompletion: "Invalid HttpResponseMessage"},
		{name: "a signalR output fails at the service", handler: answer(`{"Outputs":{"res":{"body":"ok"},"out":{"target":"t"}}}`), wantCompletion: status500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			host := startHost(t, dir, tt.handler, &bindingstest.Options{SignalRConnectionString: cs, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			resp, body := call(t, http.MethodGet, host.URL+"/api/f", nil, "")
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			assert.Empty(t, body)
			assert.Empty(t, resp.Header.Values("Content-Type"))
			assert.NotEmpty(t, lastInvocation(t, host).Err)
			assert.Contains(t, logs.String(), "function failed", "the details go to the log")

			resp, body = upstream(t, host, upstreamHeaders("messages", "send", nil), `{"type":1,"invocationId":"3","target":"send","arguments":[]}`)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			m, _, err := hubproto.JSON.ParseFrame(body)
			require.NoError(t, err)
			require.True(t, m.HasError)
			assert.Equal(t, tt.wantCompletion, m.Error, "no service URL, no response body")
		})
	}
}

// The invocation request (§8.1; HOST Workers/Http/DefaultHttpWorkerService.cs AddHeaders,
// MessageExtensions/HttpScriptInvocationContextExtensions.cs ObjectContent): chunked without
// Content-Length, the host's headers and nothing net/http would add, so a handler that needs
// Content-Length fails here as in Azure.
func TestHostSendsChunkedInvocations(t *testing.T) {
	dir := writeFunctions(t, customHandlerJSON, map[string]string{
		"f": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"}]}`,
	})
	tests := []struct {
		name       string
		needLength bool
		wantStatus int
	}{
		{name: "a handler reading to EOF", wantStatus: 200},
		{name: "a handler that needs Content-Length", needLength: true, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := answer(`{"Outputs":{"res":{"body":"ok"}}}`)
			h.needLength = tt.needLength
			host := startHost(t, dir, h, &bindingstest.Options{HostVersion: "4.0.0.1"})
			resp, _ := call(t, http.MethodGet, host.URL+"/api/f", nil, "")
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			got := h.received()
			require.Len(t, got, 1)
			r := got[0]
			assert.Equal(t, int64(-1), r.contentLength)
			assert.Equal(t, []string{"chunked"}, r.transferEncoding)
			assert.Equal(t, http.MethodPost, r.method)
			assert.Equal(t, "/f", r.path)
			assert.ElementsMatch(t, []string{"Content-Type", "User-Agent", "X-Azure-Functions-Hostversion", "X-Azure-Functions-Invocationid"}, keysOf(r.header))
			assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
			assert.Equal(t, "Azure-Functions-Host/4.0.0.1", r.header.Get("User-Agent"))
			assert.Equal(t, "4.0.0.1", r.header.Get("X-Azure-Functions-HostVersion"))
			assert.Len(t, r.header.Get("X-Azure-Functions-InvocationId"), 36)
		})
	}
}

func keysOf(h http.Header) []string {
	var keys []string
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// Header names keep the caller's spelling request by request on a kept-alive connection, a
// chunked body in between (Kestrel keeps the names it does not know as they came; net/http
// would canonicalize them).
func TestHostHeaderSpellingOnOneConnection(t *testing.T) {
	dir := writeFunctions(t, customHandlerJSON, map[string]string{
		"f": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"}]}`,
	})
	host := startHost(t, dir, answer(`{}`), nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(host.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /api/f HTTP/1.1\r\nHost: h\r\nx-first-ONE: 1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"+
		"GET /api/f HTTP/1.1\r\nHost: h\r\nX-second-two: 2\r\naccept-ENCODING: identity\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	for range 2 {
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	invs := host.Invocations()
	require.Len(t, invs, 2)
	names := func(inv bindingstest.Invocation) []string {
		data, _ := payloadParts(t, inv.Request)
		var req struct{ Headers map[string][]string }
		require.NoError(t, json.Unmarshal(data["req"], &req))
		return keysOf(req.Headers)
	}
	assert.ElementsMatch(t, []string{"Host", "x-first-ONE", "Transfer-Encoding"}, names(invs[0]))
	assert.ElementsMatch(t, []string{"Host", "X-second-two", "Accept-Encoding"}, names(invs[1]))
}
