package fakehost

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	svcint "github.com/funcsignalr/funcsignalr/internal/service"
)

// maxRequestBody is the host's HTTP request limit (100 MB).
const maxRequestBody = 100 << 20

// httpMode is how the host hands an HTTP-triggered function to the handler.
type httpMode uint8

const (
	modePayload httpMode = iota // the {"Data","Metadata"} invocation
	modeForward                 // enableForwardingHttpRequest: the request rebuilt at its own path
	modeLegacy                  // the httpWorker section: the request rebuilt at /<function>
	modeProxy                   // enableProxyingHttpRequest: the request proxied as is
)

// mode applies the host's choice (DefaultHttpWorkerService.cs, spec §8.6): only a function with
// one httpTrigger input and one http output is ever passed through; proxying takes precedence
// over forwarding, and the legacy httpWorker section forwards without being asked.
func (h *Host) mode(fn manifest.Function) httpMode {
	cfg := h.manifest.Host
	switch {
	case !fn.IsHTTPInAndOut():
		return modePayload
	case cfg.EnableProxyingHTTPRequest:
		return modeProxy
	case cfg.LegacyHTTPWorker:
		return modeLegacy
	case cfg.EnableForwardingHTTPRequest:
		return modeForward
	}
	return modePayload
}

// authenticate applies the function's authLevel when Options.FunctionKeys or MasterKey are set,
// as the host's AuthenticationLevelHandler and FunctionInvocationMiddleware do: the key comes
// from x-functions-key, else the code query parameter. It returns the Identities array and
// whether the call may go on. Without keys, as under `func start`, every call is anonymous and
// allowed.
func (h *Host) authenticate(r *http.Request, trig manifest.Binding) ([]byte, bool) {
	anonymous := []byte("[" + anonymousIdentity + "]")
	if len(h.opts.FunctionKeys) == 0 && h.opts.MasterKey == "" {
		return anonymous, true
	}
	key := ""
	if v := r.Header.Values("x-functions-key"); len(v) > 0 {
		key = v[0]
	} else if v, ok := queryValue(r, "code"); ok {
		key = v
	}
	level, name := "", ""
	if key != "" {
		if h.opts.MasterKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(h.opts.MasterKey)) == 1 {
			level, name = "Admin", "_master"
		}
		for n, k := range h.opts.FunctionKeys {
			if level == "" && k != "" && subtle.ConstantTimeCompare([]byte(key), []byte(k)) == 1 {
				level, name = "Function", n
			}
		}
	}
	need := strings.ToLower(string(trig.AuthLevel))
	if need == "" {
		need = string(manifest.AuthLevelFunction)
	}
	switch {
	case level == "":
		return anonymous, need == string(manifest.AuthLevelAnonymous)
	case need == string(manifest.AuthLevelAdmin) && level != "Admin":
		return nil, false
	}
	return []byte("[" + string(keyIdentity(level, name)) + "]"), true
}

// queryValue is the first value of a query parameter, matched ignoring case as ASP.NET Core's
// query collection does.
func queryValue(r *http.Request, name string) (string, bool) {
	for _, p := range parseQuery(r.URL.RawQuery) {
		if strings.EqualFold(p.key, name) {
			return p.values[0], true
		}
	}
	return "", false
}

// serveHTTPFunction runs an HTTP-triggered function for a caller.
func (h *Host) serveHTTPFunction(w http.ResponseWriter, r *http.Request, raw map[string]string, fn manifest.Function, matched map[string]string) {
	trig, _ := fn.Trigger()
	ident, ok := h.authenticate(r, trig)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.ContentLength > maxRequestBody {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	body, err := readAll(r.Body, maxRequestBody)
	if err != nil {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	id := h.opts.NewGUID()
	if mode := h.mode(fn); mode != modePayload {
		h.forward(w, r, fn, mode, id, body)
		return
	}
	c := &httpCall{r: r, body: body, fields: requestHeaders(r, raw), query: parseQuery(r.URL.RawQuery), ident: ident, hasBody: r.ContentLength > 0}
	c.params, c.nulls = routeValues(fn, matched)
	d := c.bindingData()
	h.addSys(d, fn.Name)
	// The negotiate router may choose the endpoint by the caller's request.
	payload, err := h.payload(svcint.ContextWithRequest(r.Context(), r), fn, c.triggerValue(), d)
	if err != nil {
		h.record(Invocation{Function: fn.Name, ID: id, Err: err.Error()})
		h.fail(w, fn.Name, err)
		return
	}
	res, err := h.invoke(r.Context(), fn, id, payload)
	if err != nil {
		h.fail(w, fn.Name, err)
		return
	}
	answer, err := buildHTTPAnswer(fn, res)
	if err != nil {
		h.markFailed(id, err)
		h.fail(w, fn.Name, err)
		return
	}
	if err := h.applyOutputs(r.Context(), fn, res); err != nil {
		h.markFailed(id, err)
		h.fail(w, fn.Name, err)
		return
	}
	if err := answer.write(w); err != nil {
		h.markFailed(id, err)
		h.fail(w, fn.Name, err)
	}
}

// forward passes the caller's request to the handler and its response back unchanged;
// non-2xx statuses are not failures in these modes.
//
// Forwarding (and the legacy httpWorker section) rebuilds the request
// (HttpRequestExtensions.ToHttpRequestMessage): the query from the parsed collection, repeated
// names comma-joined; the caller's headers, Content-Type and Content-Length only with a body
// (which needs Content-Length); the host's User-Agent appended to the caller's. Proxying
// (YARP) sends path, query, headers and body as they came.
func (h *Host) forward(w http.ResponseWriter, r *http.Request, fn manifest.Function, mode httpMode, id string, body []byte) {
	target := h.handlerURL
	var reader io.Reader
	hdr := http.Header{}
	host := r.Host
	switch mode {
	case modeProxy:
		target += r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		if len(body) > 0 || r.ContentLength > 0 {
			reader = bytes.NewReader(body)
		}
		for k, v := range r.Header {
			if !hopByHop[k] {
				hdr[k] = append([]string(nil), v...)
			}
		}
		// YARP sends the destination's host, not the caller's [inferred].
		host = ""
	default:
		if mode == modeLegacy {
			target += "/" + fn.Name
		} else {
			target += r.URL.EscapedPath()
		}
		target += rebuiltQuery(parseQuery(r.URL.RawQuery))
		for k, v := range r.Header {
			if !contentHeaders[k] && k != "Transfer-Encoding" {
				hdr[k] = append([]string(nil), v...)
			}
		}
		if r.ContentLength > 0 {
			reader = bytes.NewReader(body)
			if ct := r.Header.Values("Content-Type"); len(ct) > 0 {
				hdr["Content-Type"] = []string{ct[0]}
			}
		}
		// HttpHeaders.UserAgent.ParseAdd appends the host's product to the caller's.
		ua := "Azure-Functions-Host/" + h.opts.HostVersion
		if callers := strings.Join(r.Header.Values("User-Agent"), " "); callers != "" {
			ua = callers + " " + ua
		}
		hdr["User-Agent"] = []string{ua}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, reader)
	if err != nil {
		h.fail(w, fn.Name, err)
		return
	}
	req.Header = hdr
	h.hostHeaders(req.Header, id)
	if mode == modeProxy && len(r.Header.Values("User-Agent")) == 0 {
		req.Header["User-Agent"] = []string{""} // net/http would add its own
	}
	if host != "" {
		req.Host = host
	}
	rec := Invocation{Function: fn.Name, ID: id, Request: body}
	resp, err := h.client.Do(req)
	if err != nil {
		rec.Err = err.Error()
		h.record(rec)
		h.fail(w, fn.Name, err)
		return
	}
	defer resp.Body.Close()
	respBody, err := readAll(resp.Body, maxResponse)
	rec.Status, rec.Response = resp.StatusCode, respBody
	if err != nil {
		rec.Err = err.Error()
		h.record(rec)
		h.fail(w, fn.Name, err)
		return
	}
	h.record(rec)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if _, typed := resp.Header["Content-Type"]; !typed {
		w.Header()["Content-Type"] = nil
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

// hopByHop are the headers a proxy does not pass on.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// rebuiltQuery is QueryHelpers.AddQueryString over GetQueryCollectionAsDictionary: each name
// once, its values comma-joined, both escaped by UrlEncoder.Default (everything but ASCII
// letters, digits and -._~).
func rebuiltQuery(q []queryParam) string {
	if len(q) == 0 {
		return ""
	}
	var b strings.Builder
	for i, p := range q {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(urlEncode(p.key))
		b.WriteByte('=')
		b.WriteString(urlEncode(strings.Join(p.values, ",")))
	}
	return b.String()
}

func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString(fmt.Sprintf("%%%02X", c))
	}
	return b.String()
}
