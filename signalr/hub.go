package signalr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// maxGroupNameLength is the service's limit on group names, in UTF-16 code units.
const maxGroupNameLength = 1024

// utf16Length counts s as the service, a .NET program, counts a string: in UTF-16 code units,
// so a character outside the Basic Multilingual Plane (most emoji) counts twice.
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// validateGroupName applies the service's rule: 1 to 1024 characters, not only whitespace.
func validateGroupName(group string) error {
	if group == "" {
		return errors.New("signalr: group name is empty; expected 1 to 1024 characters")
	}
	if strings.TrimSpace(group) == "" {
		return errors.New("signalr: group name is only whitespace; expected 1 to 1024 characters with at least one that is not a space")
	}
	// Cheap bound first: every code unit takes at least one byte of UTF-8.
	if len(group) > maxGroupNameLength {
		if n := utf16Length(group); n > maxGroupNameLength {
			return fmt.Errorf("signalr: group name has %d UTF-16 code units (the service counts characters as .NET does, an emoji as two); expected at most 1024", n)
		}
	}
	return checkPathSegment("group name", group)
}

func validateUserID(userID string) error {
	if userID == "" {
		return errors.New("signalr: user id is empty; expected the id of a user")
	}
	return checkPathSegment("user id", userID)
}

func validateConnectionID(connectionID string) error {
	if connectionID == "" {
		return errors.New("signalr: connection id is empty; expected the id of a connection")
	}
	return checkPathSegment("connection id", connectionID)
}

// checkPathSegment refuses an id that a server or proxy on the way would read as a "." or ".."
// path segment. Ids go into the REST path, and dot segments are resolved there:
// POST /api/hubs/chat/users/../:send is POST /api/hubs/chat/:send, a broadcast, and
// users/../:closeConnections closes every connection. Percent-encoding the dots does not help:
// Kestrel decodes the path before it removes dot segments, as System.Uri and most proxies do,
// so no encoding of such an id reaches the service intact. Parts split at '/' or '\' count
// too, for hops that decode %2F or treat '\' as a separator.
func checkPathSegment(kind, id string) error {
	if !strings.Contains(id, ".") {
		return nil
	}
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == "." || part == ".." {
			return fmt.Errorf("signalr: %s %.100q contains a dot segment (\".\" or \"..\" between slashes), which servers on the way resolve, so the request would address another resource (\"..\" turns a send to one user into a broadcast); the REST API cannot address such an id, so choose ids that are not \".\" or \"..\"", kind, id)
		}
	}
	return nil
}

// payloadMessage is the REST body of every send: only target and arguments travel, routing is
// in the path.
type payloadMessage struct {
	Target    string `json:"target"`
	Arguments []any  `json:"arguments"`
}

func payloadOf(m Message) payloadMessage {
	args := m.Arguments
	if args == nil {
		args = []any{} // the service and older clients expect a list, never null
	}
	return payloadMessage{Target: m.Target, Arguments: args}
}

// checkRoute rejects a message whose routing fields would send it somewhere other than the method
// it was passed to, so SendToAll never broadcasts a message meant for one user. Fields of lower
// precedence than the method are ignored, exactly as Apply ignores them.
func checkRoute(m Message, method string, connectionID, userID, group string) error {
	if err := m.Validate(); err != nil {
		return err
	}
	conflict := func(field, value string) error {
		return fmt.Errorf("signalr: message has %s %q but %s sends elsewhere; clear the field or use HubClient.Apply", field, value, method)
	}
	if m.ConnectionID != "" && m.ConnectionID != connectionID {
		return conflict("connectionId", m.ConnectionID)
	}
	if connectionID != "" {
		return nil
	}
	if m.UserID != "" && m.UserID != userID {
		return conflict("userId", m.UserID)
	}
	if userID != "" {
		return nil
	}
	if m.GroupName != "" && m.GroupName != group {
		return conflict("groupName", m.GroupName)
	}
	return nil
}

func excludedQuery(q url.Values, excluded []string) url.Values {
	if len(excluded) == 0 {
		return q
	}
	if q == nil {
		q = url.Values{}
	}
	q["excluded"] = append([]string(nil), excluded...)
	return q
}

func closeQuery(excluded []string, reason string) url.Values {
	var q url.Values
	if reason != "" {
		q = url.Values{"reason": {reason}}
	}
	return excludedQuery(q, excluded)
}

// SendToAll sends m to every connection of the hub (POST /api/hubs/{hub}/:send).
// m's routing fields must be empty. A 500 is not retried: the service may have delivered the
// message. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) SendToAll(ctx context.Context, m Message, options *SendToAllOptions) (SendToAllResponse, error) {
	if err := checkRoute(m, "SendToAll", "", "", ""); err != nil {
		return SendToAllResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = excludedQuery(nil, options.Excluded)
	}
	return SendToAllResponse{}, h.sendMessage(ctx, ":send", q, m)
}

// SendToUser sends m to every connection of a user (POST /api/hubs/{hub}/users/{user}/:send).
// If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) SendToUser(ctx context.Context, userID string, m Message, options *SendToUserOptions) (SendToUserResponse, error) {
	if err := validateUserID(userID); err != nil {
		return SendToUserResponse{}, err
	}
	if err := checkRoute(m, "SendToUser", "", userID, ""); err != nil {
		return SendToUserResponse{}, err
	}
	return SendToUserResponse{}, h.sendMessage(ctx, "/users/"+url.PathEscape(userID)+"/:send", nil, m)
}

// SendToGroup sends m to every connection in a group (POST /api/hubs/{hub}/groups/{group}/:send).
// If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) SendToGroup(ctx context.Context, group string, m Message, options *SendToGroupOptions) (SendToGroupResponse, error) {
	if err := validateGroupName(group); err != nil {
		return SendToGroupResponse{}, err
	}
	if err := checkRoute(m, "SendToGroup", "", "", group); err != nil {
		return SendToGroupResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = excludedQuery(nil, options.Excluded)
	}
	return SendToGroupResponse{}, h.sendMessage(ctx, "/groups/"+url.PathEscape(group)+"/:send", q, m)
}

// SendToConnection sends m to one connection (POST /api/hubs/{hub}/connections/{id}/:send).
// The service accepts a send to an unknown connection. If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) SendToConnection(ctx context.Context, connectionID string, m Message, options *SendToConnectionOptions) (SendToConnectionResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return SendToConnectionResponse{}, err
	}
	if err := checkRoute(m, "SendToConnection", connectionID, "", ""); err != nil {
		return SendToConnectionResponse{}, err
	}
	return SendToConnectionResponse{}, h.sendMessage(ctx, "/connections/"+url.PathEscape(connectionID)+"/:send", nil, m)
}

func (h *HubClient) sendMessage(ctx context.Context, path string, q url.Values, m Message) error {
	resp, err := h.do(ctx, call{method: http.MethodPost, path: path, query: q, body: payloadOf(m)})
	if err != nil {
		return err
	}
	return expect(resp)
}

// AddConnectionToGroup adds a connection to a group
// (PUT /api/hubs/{hub}/groups/{group}/connections/{id}). Adding an unknown connection fails with
// the service's 404 (x-ms-error-code Error.Connection.NotExisted), because the connection is not
// in the group afterwards. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) AddConnectionToGroup(ctx context.Context, group, connectionID string, options *AddConnectionToGroupOptions) (AddConnectionToGroupResponse, error) {
	if err := validateGroupName(group); err != nil {
		return AddConnectionToGroupResponse{}, err
	}
	if err := validateConnectionID(connectionID); err != nil {
		return AddConnectionToGroupResponse{}, err
	}
	return AddConnectionToGroupResponse{}, h.simple(ctx, http.MethodPut, "/groups/"+url.PathEscape(group)+"/connections/"+url.PathEscape(connectionID), nil)
}

// RemoveConnectionFromGroup removes a connection from a group
// (DELETE /api/hubs/{hub}/groups/{group}/connections/{id}). It succeeds when the connection was
// not in the group, also when the service says so with a 404 and an error code. If the operation
// fails it returns an *azcore.ResponseError.
func (h *HubClient) RemoveConnectionFromGroup(ctx context.Context, group, connectionID string, options *RemoveConnectionFromGroupOptions) (RemoveConnectionFromGroupResponse, error) {
	if err := validateGroupName(group); err != nil {
		return RemoveConnectionFromGroupResponse{}, err
	}
	if err := validateConnectionID(connectionID); err != nil {
		return RemoveConnectionFromGroupResponse{}, err
	}
	return RemoveConnectionFromGroupResponse{}, h.simple(ctx, http.MethodDelete, "/groups/"+url.PathEscape(group)+"/connections/"+url.PathEscape(connectionID), nil,
		errorCodeConnectionNotExisted, errorCodeConnectionNotExistedError, errorCodeGroupNotExisted)
}

// RemoveConnectionFromAllGroups removes a connection from every group
// (DELETE /api/hubs/{hub}/connections/{id}/groups). If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) RemoveConnectionFromAllGroups(ctx context.Context, connectionID string, options *RemoveConnectionFromAllGroupsOptions) (RemoveConnectionFromAllGroupsResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return RemoveConnectionFromAllGroupsResponse{}, err
	}
	return RemoveConnectionFromAllGroupsResponse{}, h.simple(ctx, http.MethodDelete, "/connections/"+url.PathEscape(connectionID)+"/groups", nil,
		errorCodeConnectionNotExisted, errorCodeConnectionNotExistedError)
}

// AddUserToGroup adds a user, with current and future connections, to a group
// (PUT /api/hubs/{hub}/users/{user}/groups/{group}[?ttl=seconds]). If the operation fails it
// returns an *azcore.ResponseError.
func (h *HubClient) AddUserToGroup(ctx context.Context, group, userID string, options *AddUserToGroupOptions) (AddUserToGroupResponse, error) {
	if err := validateGroupName(group); err != nil {
		return AddUserToGroupResponse{}, err
	}
	if err := validateUserID(userID); err != nil {
		return AddUserToGroupResponse{}, err
	}
	var q url.Values
	if options != nil && options.TTL != 0 {
		if options.TTL < 0 {
			return AddUserToGroupResponse{}, fmt.Errorf("signalr: AddUserToGroup TTL %s is negative; expected zero (no expiry) or a positive duration", options.TTL)
		}
		// Whole seconds as the SDKs send them, but never 0: ttl=0 means "only the connections
		// that exist now", a different operation.
		seconds := max(int64(options.TTL/time.Second), 1)
		q = url.Values{"ttl": {strconv.FormatInt(seconds, 10)}}
	}
	return AddUserToGroupResponse{}, h.simple(ctx, http.MethodPut, "/users/"+url.PathEscape(userID)+"/groups/"+url.PathEscape(group), q)
}

// RemoveUserFromGroup removes a user from a group (DELETE /api/hubs/{hub}/users/{user}/groups/{group}).
// It succeeds when the user was not in the group. If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) RemoveUserFromGroup(ctx context.Context, group, userID string, options *RemoveUserFromGroupOptions) (RemoveUserFromGroupResponse, error) {
	if err := validateGroupName(group); err != nil {
		return RemoveUserFromGroupResponse{}, err
	}
	if err := validateUserID(userID); err != nil {
		return RemoveUserFromGroupResponse{}, err
	}
	return RemoveUserFromGroupResponse{}, h.simple(ctx, http.MethodDelete, "/users/"+url.PathEscape(userID)+"/groups/"+url.PathEscape(group), nil,
		errorCodeUserNotInGroup, errorCodeUserNotExisted, errorCodeGroupNotExisted)
}

// RemoveUserFromAllGroups removes a user from every group (DELETE /api/hubs/{hub}/users/{user}/groups).
// If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) RemoveUserFromAllGroups(ctx context.Context, userID string, options *RemoveUserFromAllGroupsOptions) (RemoveUserFromAllGroupsResponse, error) {
	if err := validateUserID(userID); err != nil {
		return RemoveUserFromAllGroupsResponse{}, err
	}
	return RemoveUserFromAllGroupsResponse{}, h.simple(ctx, http.MethodDelete, "/users/"+url.PathEscape(userID)+"/groups", nil,
		errorCodeUserNotExisted)
}

// simple sends a request without body and accepts any 2xx, or a 404 carrying one of okCodes:
// the state the caller asked for already holds.
func (h *HubClient) simple(ctx context.Context, method, path string, q url.Values, okCodes ...string) error {
	resp, err := h.do(ctx, call{method: method, path: path, query: q})
	if err != nil {
		return err
	}
	if len(okCodes) > 0 && notFoundCode(resp, okCodes...) {
		return nil
	}
	return expect(resp)
}

// UserInGroup reports whether a user is in a group (HEAD /api/hubs/{hub}/users/{user}/groups/{group}).
// A 404 with Info.User.NotInGroup (or the user or group not existing) is false; a 404 without
// such a code means the endpoint or hub is wrong and is an error.
func (h *HubClient) UserInGroup(ctx context.Context, group, userID string, options *UserInGroupOptions) (bool, error) {
	if err := validateGroupName(group); err != nil {
		return false, err
	}
	if err := validateUserID(userID); err != nil {
		return false, err
	}
	return h.exists(ctx, "/users/"+url.PathEscape(userID)+"/groups/"+url.PathEscape(group),
		errorCodeUserNotInGroup, errorCodeUserNotExisted, errorCodeGroupNotExisted)
}

// ConnectionExists reports whether a connection is open (HEAD /api/hubs/{hub}/connections/{id}).
// A 404 with Warning.Connection.NotExisted is false; a 404 without it is an error.
func (h *HubClient) ConnectionExists(ctx context.Context, connectionID string, options *ConnectionExistsOptions) (bool, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return false, err
	}
	return h.exists(ctx, "/connections/"+url.PathEscape(connectionID), errorCodeConnectionNotExisted)
}

// UserExists reports whether a user has an open connection (HEAD /api/hubs/{hub}/users/{user}).
// A 404 with Warning.User.NotExisted is false; a 404 without it is an error.
func (h *HubClient) UserExists(ctx context.Context, userID string, options *UserExistsOptions) (bool, error) {
	if err := validateUserID(userID); err != nil {
		return false, err
	}
	return h.exists(ctx, "/users/"+url.PathEscape(userID), errorCodeUserNotExisted)
}

// GroupExists reports whether a group has at least one connection (HEAD /api/hubs/{hub}/groups/{group}).
// A 404 with Warning.Group.NotExisted is false; a 404 without it is an error.
func (h *HubClient) GroupExists(ctx context.Context, group string, options *GroupExistsOptions) (bool, error) {
	if err := validateGroupName(group); err != nil {
		return false, err
	}
	return h.exists(ctx, "/groups/"+url.PathEscape(group), errorCodeGroupNotExisted)
}

func (h *HubClient) exists(ctx context.Context, path string, codes ...string) (bool, error) {
	resp, err := h.do(ctx, call{method: http.MethodHead, path: path})
	if err != nil {
		return false, err
	}
	return existence(resp, codes...)
}

// CloseConnection closes one connection (DELETE /api/hubs/{hub}/connections/{id}[?reason=]).
// Closing a connection that no longer exists succeeds. If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) CloseConnection(ctx context.Context, connectionID string, options *CloseConnectionOptions) (CloseConnectionResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return CloseConnectionResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = closeQuery(nil, options.Reason)
	}
	return CloseConnectionResponse{}, h.simple(ctx, http.MethodDelete, "/connections/"+url.PathEscape(connectionID), q, errorCodeConnectionNotExisted)
}

// CloseAllConnections closes every connection of the hub
// (POST /api/hubs/{hub}/:closeConnections). If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) CloseAllConnections(ctx context.Context, options *CloseAllConnectionsOptions) (CloseAllConnectionsResponse, error) {
	var q url.Values
	if options != nil {
		q = closeQuery(options.Excluded, options.Reason)
	}
	return CloseAllConnectionsResponse{}, h.simple(ctx, http.MethodPost, ":closeConnections", q)
}

// CloseGroupConnections closes every connection in a group
// (POST /api/hubs/{hub}/groups/{group}/:closeConnections). If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) CloseGroupConnections(ctx context.Context, group string, options *CloseGroupConnectionsOptions) (CloseGroupConnectionsResponse, error) {
	if err := validateGroupName(group); err != nil {
		return CloseGroupConnectionsResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = closeQuery(options.Excluded, options.Reason)
	}
	return CloseGroupConnectionsResponse{}, h.simple(ctx, http.MethodPost, "/groups/"+url.PathEscape(group)+"/:closeConnections", q)
}

// CloseUserConnections closes every connection of a user
// (POST /api/hubs/{hub}/users/{user}/:closeConnections). If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) CloseUserConnections(ctx context.Context, userID string, options *CloseUserConnectionsOptions) (CloseUserConnectionsResponse, error) {
	if err := validateUserID(userID); err != nil {
		return CloseUserConnectionsResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = closeQuery(options.Excluded, options.Reason)
	}
	return CloseUserConnectionsResponse{}, h.simple(ctx, http.MethodPost, "/users/"+url.PathEscape(userID)+"/:closeConnections", q)
}

// GenerateClientToken asks the service for a client access token for this hub
// (POST /api/hubs/{hub}/:generateToken, API version 2022-11-01 and later). It is how a client
// using Microsoft Entra ID gets client tokens without an access key. The operation takes no
// application parameter, so with ClientOptions.ApplicationName the prefixed hub "{app}_{hub}"
// is named in the path. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) GenerateClientToken(ctx context.Context, options *GenerateClientTokenOptions) (GenerateClientTokenResponse, error) {
	var q url.Values
	if options != nil {
		if options.Lifetime < 0 {
			return GenerateClientTokenResponse{}, fmt.Errorf("signalr: GenerateClientToken Lifetime %s is negative; expected zero (one hour) or a positive duration", options.Lifetime)
		}
		q = url.Values{}
		if options.UserID != "" {
			q.Set("userId", options.UserID)
		}
		if options.Lifetime > 0 {
			minutes := int64((options.Lifetime + time.Minute - 1) / time.Minute)
			q.Set("minutesToExpire", strconv.FormatInt(minutes, 10))
		}
	}
	resp, err := h.do(ctx, call{method: http.MethodPost, path: ":generateToken", query: q, noApp: true})
	if err != nil {
		return GenerateClientTokenResponse{}, err
	}
	if err := expect(resp); err != nil {
		return GenerateClientTokenResponse{}, err
	}
	var out GenerateClientTokenResponse
	if err := runtime.UnmarshalAsJSON(resp, &out); err != nil || out.Token == "" {
		return GenerateClientTokenResponse{}, errors.New(`signalr: the :generateToken response is not {"token":"…"}`)
	}
	return out, nil
}

// InvokeConnection invokes a client method on one connection and waits for its result
// (POST /api/hubs/{hub}/connections/{id}/:invoke, API version 2024-12-01). Like a send it is not
// retried on a 500. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) InvokeConnection(ctx context.Context, connectionID string, m Message, options *InvokeConnectionOptions) (InvokeConnectionResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return InvokeConnectionResponse{}, err
	}
	if err := checkRoute(m, "InvokeConnection", connectionID, "", ""); err != nil {
		return InvokeConnectionResponse{}, err
	}
	resp, err := h.do(ctx, call{method: http.MethodPost, path: "/connections/" + url.PathEscape(connectionID) + "/:invoke", body: payloadOf(m)})
	if err != nil {
		return InvokeConnectionResponse{}, err
	}
	if err := expect(resp); err != nil {
		return InvokeConnectionResponse{}, err
	}
	var out InvokeConnectionResponse
	if err := runtime.UnmarshalAsJSON(resp, &out); err != nil {
		return InvokeConnectionResponse{}, fmt.Errorf(`signalr: the :invoke response is not {"result":…}: %w`, err)
	}
	if out.Result == nil {
		out.Result = []byte("null")
	}
	return out, nil
}

// NewListGroupConnectionsPager lists the connections in a group, a page at a time
// (GET /api/hubs/{hub}/groups/{group}/connections, API version 2024-12-01). Creating the pager
// does no I/O; an invalid group name is reported by the first NextPage.
func (h *HubClient) NewListGroupConnectionsPager(group string, options *ListGroupConnectionsOptions) *runtime.Pager[ListGroupConnectionsResponse] {
	var q url.Values
	if options != nil {
		q = url.Values{}
		if options.MaxPageSize > 0 {
			q.Set("maxpagesize", strconv.FormatInt(int64(options.MaxPageSize), 10))
		}
		if options.Top > 0 {
			q.Set("top", strconv.FormatInt(int64(options.Top), 10))
		}
	}
	return runtime.NewPager(runtime.PagingHandler[ListGroupConnectionsResponse]{
		More: func(page ListGroupConnectionsResponse) bool {
			return page.NextLink != nil && *page.NextLink != ""
		},
		Fetcher: func(ctx context.Context, page *ListGroupConnectionsResponse) (ListGroupConnectionsResponse, error) {
			if err := validateGroupName(group); err != nil {
				return ListGroupConnectionsResponse{}, err
			}
			var resp *http.Response
			var err error
			if page == nil {
				resp, err = h.do(ctx, call{method: http.MethodGet, path: "/groups/" + url.PathEscape(group) + "/connections", query: q})
			} else {
				resp, err = h.getNextLink(ctx, *page.NextLink)
			}
			if err != nil {
				return ListGroupConnectionsResponse{}, err
			}
			if err := expect(resp); err != nil {
				return ListGroupConnectionsResponse{}, err
			}
			var out ListGroupConnectionsResponse
			if err := runtime.UnmarshalAsJSON(resp, &out.GroupMemberPage); err != nil {
				return ListGroupConnectionsResponse{}, fmt.Errorf(`signalr: the group connections page is not {"value":[…],"nextLink":…}: %w`, err)
			}
			return out, nil
		},
		Tracer: h.client.internal.Tracer(),
	})
}

// getNextLink follows a nextLink. It must point at the server the client talks to: the request
// is signed, and a token must not be handed to another host.
func (h *HubClient) getNextLink(ctx context.Context, nextLink string) (*http.Response, error) {
	base, err := url.Parse(h.client.serverURL)
	if err != nil {
		return nil, err
	}
	next, err := base.Parse(nextLink)
	if err != nil || next.Scheme != base.Scheme || !strings.EqualFold(next.Host, base.Host) {
		return nil, errors.New("signalr: the service returned a nextLink that does not point at the client's server URL")
	}
	q := next.Query()
	if q.Get("api-version") == "" {
		q.Set("api-version", DefaultAPIVersion)
		next.RawQuery = q.Encode()
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, next.String())
	if err != nil {
		return nil, err
	}
	return h.client.send(req)
}
