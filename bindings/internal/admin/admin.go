package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Prefix is the path under which the host serves the endpoint; the function's name follows it.
const Prefix = "/admin/functions/"

// Function is what the endpoint needs to know about a function.
type Function struct {
	// Name is the function's name as declared; the endpoint passes it to Invoke whatever the
	// case of the name in the request.
	Name string
	// HTTPTriggered marks functions with an httpTrigger, which the endpoint cannot run.
	HTTPTriggered bool
}

// Lookup finds a function by the name in a request. The host matches names without regard to
// case (ScriptJobHostExtensions.GetFunctionOrNull); Functions builds such a lookup.
type Lookup func(name string) (Function, bool)

// Functions returns a Lookup over fns that matches names without regard to case.
func Functions(fns ...Function) Lookup {
	m := make(map[string]Function, len(fns))
	for _, f := range fns {
		m[strings.ToLower(f.Name)] = f
	}
	return func(name string) (Function, bool) {
		f, ok := m[strings.ToLower(name)]
		return f, ok
	}
}

// Invoke runs the named function with input as its trigger value. It runs after the endpoint
// has answered, in a context derived from Options.BaseContext.
type Invoke func(ctx context.Context, name, input string) error

// HTTPFunctionError is the failure of a run requested for an HTTP-triggered function. The host
// accepts such a request with 202 too and then fails the run, because its HTTP trigger binds
// only an HttpRequest (NotSupportedException "An HttpRequest is required" in
// azure-webjobs-sdk-extensions HttpTriggerAttributeBindingProvider.cs).
type HTTPFunctionError struct {
	Name string
}

func (e *HTTPFunctionError) Error() string {
	return fmt.Sprintf("function %q is HTTP-triggered and an HttpRequest is required: the admin endpoint runs only non-HTTP functions; call the function's route instead", e.Name)
}

// Options configures a Handler; the zero value is usable.
type Options struct {
	// MaxBodyBytes bounds the request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// MaxInFlight bounds the runs started by the endpoint that have not returned; past it the
	// endpoint answers 429. 0 means 64.
	MaxInFlight int
	// BaseContext is the parent of every run's context; when it is done the endpoint answers
	// 503, as the host does when it is not running. nil means context.Background().
	BaseContext context.Context
	// OnError receives the error of a run: Invoke's error, or an *HTTPFunctionError. The
	// request was answered before the run, so this is the place to log it. nil drops errors.
	OnError func(name string, err error)
}

// Handler serves POST /admin/functions/<name> with a body {"input":"…"} as the Functions host
// does (FunctionsController.Invoke in azure-functions-host): it runs the named function in
// the background with the input as its trigger value and answers 202 Accepted with no body.
// It answers 415 for a body that is not application/json, 400 for an empty or malformed body,
// 404 for an unknown function, in that order as the host's model binding does; errors carry
// a plain-text explanation (the host's carry none). It is safe for concurrent use.
type Handler struct {
	lookup   Lookup
	invoke   Invoke
	maxBody  int64
	base     context.Context
	onError  func(string, error)
	slots    chan struct{}
	inFlight sync.WaitGroup
}

// NewHandler returns a Handler that finds functions with lookup and runs them with invoke.
func NewHandler(lookup Lookup, invoke Invoke, o *Options) *Handler {
	if o == nil {
		o = &Options{}
	}
	h := &Handler{lookup: lookup, invoke: invoke, maxBody: o.MaxBodyBytes, base: o.BaseContext, onError: o.OnError}
	if h.maxBody <= 0 {
		h.maxBody = 1 << 20
	}
	if h.base == nil {
		h.base = context.Background()
	}
	n := o.MaxInFlight
	if n <= 0 {
		n = 64
	}
	h.slots = make(chan struct{}, n)
	return h
}

// Wait blocks until every run the endpoint started has returned.
func (h *Handler) Wait() { h.inFlight.Wait() }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok || name == "" || strings.Contains(name, "/") {
		httpError(w, http.StatusNotFound, "not found: the admin endpoint is POST "+Prefix+"<function name>")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: run a function with POST "+Prefix+"<function name> and the body {\"input\":\"…\"}")
		return
	}
	if h.base.Err() != nil {
		httpError(w, http.StatusServiceUnavailable, "the host is stopping")
		return
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		httpError(w, http.StatusUnsupportedMediaType, "unsupported Content-Type: send the body as application/json, such as {\"input\":\"…\"}")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			httpError(w, http.StatusRequestEntityTooLarge, "the body is larger than "+strconv.FormatInt(h.maxBody, 10)+" bytes")
			return
		}
		httpError(w, http.StatusBadRequest, "the body could not be read")
		return
	}
	input, err := ParseBody(body)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	fn, ok := h.lookup(name)
	if !ok {
		httpError(w, http.StatusNotFound, "no function is named "+quoteName(name))
		return
	}
	select {
	case h.slots <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusTooManyRequests, "too many runs started through the admin endpoint are still running ("+strconv.Itoa(cap(h.slots))+"); retry when they end")
		return
	}
	h.inFlight.Add(1)
	go func() {
		defer h.inFlight.Done()
		defer func() { <-h.slots }()
		var err error
		if fn.HTTPTriggered {
			err = &HTTPFunctionError{Name: fn.Name}
		} else {
			err = h.invoke(h.base, fn.Name, input)
		}
		if err != nil && h.onError != nil {
			h.onError(fn.Name, err)
		}
	}()
	w.WriteHeader(http.StatusAccepted)
}

// isJSON accepts application/json and any +json type, as ASP.NET Core's JSON input formatter
// does; an absent Content-Type is refused (the host answers 415).
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) || mt == "text/json"
}

func httpError(w http.ResponseWriter, code int, msg string) {
	http.Error(w, msg, code)
}

// quoteName quotes a name from the request for a message, bounded.
func quoteName(s string) string {
	const max = 128
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

// ParseBody reads the endpoint's body, a JSON object whose "input" property (matched without
// regard to case, the last one winning, as Newtonsoft binds FunctionInvocation.Input) is the
// trigger value. A string is used as it is; a number or boolean becomes its JSON text, as
// Newtonsoft reads it into the string property; null or a missing input is the empty string.
// An object or array input is refused: send JSON as a string. The error never repeats the
// body.
func ParseBody(body []byte) (string, error) {
	const form = `expected a JSON object such as {"input":"…"}`
	if len(bytes.TrimSpace(body)) == 0 {
		return "", errors.New("the body is empty; " + form + ` ({} runs the function without input)`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return "", syntaxError(dec, form)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", fmt.Errorf("the body is %s; %s", describe(tok), form)
	}
	var input string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return "", syntaxError(dec, form)
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", syntaxError(dec, form)
		}
		if !strings.EqualFold(key, "input") {
			continue
		}
		switch raw[0] {
		case '"':
			if err := json.Unmarshal(raw, &input); err != nil {
				return "", syntaxError(dec, form)
			}
		case 'n':
			input = ""
		case '{', '[':
			return "", errors.New(`"input" is an object or array; it is the trigger value as a string: send JSON as a string, such as {"input":"{\"id\":1}"}`)
		default: // numbers, true, false: their JSON text
			input = string(raw)
		}
	}
	if _, err := dec.Token(); err != nil {
		return "", syntaxError(dec, form)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("the body has more after its JSON object; " + form)
	}
	return input, nil
}

func syntaxError(dec *json.Decoder, form string) error {
	return fmt.Errorf("the body is not valid JSON (at byte %d); %s", dec.InputOffset(), form)
}

func describe(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "not an object"
}
