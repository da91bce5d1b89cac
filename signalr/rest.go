package signalr

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// isMessageOperation reports whether req delivers a message: the sends and :invoke, all POSTs
// to a path ending in an action that hands a message to clients. The service may answer 500
// after it already delivered the message (its runtime times out internally), so such requests
// must not be retried on a 500 or once they may have reached the service.
func isMessageOperation(req *http.Request) bool {
	if req.Method != http.MethodPost {
		return false
	}
	p := req.URL.Path
	return strings.HasSuffix(p, "/:send") || strings.HasSuffix(p, "/:invoke")
}

// messageRetryPolicy runs inside the retry loop and makes the outcomes that may have delivered a
// message final: a 500, and any transport error other than a failed dial. It applies whatever the
// retry options say, including per-call overrides, because a duplicate message cannot be undone.
type messageRetryPolicy struct{}

func (messageRetryPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if !isMessageOperation(req.Raw()) {
		return resp, err
	}
	if err != nil {
		if isDialError(err) {
			return resp, err
		}
		return resp, &deliveryUnknownError{err: err}
	}
	if resp.StatusCode == http.StatusInternalServerError {
		return resp, &deliveryUnknownError{resp: resp}
	}
	return resp, nil
}

// isDialError reports whether err happened before any byte reached the service.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// deliveryUnknownError stops the retry policy; resp is set when the service answered 500.
type deliveryUnknownError struct {
	err  error
	resp *http.Response
}

func (e *deliveryUnknownError) Error() string {
	if e.err != nil {
		return "signalr: the message may have reached the service, so it was not retried: " + e.err.Error()
	}
	return "signalr: the service answered 500 to a message send"
}
func (e *deliveryUnknownError) Unwrap() error { return e.err }
func (e *deliveryUnknownError) NonRetriable() {}

// call describes one REST request.
type call struct {
	method string
	path   string     // escaped, relative to /api/hubs/{hub}, starting with "/" or ":" or empty
	query  url.Values // extra query parameters beyond api-version and application
	body   []byte     // the JSON body, encoded once for every endpoint; nil for none
	noApp  bool       // the operation takes no application parameter
	// okCodes are the x-ms-error-codes of a 404 that still means success (the state asked for
	// already holds), or for existence checks the codes that mean false.
	okCodes []string
	// onConnection marks an operation on one connection, which lives on one endpoint.
	onConnection bool
}

// do sends c for hub h to one endpoint and returns the response with any status; the caller
// decides success.
func (h *HubClient) do(ctx context.Context, cl *conn, c call) (*http.Response, error) {
	var u strings.Builder
	u.Grow(len(cl.serverURL) + len(h.escaped) + len(c.path) + 64)
	u.WriteString(cl.serverURL)
	u.WriteString("/api/hubs/")
	if c.noApp && cl.application != "" {
		// Operations without an application parameter address the prefixed hub directly.
		u.WriteString(url.PathEscape(cl.application + "_" + h.hub))
	} else {
		u.WriteString(h.escaped)
	}
	if c.path != "" && c.path[0] == ':' {
		u.WriteByte('/')
	}
	u.WriteString(c.path)
	u.WriteString("?api-version=")
	u.WriteString(DefaultAPIVersion)
	if cl.application != "" && !c.noApp {
		u.WriteString("&application=")
		u.WriteString(url.QueryEscape(cl.application))
	}
	if len(c.query) > 0 {
		u.WriteByte('&')
		u.WriteString(c.query.Encode())
	}
	req, err := runtime.NewRequest(ctx, c.method, u.String())
	if err != nil {
		return nil, err
	}
	if c.body != nil {
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(c.body)), "application/json"); err != nil {
			return nil, err
		}
	}
	return cl.send(req)
}

// simple sends c to one endpoint and accepts any 2xx, or a 404 carrying one of c.okCodes.
func (h *HubClient) simple(ctx context.Context, cl *conn, c call) error {
	resp, err := h.do(ctx, cl, c)
	if err != nil {
		return err
	}
	if len(c.okCodes) > 0 && notFoundCode(resp, c.okCodes...) {
		return nil
	}
	return expect(resp)
}

// send runs req through the pipeline, turning a 500 that ended a message send back into a response.
func (c *conn) send(req *policy.Request) (*http.Response, error) {
	resp, err := c.internal.Pipeline().Do(req)
	if err != nil {
		var du *deliveryUnknownError
		if errors.As(err, &du) && du.resp != nil {
			return du.resp, nil
		}
		return nil, err
	}
	return resp, nil
}

// success reports whether resp is a 2xx. Every operation accepts any 2xx: the documented codes
// (200, 202, 204) differ between API versions and Microsoft's emulator answers others.
func success(resp *http.Response) bool { return resp.StatusCode >= 200 && resp.StatusCode < 300 }

// expect returns nil for a 2xx response and a *azcore.ResponseError otherwise.
func expect(resp *http.Response) error {
	if success(resp) {
		return nil
	}
	return runtime.NewResponseError(resp)
}

// notFoundCode returns the x-ms-error-code of a 404 response when it is one of codes (compared
// without case), and ok=false for every other response.
func notFoundCode(resp *http.Response, codes ...string) bool {
	if resp.StatusCode != http.StatusNotFound {
		return false
	}
	got := resp.Header.Get("x-ms-error-code")
	for _, c := range codes {
		if strings.EqualFold(got, c) {
			return true
		}
	}
	return false
}

// errBareNotFound wraps a 404 that carries none of the codes the operation expects.
func errBareNotFound(resp *http.Response) error {
	return &wrongEndpointError{err: runtime.NewResponseError(resp)}
}

// wrongEndpointError is a 404 without the expected x-ms-error-code: the service did not recognise
// the route, which means the endpoint, a path prefix or the hub name is wrong.
type wrongEndpointError struct{ err error }

func (e *wrongEndpointError) Error() string {
	return "signalr: the service answered 404 without an x-ms-error-code; the endpoint or hub looks wrong: " + e.err.Error()
}
func (e *wrongEndpointError) Unwrap() error { return e.err }

// existence interprets the answer to a HEAD existence check.
func existence(resp *http.Response, codes ...string) (bool, error) {
	switch {
	case success(resp):
		return true, nil
	case notFoundCode(resp, codes...):
		return false, nil
	case resp.StatusCode == http.StatusNotFound:
		return false, errBareNotFound(resp)
	}
	return false, runtime.NewResponseError(resp)
}

// Error codes the service sets in x-ms-error-code (Level.Scope.Kind).
const (
	errorCodeConnectionNotExisted      = "Warning.Connection.NotExisted"
	errorCodeUserNotExisted            = "Warning.User.NotExisted"
	errorCodeGroupNotExisted           = "Warning.Group.NotExisted"
	errorCodeUserNotInGroup            = "Info.User.NotInGroup"
	errorCodeConnectionNotExistedError = "Error.Connection.NotExisted"
)
