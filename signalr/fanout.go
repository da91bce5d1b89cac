package signalr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// selectEndpoints returns the indexes of the endpoints refs names (all when refs is empty),
// narrowed further by WithEndpoints.
func (h *HubClient) selectEndpoints(refs []EndpointRef) ([]int, error) {
	all := h.client.all
	if h.only == nil && len(refs) == 0 {
		return all, nil // shared and never written: the common case allocates nothing
	}
	pick := func(refs []EndpointRef, within []int) ([]int, error) {
		var out []int
		for _, r := range refs {
			found := false
			for _, i := range within {
				if matches(r, h.client.endpoints[i]) {
					found = true
					if !containsInt(out, i) {
						out = append(out, i)
					}
				}
			}
			if !found {
				return nil, fmt.Errorf("signalr: endpoint %q is not one of the client's endpoints (or not among those selected); expected one of %s", refName(r), h.client.names())
			}
		}
		return out, nil
	}
	var err error
	if h.only != nil {
		if all, err = pick(h.only, all); err != nil {
			return nil, err
		}
	}
	if len(refs) > 0 {
		return pick(refs, all)
	}
	return all, nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// matches reports whether ref names e: by name (and URL when ref has one), or by URL alone when
// ref has no name, as the extension rebuilds an endpoint from its URL, type and name.
func matches(ref EndpointRef, e *endpoint) bool {
	switch {
	case ref.Name == "" && ref.Endpoint != "":
		return sameURL(ref.Endpoint, e.conn.url)
	case strings.EqualFold(ref.Name, e.name):
		return ref.Endpoint == "" || sameURL(ref.Endpoint, e.conn.url)
	default:
		// WithEndpoints also takes an endpoint URL in place of a name.
		return ref.Endpoint == "" && sameURL(ref.Name, e.conn.url)
	}
}

func sameURL(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

func refName(r EndpointRef) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Endpoint
}

func (c *Client) names() string {
	names := make([]string, len(c.endpoints))
	for i, e := range c.endpoints {
		names[i] = fmt.Sprintf("%q", e.name)
	}
	return strings.Join(names, ", ")
}

// each runs op on the endpoints refs selects, concurrently when there are several, and returns
// the outcome per endpoint. With a one-endpoint client the error is op's own; otherwise it joins
// an *EndpointError per failed endpoint. onConnection marks an operation on one connection,
// which lives on one endpoint: once an endpoint succeeds, the others' answers that they do not
// know the connection are expected.
func (h *HubClient) each(ctx context.Context, refs []EndpointRef, onConnection bool, op func(context.Context, *endpoint) error) ([]EndpointResult, error) {
	idx, err := h.selectEndpoints(refs)
	if err != nil {
		return nil, err
	}
	results := make([]EndpointResult, len(idx))
	if len(idx) == 1 {
		results[0] = h.client.runOn(ctx, h.client.endpoints[idx[0]], op)
	} else {
		var wg sync.WaitGroup
		for k, i := range idx {
			wg.Go(func() { results[k] = h.client.runOn(ctx, h.client.endpoints[i], op) })
		}
		wg.Wait()
	}
	if len(h.client.endpoints) == 1 {
		if ee, ok := results[0].Err.(*EndpointError); ok {
			return results, ee.Err // the endpoint's own error, as it has always been
		}
		return results, nil
	}
	if onConnection {
		forgiveUnknownConnection(results)
	}
	return results, joinResults(results)
}

// runOn runs op on one endpoint and describes the outcome.
func (c *Client) runOn(ctx context.Context, e *endpoint, op func(context.Context, *endpoint) error) EndpointResult {
	r := EndpointResult{Endpoint: e.ref(c.online(e))}
	if err := op(ctx, e); err != nil {
		r.Err = &EndpointError{Name: e.name, Endpoint: e.conn.url, Err: err}
	}
	return r
}

// forgiveUnknownConnection clears the "connection does not exist" failures of endpoints when
// another endpoint succeeded: the connection lives there.
func forgiveUnknownConnection(results []EndpointResult) {
	someSucceeded := false
	for _, r := range results {
		someSucceeded = someSucceeded || r.Err == nil
	}
	if !someSucceeded {
		return
	}
	for i, r := range results {
		if r.Err != nil && isConnectionNotExisted(r.Err) {
			results[i].Err = nil
		}
	}
}

// isConnectionNotExisted reports whether err is the service's 404 for an unknown connection.
func isConnectionNotExisted(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound &&
		(strings.EqualFold(re.ErrorCode, errorCodeConnectionNotExistedError) || strings.EqualFold(re.ErrorCode, errorCodeConnectionNotExisted))
}

// run sends c to the endpoints refs selects; see each.
func (h *HubClient) run(ctx context.Context, refs []EndpointRef, c call) ([]EndpointResult, error) {
	if len(h.client.endpoints) == 1 && h.only == nil && len(refs) == 0 {
		// The one-endpoint case, without the closure each needs: a send is a hot path.
		e := h.client.endpoints[0]
		res := []EndpointResult{{Endpoint: e.ref(true)}}
		err := h.simple(ctx, e.conn, c)
		if err != nil {
			res[0].Err = &EndpointError{Name: e.name, Endpoint: e.conn.url, Err: err}
		}
		return res, err
	}
	return h.each(ctx, refs, c.onConnection, func(ctx context.Context, e *endpoint) error {
		return h.simple(ctx, e.conn, c)
	})
}

// exists asks every selected endpoint and answers true when any does; errors count only when
// none does.
func (h *HubClient) exists(ctx context.Context, c call) (bool, error) {
	var found atomic.Bool
	_, err := h.each(ctx, nil, false, func(ctx context.Context, e *endpoint) error {
		resp, err := h.do(ctx, e.conn, c)
		if err != nil {
			return err
		}
		ok, err := existence(resp, c.okCodes...)
		if ok {
			found.Store(true)
		}
		return err
	})
	if found.Load() {
		return true, nil
	}
	return false, err
}
