package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type call struct{ name, input string }

type recorder struct {
	mu     sync.Mutex
	calls  []call
	errs   []error
	done   chan struct{}
	result error
}

func newRecorder() *recorder { return &recorder{done: make(chan struct{}, 100)} }

func (r *recorder) invoke(_ context.Context, name, input string) error {
	r.mu.Lock()
	r.calls = append(r.calls, call{name, input})
	r.mu.Unlock()
	return r.result
}

func (r *recorder) onError(name string, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

var functions = Functions(
	Function{Name: "QueueWorker"},
	Function{Name: "nightly"},
	Function{Name: "HttpApi", HTTPTriggered: true},
)

func TestHandler(t *testing.T) {
	const jsonCT = "application/json"
	tests := []struct {
		name   string
		method string
		path   string
		ct     string
		body   string
		status int
		msg    string // the response body, without its newline
		call   *call
	}{
		{name: "a run", path: "/admin/functions/QueueWorker", body: `{"input":"hello"}`, status: 202, call: &call{"QueueWorker", "hello"}},
		{name: "names match without regard to case", path: "/admin/functions/queueworker", body: `{"input":"x"}`, status: 202, call: &call{"QueueWorker", "x"}},
		{name: "an empty object runs without input", path: "/admin/functions/nightly", body: `{}`, status: 202, call: &call{"nightly", ""}},
		{name: "a null input", path: "/admin/functions/nightly", body: `{"input":null}`, status: 202, call: &call{"nightly", ""}},
		{name: "a number input keeps its text", path: "/admin/functions/nightly", body: `{"Input":1.50}`, status: 202, call: &call{"nightly", "1.50"}},
		{name: "a boolean input", path: "/admin/functions/nightly", body: `{"INPUT":true}`, status: 202, call: &call{"nightly", "true"}},
		{name: "the last input wins, others are ignored", path: "/admin/functions/nightly", body: `{"input":"a","other":{"x":[1]},"input":"b"}`, status: 202, call: &call{"nightly", "b"}},
		{name: "escapes", path: "/admin/functions/nightly", body: `{"input":"{\"id\":1}\n\u00e9"}`, status: 202, call: &call{"nightly", "{\"id\":1}\né"}},
		{name: "JSON with a charset", path: "/admin/functions/nightly", ct: "application/json; charset=utf-8", body: `{}`, status: 202, call: &call{"nightly", ""}},
		{name: "a +json type", path: "/admin/functions/nightly", ct: "application/vnd.api+json", body: `{}`, status: 202, call: &call{"nightly", ""}},
		{name: "text/json", path: "/admin/functions/nightly", ct: "text/json", body: `{}`, status: 202, call: &call{"nightly", ""}},

		// The host answers 415 when no JSON formatter takes the body (no or another type).
		{name: "no Content-Type", path: "/admin/functions/nightly", ct: "-", body: `{}`, status: 415, msg: `unsupported Content-Type: send the body as application/json, such as {"input":"…"}`},
		{name: "form data", path: "/admin/functions/nightly", ct: "application/x-www-form-urlencoded", body: `input=x`, status: 415, msg: `unsupported Content-Type: send the body as application/json, such as {"input":"…"}`},
		// An empty body: the host's model binding gives null and the action answers 400.
		{name: "an empty body", path: "/admin/functions/nightly", body: ``, status: 400, msg: `the body is empty; expected a JSON object such as {"input":"…"} ({} runs the function without input)`},
		{name: "null", path: "/admin/functions/nightly", body: `null`, status: 400, msg: `the body is null; expected a JSON object such as {"input":"…"}`},
		{name: "an array", path: "/admin/functions/nightly", body: `["x"]`, status: 400, msg: `the body is an array; expected a JSON object such as {"input":"…"}`},
		{name: "a string", path: "/admin/functions/nightly", body: `"x"`, status: 400, msg: `the body is a string; expected a JSON object such as {"input":"…"}`},
		{name: "an object input", path: "/admin/functions/nightly", body: `{"input":{"id":1}}`, status: 400, msg: `"input" is an object or array; it is the trigger value as a string: send JSON as a string, such as {"input":"{\"id\":1}"}`},
		{name: "an array input", path: "/admin/functions/nightly", body: `{"input":[1]}`, status: 400, msg: `"input" is an object or array; it is the trigger value as a string: send JSON as a string, such as {"input":"{\"id\":1}"}`},
		{name: "malformed JSON", path: "/admin/functions/nightly", body: `{"input":`, status: 400, msg: `the body is not valid JSON (at byte 9); expected a JSON object such as {"input":"…"}`},
		{name: "trailing data", path: "/admin/functions/nightly", body: `{"input":"x"} {}`, status: 400, msg: `the body has more after its JSON object; expected a JSON object such as {"input":"…"}`},
		// Model binding comes before the action's lookup.
		{name: "a bad body for an unknown function", path: "/admin/functions/missing", body: `{`, status: 400, msg: `the body is not valid JSON (at byte 1); expected a JSON object such as {"input":"…"}`},
		{name: "an unknown function", path: "/admin/functions/missing", body: `{}`, status: 404, msg: `no function is named "missing"`},
		{name: "no name", path: "/admin/functions/", body: `{}`, status: 404, msg: `not found: the admin endpoint is POST /admin/functions/<function name>`},
		{name: "a nested path", path: "/admin/functions/nightly/x", body: `{}`, status: 404, msg: `not found: the admin endpoint is POST /admin/functions/<function name>`},
		{name: "another path", path: "/api/nightly", body: `{}`, status: 404, msg: `not found: the admin endpoint is POST /admin/functions/<function name>`},
		{name: "GET", method: "GET", path: "/admin/functions/nightly", status: 405, msg: `method GET not allowed: run a function with POST /admin/functions/<function name> and the body {"input":"…"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			h := NewHandler(functions, rec.invoke, &Options{OnError: rec.onError})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, tt.path, strings.NewReader(tt.body))
			switch tt.ct {
			case "":
				req.Header.Set("Content-Type", jsonCT)
			case "-":
			default:
				req.Header.Set("Content-Type", tt.ct)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			h.Wait()
			assert.Equal(t, tt.status, w.Code)
			if tt.status == http.StatusAccepted {
				assert.Empty(t, w.Body.String())
			} else {
				assert.Equal(t, tt.msg+"\n", w.Body.String())
				assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
			}
			if tt.status == http.StatusMethodNotAllowed {
				assert.Equal(t, "POST", w.Header().Get("Allow"))
			}
			if tt.call != nil {
				assert.Equal(t, []call{*tt.call}, rec.calls)
			} else {
				assert.Empty(t, rec.calls)
			}
			assert.Empty(t, rec.errs)
		})
	}
}

func TestHTTPFunction(t *testing.T) {
	// The host accepts the request and then fails the run: its HTTP trigger binds only an
	// HttpRequest.
	rec := newRecorder()
	var names []string
	h := NewHandler(functions, rec.invoke, &Options{OnError: func(name string, err error) { names = append(names, name); rec.onError(name, err) }})
	req := httptest.NewRequest(http.MethodPost, "/admin/functions/httpapi", strings.NewReader(`{"input":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	h.Wait()
	assert.Equal(t, http.StatusAccepted, w.Code)
	assert.Empty(t, rec.calls, "an HTTP function is not invoked")
	require.Len(t, rec.errs, 1)
	var he *HTTPFunctionError
	require.ErrorAs(t, rec.errs[0], &he)
	assert.Equal(t, "HttpApi", he.Name)
	assert.Equal(t, []string{"HttpApi"}, names)
	assert.EqualError(t, he, `function "HttpApi" is HTTP-triggered and an HttpRequest is required: the admin endpoint runs only non-HTTP functions; call the function's route instead`)
}

func TestInvokeError(t *testing.T) {
	rec := newRecorder()
	rec.result = errors.New("handler answered 500")
	h := NewHandler(functions, rec.invoke, &Options{OnError: rec.onError})
	w := post(h, "/admin/functions/nightly", `{}`)
	h.Wait()
	assert.Equal(t, http.StatusAccepted, w.Code)
	assert.Equal(t, []error{rec.result}, rec.errs)

	// Without OnError the error is dropped.
	h = NewHandler(functions, rec.invoke, nil)
	assert.Equal(t, http.StatusAccepted, post(h, "/admin/functions/nightly", `{}`).Code)
	h.Wait()
}

func post(h http.Handler, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestBodyLimit(t *testing.T) {
	rec := newRecorder()
	h := NewHandler(functions, rec.invoke, &Options{MaxBodyBytes: 16})
	w := post(h, "/admin/functions/nightly", `{"input":"0123456789"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Equal(t, "the body is larger than 16 bytes\n", w.Body.String())
	assert.Equal(t, http.StatusAccepted, post(h, "/admin/functions/nightly", `{"input":"ok"}`).Code)
	h.Wait()
	assert.Equal(t, []call{{"nightly", "ok"}}, rec.calls)
}

func TestInFlightLimit(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 10)
	invoke := func(_ context.Context, name, input string) error {
		started <- input
		<-release
		return nil
	}
	h := NewHandler(functions, invoke, &Options{MaxInFlight: 2})
	assert.Equal(t, http.StatusAccepted, post(h, "/admin/functions/nightly", `{"input":"1"}`).Code)
	assert.Equal(t, http.StatusAccepted, post(h, "/admin/functions/nightly", `{"input":"2"}`).Code)
	w := post(h, "/admin/functions/nightly", `{"input":"3"}`)
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Equal(t, "too many runs started through the admin endpoint are still running (2); retry when they end\n", w.Body.String())
	<-started
	<-started
	close(release)
	h.Wait()
	assert.Equal(t, http.StatusAccepted, post(h, "/admin/functions/nightly", `{"input":"4"}`).Code)
	h.Wait()
	assert.Equal(t, "4", <-started)
}

type ctxKey struct{}

func TestBaseContext(t *testing.T) {
	base, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "base"))
	got := make(chan any, 1)
	h := NewHandler(functions, func(ctx context.Context, _, _ string) error {
		got <- ctx.Value(ctxKey{})
		return nil
	}, &Options{BaseContext: base})
	req := httptest.NewRequest(http.MethodPost, "/admin/functions/nightly", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	reqCtx, reqCancel := context.WithCancel(req.Context())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(reqCtx))
	reqCancel() // the request ends with the 202; the run goes on
	h.Wait()
	assert.Equal(t, "base", <-got)

	cancel()
	w = post(h, "/admin/functions/nightly", `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "the host is stopping\n", w.Body.String())
}

func TestOverHTTP(t *testing.T) {
	rec := newRecorder()
	h := NewHandler(functions, rec.invoke, nil)
	mux := http.NewServeMux()
	mux.Handle(Prefix, h)
	srv := httptest.NewServer(mux) // listens on 127.0.0.1:0
	defer srv.Close()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(srv.URL+"/admin/functions/QUEUEWORKER", "application/json", strings.NewReader(`{"input":"over http"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	h.Wait()
	assert.Equal(t, []call{{"QueueWorker", "over http"}}, rec.calls)

	resp, err = client.Post(srv.URL+"/admin/functions/nightly", "application/json", strings.NewReader(strings.Repeat(" ", 2<<20)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
}

func TestLongNameInMessage(t *testing.T) {
	h := NewHandler(functions, newRecorder().invoke, nil)
	w := post(h, "/admin/functions/"+strings.Repeat("é", 100), `{}`)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Less(t, w.Body.Len(), 200)
	assert.Contains(t, w.Body.String(), "…")
}
