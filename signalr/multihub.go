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

// MultiEndpointHubClient is the HubClient of a MultiEndpointClient: every operation runs on each
// selected endpoint concurrently. It is immutable and safe for concurrent use.
//
// A failure on any endpoint fails the call: the error joins one *EndpointError per failed
// endpoint, naming it, and the FanOutResponse says which endpoints succeeded. There is no silent
// partial success.
type MultiEndpointHubClient struct {
	client *MultiEndpointClient
	hubs   []*HubClient // parallel to client.endpoints
	name   string
	err    error
	only   []EndpointRef // WithEndpoints; nil means every endpoint
}

// Hub returns a fan-out client for one hub; an invalid name makes every call fail, as
// Client.Hub does.
func (c *MultiEndpointClient) Hub(name string) *MultiEndpointHubClient {
	h := &MultiEndpointHubClient{client: c, name: strings.ToLower(name), err: ValidateHubName(name)}
	h.hubs = make([]*HubClient, len(c.endpoints))
	for i, e := range c.endpoints {
		h.hubs[i] = e.Client.Hub(name)
	}
	return h
}

// Name is the lowercased hub name.
func (h *MultiEndpointHubClient) Name() string { return h.name }

// WithEndpoints returns a client for the same hub that only reaches the named endpoints (names
// or endpoint URLs, compared without case), like the service SDK's WithEndpoints. Naming an
// endpoint the client does not have makes every call fail; naming none selects every endpoint.
func (h *MultiEndpointHubClient) WithEndpoints(names ...string) *MultiEndpointHubClient {
	c := *h
	if len(names) == 0 {
		c.only = nil // no names selects every endpoint, as an empty Message.Endpoints does
		return &c
	}
	c.only = make([]EndpointRef, len(names))
	for i, n := range names {
		c.only[i] = EndpointRef{Name: n}
	}
	return &c
}

// FanOutResponse reports the outcome on every endpoint an operation reached.
type FanOutResponse struct {
	Endpoints []EndpointResult
}

// EndpointResult is the outcome of an operation on one endpoint.
type EndpointResult struct {
	Endpoint EndpointRef
	// Err is nil when the endpoint succeeded; otherwise an *EndpointError.
	Err error
}

// selectEndpoints returns the indexes of the endpoints refs names (all when refs is empty),
// narrowed further by WithEndpoints.
func (h *MultiEndpointHubClient) selectEndpoints(refs []EndpointRef) ([]int, error) {
	if h.err != nil {
		return nil, h.err
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
	all := make([]int, len(h.client.endpoints))
	for i := range all {
		all[i] = i
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
func matches(ref EndpointRef, e *endpointState) bool {
	url := e.Ref().Endpoint
	switch {
	case ref.Name == "" && ref.Endpoint != "":
		return sameURL(ref.Endpoint, url)
	case strings.EqualFold(ref.Name, e.Name):
		return ref.Endpoint == "" || sameURL(ref.Endpoint, url)
	default:
		// WithEndpoints also takes an endpoint URL in place of a name.
		return ref.Endpoint == "" && sameURL(ref.Name, url)
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

func (c *MultiEndpointClient) names() string {
	names := make([]string, len(c.endpoints))
	for i, e := range c.endpoints {
		names[i] = fmt.Sprintf("%q", e.Name)
	}
	return strings.Join(names, ", ")
}

// fanOut runs op on the selected endpoints, concurrently when there are several.
func (h *MultiEndpointHubClient) fanOut(ctx context.Context, refs []EndpointRef, op func(context.Context, *HubClient) error) (FanOutResponse, error) {
	idx, err := h.selectEndpoints(refs)
	if err != nil {
		return FanOutResponse{}, err
	}
	results := make([]EndpointResult, len(idx))
	run := func(k int) {
		e := h.client.endpoints[idx[k]]
		results[k].Endpoint = e.Ref()
		results[k].Endpoint.Online = len(h.client.endpoints) == 1 || !e.offline.Load()
		if err := op(ctx, h.hubs[idx[k]]); err != nil {
			results[k].Err = &EndpointError{Name: e.Name, Endpoint: results[k].Endpoint.Endpoint, Err: err}
		}
	}
	if len(idx) == 1 {
		run(0)
	} else {
		var wg sync.WaitGroup
		for k := range idx {
			wg.Go(func() { run(k) })
		}
		wg.Wait()
	}
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return FanOutResponse{Endpoints: results}, errors.Join(errs...)
}

// exists answers true when any selected endpoint answers true; errors count only when none does.
func (h *MultiEndpointHubClient) exists(ctx context.Context, check func(context.Context, *HubClient) (bool, error)) (bool, error) {
	var found atomic.Bool
	_, err := h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		ok, err := check(ctx, hub)
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

// SendToAll sends m to every connection of the hub on each endpoint m.Endpoints names (all when
// empty). See HubClient.SendToAll.
func (h *MultiEndpointHubClient) SendToAll(ctx context.Context, m Message, options *SendToAllOptions) (FanOutResponse, error) {
	if err := checkRoute(m, "SendToAll", "", "", ""); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, m.Endpoints, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.SendToAll(ctx, m, options)
		return err
	})
}

// SendToUser sends m to a user's connections on each endpoint m.Endpoints names (all when empty).
func (h *MultiEndpointHubClient) SendToUser(ctx context.Context, userID string, m Message, options *SendToUserOptions) (FanOutResponse, error) {
	if err := errors.Join(validateUserID(userID), checkRoute(m, "SendToUser", "", userID, "")); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, m.Endpoints, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.SendToUser(ctx, userID, m, options)
		return err
	})
}

// SendToGroup sends m to a group on each endpoint m.Endpoints names (all when empty).
func (h *MultiEndpointHubClient) SendToGroup(ctx context.Context, group string, m Message, options *SendToGroupOptions) (FanOutResponse, error) {
	if err := errors.Join(validateGroupName(group), checkRoute(m, "SendToGroup", "", "", group)); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, m.Endpoints, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.SendToGroup(ctx, group, m, options)
		return err
	})
}

// SendToConnection sends m to one connection on each endpoint m.Endpoints names (all when
// empty): a connection lives on one endpoint, and the others accept the send as the service
// accepts any send to an unknown connection.
func (h *MultiEndpointHubClient) SendToConnection(ctx context.Context, connectionID string, m Message, options *SendToConnectionOptions) (FanOutResponse, error) {
	if err := errors.Join(validateConnectionID(connectionID), checkRoute(m, "SendToConnection", connectionID, "", "")); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, m.Endpoints, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.SendToConnection(ctx, connectionID, m, options)
		return err
	})
}

// AddUserToGroup adds a user to a group on every endpoint.
func (h *MultiEndpointHubClient) AddUserToGroup(ctx context.Context, group, userID string, options *AddUserToGroupOptions) (FanOutResponse, error) {
	if err := errors.Join(validateGroupName(group), validateUserID(userID)); err != nil {
		return FanOutResponse{}, err
	}
	if options != nil && options.TTL < 0 {
		return FanOutResponse{}, fmt.Errorf("signalr: AddUserToGroup TTL %s is negative; expected zero (no expiry) or a positive duration", options.TTL)
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.AddUserToGroup(ctx, group, userID, options)
		return err
	})
}

// RemoveUserFromGroup removes a user from a group on every endpoint.
func (h *MultiEndpointHubClient) RemoveUserFromGroup(ctx context.Context, group, userID string, options *RemoveUserFromGroupOptions) (FanOutResponse, error) {
	if err := errors.Join(validateGroupName(group), validateUserID(userID)); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.RemoveUserFromGroup(ctx, group, userID, options)
		return err
	})
}

// RemoveUserFromAllGroups removes a user from every group on every endpoint.
func (h *MultiEndpointHubClient) RemoveUserFromAllGroups(ctx context.Context, userID string, options *RemoveUserFromAllGroupsOptions) (FanOutResponse, error) {
	if err := validateUserID(userID); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.RemoveUserFromAllGroups(ctx, userID, options)
		return err
	})
}

// AddConnectionToGroup adds a connection to a group. A connection lives on one endpoint, so
// this succeeds when one endpoint adds it and every other answers that it does not know the
// connection; it fails when no endpoint knows it or an endpoint fails otherwise.
func (h *MultiEndpointHubClient) AddConnectionToGroup(ctx context.Context, group, connectionID string, options *AddConnectionToGroupOptions) (FanOutResponse, error) {
	if err := errors.Join(validateGroupName(group), validateConnectionID(connectionID)); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOutOnConnection(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.AddConnectionToGroup(ctx, group, connectionID, options)
		return err
	})
}

// fanOutOnConnection is fanOut for an operation on one connection, which lives on one endpoint:
// once an endpoint succeeds, the others' "connection does not exist" answers are expected.
func (h *MultiEndpointHubClient) fanOutOnConnection(ctx context.Context, refs []EndpointRef, op func(context.Context, *HubClient) error) (FanOutResponse, error) {
	resp, err := h.fanOut(ctx, refs, op)
	if err == nil {
		return resp, nil
	}
	someSucceeded := false
	for _, r := range resp.Endpoints {
		someSucceeded = someSucceeded || r.Err == nil
	}
	if !someSucceeded {
		return resp, err
	}
	var rest []error
	for i, r := range resp.Endpoints {
		switch {
		case r.Err == nil:
		case isConnectionNotExisted(r.Err):
			resp.Endpoints[i].Err = nil
		default:
			rest = append(rest, r.Err)
		}
	}
	return resp, errors.Join(rest...)
}

// isConnectionNotExisted reports whether err is the service's 404 for an unknown connection.
func isConnectionNotExisted(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound &&
		(strings.EqualFold(re.ErrorCode, errorCodeConnectionNotExistedError) || strings.EqualFold(re.ErrorCode, errorCodeConnectionNotExisted))
}

// RemoveConnectionFromGroup removes a connection from a group on every endpoint.
func (h *MultiEndpointHubClient) RemoveConnectionFromGroup(ctx context.Context, group, connectionID string, options *RemoveConnectionFromGroupOptions) (FanOutResponse, error) {
	if err := errors.Join(validateGroupName(group), validateConnectionID(connectionID)); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.RemoveConnectionFromGroup(ctx, group, connectionID, options)
		return err
	})
}

// RemoveConnectionFromAllGroups removes a connection from every group on every endpoint.
func (h *MultiEndpointHubClient) RemoveConnectionFromAllGroups(ctx context.Context, connectionID string, options *RemoveConnectionFromAllGroupsOptions) (FanOutResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.RemoveConnectionFromAllGroups(ctx, connectionID, options)
		return err
	})
}

// UserInGroup reports whether a user is in a group on any selected endpoint.
func (h *MultiEndpointHubClient) UserInGroup(ctx context.Context, group, userID string, options *UserInGroupOptions) (bool, error) {
	if err := errors.Join(validateGroupName(group), validateUserID(userID)); err != nil {
		return false, err
	}
	return h.exists(ctx, func(ctx context.Context, hub *HubClient) (bool, error) {
		return hub.UserInGroup(ctx, group, userID, options)
	})
}

// ConnectionExists reports whether a connection is open on any selected endpoint.
func (h *MultiEndpointHubClient) ConnectionExists(ctx context.Context, connectionID string, options *ConnectionExistsOptions) (bool, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return false, err
	}
	return h.exists(ctx, func(ctx context.Context, hub *HubClient) (bool, error) {
		return hub.ConnectionExists(ctx, connectionID, options)
	})
}

// UserExists reports whether a user has a connection on any selected endpoint.
func (h *MultiEndpointHubClient) UserExists(ctx context.Context, userID string, options *UserExistsOptions) (bool, error) {
	if err := validateUserID(userID); err != nil {
		return false, err
	}
	return h.exists(ctx, func(ctx context.Context, hub *HubClient) (bool, error) { return hub.UserExists(ctx, userID, options) })
}

// GroupExists reports whether a group has a connection on any selected endpoint.
func (h *MultiEndpointHubClient) GroupExists(ctx context.Context, group string, options *GroupExistsOptions) (bool, error) {
	if err := validateGroupName(group); err != nil {
		return false, err
	}
	return h.exists(ctx, func(ctx context.Context, hub *HubClient) (bool, error) { return hub.GroupExists(ctx, group, options) })
}

// CloseConnection closes a connection on every endpoint (those that do not have it succeed).
func (h *MultiEndpointHubClient) CloseConnection(ctx context.Context, connectionID string, options *CloseConnectionOptions) (FanOutResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.CloseConnection(ctx, connectionID, options)
		return err
	})
}

// CloseAllConnections closes every connection of the hub on every endpoint.
func (h *MultiEndpointHubClient) CloseAllConnections(ctx context.Context, options *CloseAllConnectionsOptions) (FanOutResponse, error) {
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.CloseAllConnections(ctx, options)
		return err
	})
}

// CloseGroupConnections closes a group's connections on every endpoint.
func (h *MultiEndpointHubClient) CloseGroupConnections(ctx context.Context, group string, options *CloseGroupConnectionsOptions) (FanOutResponse, error) {
	if err := validateGroupName(group); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.CloseGroupConnections(ctx, group, options)
		return err
	})
}

// CloseUserConnections closes a user's connections on every endpoint.
func (h *MultiEndpointHubClient) CloseUserConnections(ctx context.Context, userID string, options *CloseUserConnectionsOptions) (FanOutResponse, error) {
	if err := validateUserID(userID); err != nil {
		return FanOutResponse{}, err
	}
	return h.fanOut(ctx, nil, func(ctx context.Context, hub *HubClient) error {
		_, err := hub.CloseUserConnections(ctx, userID, options)
		return err
	})
}

// Apply carries out output-binding items in order as HubClient.Apply does, each on the endpoints
// its Endpoints field names (all when empty). Every item is validated, endpoints included,
// before the first request; Apply stops at the first item that fails on any endpoint.
func (h *MultiEndpointHubClient) Apply(ctx context.Context, items ...Action) error {
	for i, item := range items {
		a, err := actionValue(item)
		if err == nil {
			err = a.Validate()
		}
		if err == nil {
			_, err = h.selectEndpoints(actionEndpoints(a))
		}
		if err != nil {
			return fmt.Errorf("signalr: output item %d: %w", i, err)
		}
	}
	for i, item := range items {
		a, _ := actionValue(item)
		fan := h.fanOut
		if ga, ok := a.(GroupAction); ok && ga.ConnectionID != "" && ga.Action == GroupActionAdd {
			fan = h.fanOutOnConnection
		}
		if _, err := fan(ctx, actionEndpoints(a), func(ctx context.Context, hub *HubClient) error { return hub.apply(ctx, a) }); err != nil {
			return fmt.Errorf("signalr: output item %d (%d applied before it): %w", i, i, err)
		}
	}
	return nil
}

func actionEndpoints(a Action) []EndpointRef {
	switch v := a.(type) {
	case Message:
		return v.Endpoints
	case GroupAction:
		return v.Endpoints
	}
	return nil
}
