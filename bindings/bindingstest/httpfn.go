package bindingstest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/funcsignalr/funcsignalr/bindings"
	svcint "github.com/funcsignalr/funcsignalr/internal/service"
)

// maxRequestBody is the host's HTTP request limit (100 MB).
const maxRequestBody = 100 << 20

func (h *Host) forwarding(fn bindings.Function) bool {
	return (h.manifest.Host.EnableForwardingHTTPRequest || h.manifest.Host.EnableProxyingHTTPRequest) && fn.IsHTTPInAndOut()
}

// serveHTTPFunction runs an HTTP-triggered function for a caller.
func (h *Host) serveHTTPFunction(w http.ResponseWriter, r *http.Request, fn bindings.Function, params map[string]string) {
	if r.ContentLength > maxRequestBody {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := readAll(r.Body, maxRequestBody)
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	id := h.opts.NewGUID()
	if h.forwarding(fn) {
		h.forward(w, r, fn, id, body)
		return
	}
	d := httpBindingData(r, body, params)
	h.addSys(d, fn.Name)
	// The negotiate router may choose the endpoint by the caller's request.
	payload, err := h.payload(svcint.ContextWithRequest(r.Context(), r), fn, httpTriggerValue(r, body, params), d)
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
	if err := h.applyOutputs(r.Context(), fn, res); err != nil {
		h.markFailed(id, err)
		h.fail(w, fn.Name, err)
		return
	}
	if err := h.writeHTTPOutput(w, fn, res); err != nil {
		h.markFailed(id, err)
		h.fail(w, fn.Name, err)
	}
}

// forward passes the raw request to the handler (enableForwardingHttpRequest and
// enableProxyingHttpRequest) and its response back unchanged; non-2xx statuses are not
// failures in this mode.
func (h *Host) forward(w http.ResponseWriter, r *http.Request, fn bindings.Function, id string, body []byte) {
	target := h.handlerURL + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	var reader io.Reader
	if r.ContentLength > 0 {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, reader)
	if err != nil {
		h.fail(w, fn.Name, err)
		return
	}
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Host = r.Host
	h.hostHeaders(req.Header, id)
	rec := Invocation{Function: fn.Name, ID: id, Request: body}
	resp, err := h.client.Do(req)
	if err != nil {
		rec.Err = err.Error()
		h.record(rec)
		h.fail(w, fn.Name, fmt.Errorf("forwarding to the custom handler: %w", err))
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
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}
