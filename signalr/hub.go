package signalr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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

// encodePayload encodes the REST body of m once, before any request, whatever the number of
// endpoints it goes to.
func encodePayload(m Message) ([]byte, error) {
	b, err := json.Marshal(payloadOf(m))
	if err != nil {
		return nil, fmt.Errorf("signalr: the arguments of message %.100q cannot be encoded as JSON: %w", m.Target, err)
	}
	return b, nil
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

// SendToAll sends m to every connection of the hub (POST /api/hubs/{hub}/:send) on each
// endpoint m.Endpoints names (all when empty). m's routing fields must be empty. A 500 is not
// retried: the service may have delivered the message. If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) SendToAll(ctx context.Context, m Message, options *SendToAllOptions) (SendToAllResponse, error) {
	c, err := sendToAllCall(m, options)
	if err != nil {
		return SendToAllResponse{}, err
	}
	res, err := h.run(ctx, m.Endpoints, c)
	return SendToAllResponse{Endpoints: res}, err
}

func sendToAllCall(m Message, options *SendToAllOptions) (call, error) {
	if err := checkRoute(m, "SendToAll", "", "", ""); err != nil {
		return call{}, err
	}
	var q url.Values
	if options != nil {
		q = excludedQuery(nil, options.Excluded)
	}
	return sendCall(":send", q, m)
}

func sendCall(path string, q url.Values, m Message) (call, error) {
	body, err := encodePayload(m)
	if err != nil {
		return call{}, err
	}
	return call{method: http.MethodPost, path: path, query: q, body: body}, nil
}

// SendToUser sends m to every connection of a user (POST /api/hubs/{hub}/users/{user}/:send)
// on each endpoint m.Endpoints names (all when empty). If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) SendToUser(ctx context.Context, userID string, m Message, options *SendToUserOptions) (SendToUserResponse, error) {
	c, err := sendToUserCall(userID, m)
	if err != nil {
		return SendToUserResponse{}, err
	}
	res, err := h.run(ctx, m.Endpoints, c)
	return SendToUserResponse{Endpoints: res}, err
}

func sendToUserCall(userID string, m Message) (call, error) {
	if err := validateUserID(userID); err != nil {
		return call{}, err
	}
	if err := checkRoute(m, "SendToUser", "", userID, ""); err != nil {
		return call{}, err
	}
	return sendCall("/users/"+url.PathEscape(userID)+"/:send", nil, m)
}

// SendToGroup sends m to every connection in a group (POST /api/hubs/{hub}/groups/{group}/:send)
// on each endpoint m.Endpoints names (all when empty). If the operation fails it returns an
// *azcore.ResponseError.
func (h *HubClient) SendToGroup(ctx context.Context, group string, m Message, options *SendToGroupOptions) (SendToGroupResponse, error) {
	c, err := sendToGroupCall(group, m, options)
	if err != nil {
		return SendToGroupResponse{}, err
	}
	res, err := h.run(ctx, m.Endpoints, c)
	return SendToGroupResponse{Endpoints: res}, err
}

func sendToGroupCall(group string, m Message, options *SendToGroupOptions) (call, error) {
	if err := validateGroupName(group); err != nil {
		return call{}, err
	}
	if err := checkRoute(m, "SendToGroup", "", "", group); err != nil {
		return call{}, err
	}
	var q url.Values
	if options != nil {
		q = excludedQuery(nil, options.Excluded)
	}
	return sendCall("/groups/"+url.PathEscape(group)+"/:send", q, m)
}

// SendToConnection sends m to one connection (POST /api/hubs/{hub}/connections/{id}/:send) on
// each endpoint m.Endpoints names (all when empty): a connection lives on one endpoint, and the
// others accept the send, as the service accepts any send to an unknown connection. If the
// operation fails it returns an *azcore.ResponseError.
func (h *HubClient) SendToConnection(ctx context.Context, connectionID string, m Message, options *SendToConnectionOptions) (SendToConnectionResponse, error) {
	c, err := sendToConnectionCall(connectionID, m)
	if err != nil {
		return SendToConnectionResponse{}, err
	}
	res, err := h.run(ctx, m.Endpoints, c)
	return SendToConnectionResponse{Endpoints: res}, err
}

func sendToConnectionCall(connectionID string, m Message) (call, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return call{}, err
	}
	if err := checkRoute(m, "SendToConnection", connectionID, "", ""); err != nil {
		return call{}, err
	}
	return sendCall("/connections/"+url.PathEscape(connectionID)+"/:send", nil, m)
}

// AddConnectionToGroup adds a connection to a group
// (PUT /api/hubs/{hub}/groups/{group}/connections/{id}). Adding an unknown connection fails with
// the service's 404 (x-ms-error-code Error.Connection.NotExisted), because the connection is not
// in the group afterwards. A connection lives on one endpoint, so with several endpoints this
// succeeds when one endpoint adds it and every other answers that it does not know the
// connection. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) AddConnectionToGroup(ctx context.Context, group, connectionID string, options *AddConnectionToGroupOptions) (AddConnectionToGroupResponse, error) {
	c, err := addConnectionToGroupCall(group, connectionID)
	if err != nil {
		return AddConnectionToGroupResponse{}, err
	}
	res, err := h.run(ctx, nil, c)
	return AddConnectionToGroupResponse{Endpoints: res}, err
}

func addConnectionToGroupCall(group, connectionID string) (call, error) {
	if err := validateGroupName(group); err != nil {
		return call{}, err
	}
	if err := validateConnectionID(connectionID); err != nil {
		return call{}, err
	}
	return call{method: http.MethodPut, path: "/groups/" + url.PathEscape(group) + "/connections/" + url.PathEscape(connectionID), onConnection: true}, nil
}

// RemoveConnectionFromGroup removes a connection from a group
// (DELETE /api/hubs/{hub}/groups/{group}/connections/{id}) on every endpoint. It succeeds when
// the connection was not in the group, also when the service says so with a 404 and an error
// code. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) RemoveConnectionFromGroup(ctx context.Context, group, connectionID string, options *RemoveConnectionFromGroupOptions) (RemoveConnectionFromGroupResponse, error) {
	c, err := removeConnectionFromGroupCall(group, connectionID)
	if err != nil {
		return RemoveConnectionFromGroupResponse{}, err
	}
	res, err := h.run(ctx, nil, c)
	return RemoveConnectionFromGroupResponse{Endpoints: res}, err
}

func removeConnectionFromGroupCall(group, connectionID string) (call, error) {
	if err := validateGroupName(group); err != nil {
		return call{}, err
	}
	if err := validateConnectionID(connectionID); err != nil {
		return call{}, err
	}
	return call{method: http.MethodDelete, path: "/groups/" + url.PathEscape(group) + "/connections/" + url.PathEscape(connectionID),
		okCodes: []string{errorCodeConnectionNotExisted, errorCodeConnectionNotExistedError, errorCodeGroupNotExisted}}, nil
}

// RemoveConnectionFromAllGroups removes a connection from every group
// (DELETE /api/hubs/{hub}/connections/{id}/groups) on every endpoint. If the operation fails it
// returns an *azcore.ResponseError.
func (h *HubClient) RemoveConnectionFromAllGroups(ctx context.Context, connectionID string, options *RemoveConnectionFromAllGroupsOptions) (RemoveConnectionFromAllGroupsResponse, error) {
	c, err := removeConnectionFromAllGroupsCall(connectionID)
	if err != nil {
		return RemoveConnectionFromAllGroupsResponse{}, err
	}
	res, err := h.run(ctx, nil, c)
	return RemoveConnectionFromAllGroupsResponse{Endpoints: res}, err
}

func removeConnectionFromAllGroupsCall(connectionID string) (call, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return call{}, err
	}
	return call{method: http.MethodDelete, path: "/connections/" + url.PathEscape(connectionID) + "/groups",
		okCodes: []string{errorCodeConnectionNotExisted, errorCodeConnectionNotExistedError}}, nil
}

// AddUserToGroup adds a user, with current and future connections, to a group
// (PUT /api/hubs/{hub}/users/{user}/groups/{group}[?ttl=seconds]) on every endpoint. If the
// operation fails it returns an *azcore.ResponseError.
func (h *HubClient) AddUserToGroup(ctx context.Context, group, userID string, options *AddUserToGroupOptions) (AddUserToGroupResponse, error) {
	c, err := addUserToGroupCall(group, userID, options)
	if err != nil {
		return AddUserToGroupResponse{}, err
	}
	res, err := h.run(ctx, nil, c)
	return AddUserToGroupResponse{Endpoints: res}, err
}

func addUserToGroupCall(group, userID string, options *AddUserToGroupOptions) (call, error) {
	if err := validateGroupName(group); err != nil {
		return call{}, err
	}
	if err := validateUserID(userID); err != nil {
		return call{}, err
	}
	var q url.Values
	if options != nil && options.TTL != 0 {
		if options.TTL < 0 {
			return call{}, fmt.Errorf("signalr: AddUserToGroup TTL %s is negative; expected zero (no expiry) or a positive duration", options.TTL)
		}
		// Whole seconds as the SDKs send them, but never 0: ttl=0 means "only the connections
		// that exist now", a different operation.
		seconds := max(int64(options.TTL/time.Second), 1)
		q = url.Values{"ttl": {strconv.FormatInt(seconds, 10)}}
	}
	return call{method: http.MethodPut, path: "/users/" + url.PathEscape(userID) + "/groups/" + url.PathEscape(group), query: q}, nil
}

// RemoveUserFromGroup removes a user from a group (DELETE /api/hubs/{hub}/users/{user}/groups/{group})
// on every endpoint. It succeeds when the user was not in the group. If the operation fails it
// returns an *azcore.ResponseError.
func (h *HubClient) RemoveUserFromGroup(ctx context.Context, group, userID string, options *RemoveUserFromGroupOptions) (RemoveUserFromGroupResponse, error) {
	c, err := removeUserFromGroupCall(group, userID)
	if err != nil {
		return RemoveUserFromGroupResponse{}, err
	}
	res, err := h.run(ctx, nil, c)
	return RemoveUserFromGroupResponse{Endpoints: res}, err
}

func removeUserFromGroupCall(group, userID string) (call, error) {
	if err := validateGroupName(group); err != nil {
		return call{}, err
	}
	if err := validateUserID(userID); err != nil {
		return call{}, err
	}
	return call{method: http.MethodDelete, path: "/users/" + url.PathEscape(userID) + "/groups/" + url.PathEscape(group),
		okCodes: []string{errorCodeUserNotInGroup, errorCodeUserNotExisted, errorCodeGroupNotExisted}}, nil
}

// RemoveUserFromAllGroups removes a user from every group (DELETE /api/hubs/{hub}/users/{user}/groups)
// on every endpoint. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) RemoveUserFromAllGroups(ctx context.Context, userID string, options *RemoveUserFromAllGroupsOptions) (RemoveUserFromAllGroupsResponse, error) {
	c, err := removeUserFromAllGroupsCall(userID)
	if err != nil {
		return RemoveUserFromAllGroupsResponse{}, err
	}
	res, err := h.run(ctx, nil, c)
	return RemoveUserFromAllGroupsResponse{Endpoints: res}, err
}

func removeUserFromAllGroupsCall(userID string) (call, error) {
	if err := validateUserID(userID); err != nil {
		return call{}, err
	}
	return call{method: http.MethodDelete, path: "/users/" + url.PathEscape(userID) + "/groups",
		okCodes: []string{errorCodeUserNotExisted}}, nil
}

// UserInGroup reports whether a user is in a group on any endpoint
// (HEAD /api/hubs/{hub}/users/{user}/groups/{group}). A 404 with Info.User.NotInGroup (or the
// user or group not existing) is false; a 404 without such a code means the endpoint or hub is
// wrong and is an error. With several endpoints, an error counts only when no endpoint answers
// true.
func (h *HubClient) UserInGroup(ctx context.Context, group, userID string, options *UserInGroupOptions) (bool, error) {
	if err := validateGroupName(group); err != nil {
		return false, err
	}
	if err := validateUserID(userID); err != nil {
		return false, err
	}
	return h.exists(ctx, call{method: http.MethodHead, path: "/users/" + url.PathEscape(userID) + "/groups/" + url.PathEscape(group),
		okCodes: []string{errorCodeUserNotInGroup, errorCodeUserNotExisted, errorCodeGroupNotExisted}})
}

// ConnectionExists reports whether a connection is open on any endpoint
// (HEAD /api/hubs/{hub}/connections/{id}). A 404 with Warning.Connection.NotExisted is false; a
// 404 without it is an error.
func (h *HubClient) ConnectionExists(ctx context.Context, connectionID string, options *ConnectionExistsOptions) (bool, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return false, err
	}
	return h.exists(ctx, call{method: http.MethodHead, path: "/connections/" + url.PathEscape(connectionID),
		okCodes: []string{errorCodeConnectionNotExisted}})
}

// UserExists reports whether a user has an open connection on any endpoint
// (HEAD /api/hubs/{hub}/users/{user}). A 404 with Warning.User.NotExisted is false; a 404
// without it is an error.
func (h *HubClient) UserExists(ctx context.Context, userID string, options *UserExistsOptions) (bool, error) {
	if err := validateUserID(userID); err != nil {
		return false, err
	}
	return h.exists(ctx, call{method: http.MethodHead, path: "/users/" + url.PathEscape(userID),
		okCodes: []string{errorCodeUserNotExisted}})
}

// GroupExists reports whether a group has at least one connection on any endpoint
// (HEAD /api/hubs/{hub}/groups/{group}). A 404 with Warning.Group.NotExisted is false; a 404
// without it is an error.
func (h *HubClient) GroupExists(ctx context.Context, group string, options *GroupExistsOptions) (bool, error) {
	if err := validateGroupName(group); err != nil {
		return false, err
	}
	return h.exists(ctx, call{method: http.MethodHead, path: "/groups/" + url.PathEscape(group),
		okCodes: []string{errorCodeGroupNotExisted}})
}

// CloseConnection closes one connection (DELETE /api/hubs/{hub}/connections/{id}[?reason=]) on
// every endpoint. Closing a connection that does not exist succeeds, so the endpoints that do
// not hold it succeed too. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) CloseConnection(ctx context.Context, connectionID string, options *CloseConnectionOptions) (CloseConnectionResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return CloseConnectionResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = closeQuery(nil, options.Reason)
	}
	res, err := h.run(ctx, nil, call{method: http.MethodDelete, path: "/connections/" + url.PathEscape(connectionID), query: q,
		okCodes: []string{errorCodeConnectionNotExisted}})
	return CloseConnectionResponse{Endpoints: res}, err
}

// CloseAllConnections closes every connection of the hub
// (POST /api/hubs/{hub}/:closeConnections) on every endpoint. If the operation fails it returns
// an *azcore.ResponseError.
func (h *HubClient) CloseAllConnections(ctx context.Context, options *CloseAllConnectionsOptions) (CloseAllConnectionsResponse, error) {
	var q url.Values
	if options != nil {
		q = closeQuery(options.Excluded, options.Reason)
	}
	res, err := h.run(ctx, nil, call{method: http.MethodPost, path: ":closeConnections", query: q})
	return CloseAllConnectionsResponse{Endpoints: res}, err
}

// CloseGroupConnections closes every connection in a group
// (POST /api/hubs/{hub}/groups/{group}/:closeConnections) on every endpoint. If the operation
// fails it returns an *azcore.ResponseError.
func (h *HubClient) CloseGroupConnections(ctx context.Context, group string, options *CloseGroupConnectionsOptions) (CloseGroupConnectionsResponse, error) {
	if err := validateGroupName(group); err != nil {
		return CloseGroupConnectionsResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = closeQuery(options.Excluded, options.Reason)
	}
	res, err := h.run(ctx, nil, call{method: http.MethodPost, path: "/groups/" + url.PathEscape(group) + "/:closeConnections", query: q})
	return CloseGroupConnectionsResponse{Endpoints: res}, err
}

// CloseUserConnections closes every connection of a user
// (POST /api/hubs/{hub}/users/{user}/:closeConnections) on every endpoint. If the operation
// fails it returns an *azcore.ResponseError.
func (h *HubClient) CloseUserConnections(ctx context.Context, userID string, options *CloseUserConnectionsOptions) (CloseUserConnectionsResponse, error) {
	if err := validateUserID(userID); err != nil {
		return CloseUserConnectionsResponse{}, err
	}
	var q url.Values
	if options != nil {
		q = closeQuery(options.Excluded, options.Reason)
	}
	res, err := h.run(ctx, nil, call{method: http.MethodPost, path: "/users/" + url.PathEscape(userID) + "/:closeConnections", query: q})
	return CloseUserConnectionsResponse{Endpoints: res}, err
}

// GenerateClientToken asks the service for a client access token for this hub
// (POST /api/hubs/{hub}/:generateToken, API version 2022-11-01 and later). It is how a client
// using Microsoft Entra ID gets client tokens without an access key. The operation takes no
// application parameter, so with ClientOptions.ApplicationName the prefixed hub "{app}_{hub}"
// is named in the path.
//
// A token is valid on one endpoint only: with several, select one with WithEndpoints (or let
// package negotiate route the client and mint for it). If the operation fails it returns an
// *azcore.ResponseError.
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
	idx, err := h.selectEndpoints(nil)
	if err != nil {
		return GenerateClientTokenResponse{}, err
	}
	if len(idx) != 1 {
		return GenerateClientTokenResponse{}, fmt.Errorf("signalr: GenerateClientToken mints a token for one endpoint and %d are selected; select one with HubClient.WithEndpoints", len(idx))
	}
	var out GenerateClientTokenResponse
	out.Endpoints, err = h.each(ctx, nil, false, func(ctx context.Context, e *endpoint) error {
		var err error
		out.Token, err = h.generateToken(ctx, e.conn, q)
		return err
	})
	if err != nil {
		return GenerateClientTokenResponse{Endpoints: out.Endpoints}, err
	}
	return out, nil
}

func (h *HubClient) generateToken(ctx context.Context, cl *conn, q url.Values) (string, error) {
	resp, err := h.do(ctx, cl, call{method: http.MethodPost, path: ":generateToken", query: q, noApp: true})
	if err != nil {
		return "", err
	}
	if err := expect(resp); err != nil {
		return "", err
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := runtime.UnmarshalAsJSON(resp, &out); err != nil || out.Token == "" {
		return "", errors.New(`signalr: the :generateToken response is not {"token":"…"}`)
	}
	return out.Token, nil
}

// InvokeConnection invokes a client method on one connection and waits for its result
// (POST /api/hubs/{hub}/connections/{id}/:invoke, API version 2024-12-01). Like a send it is not
// retried on a 500. A connection lives on one endpoint: with several, the result is the one of
// the endpoint holding it, and the others' answers that they do not know the connection are
// expected. If the operation fails it returns an *azcore.ResponseError.
func (h *HubClient) InvokeConnection(ctx context.Context, connectionID string, m Message, options *InvokeConnectionOptions) (InvokeConnectionResponse, error) {
	if err := validateConnectionID(connectionID); err != nil {
		return InvokeConnectionResponse{}, err
	}
	if err := checkRoute(m, "InvokeConnection", connectionID, "", ""); err != nil {
		return InvokeConnectionResponse{}, err
	}
	body, err := encodePayload(m)
	if err != nil {
		return InvokeConnectionResponse{}, err
	}
	c := call{method: http.MethodPost, path: "/connections/" + url.PathEscape(connectionID) + "/:invoke", body: body}
	var mu sync.Mutex
	var out InvokeConnectionResponse
	res, err := h.each(ctx, m.Endpoints, true, func(ctx context.Context, e *endpoint) error {
		r, err := h.invoke(ctx, e.conn, c)
		if err == nil {
			mu.Lock()
			out = r
			mu.Unlock()
		}
		return err
	})
	out.Endpoints = res
	if err != nil {
		return InvokeConnectionResponse{Endpoints: res}, err
	}
	return out, nil
}

func (h *HubClient) invoke(ctx context.Context, cl *conn, c call) (InvokeConnectionResponse, error) {
	resp, err := h.do(ctx, cl, c)
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
// (GET /api/hubs/{hub}/groups/{group}/connections, API version 2024-12-01): every page of the
// first endpoint, then of the next. Each page names its endpoint in Endpoints; Top caps the
// connections over all endpoints. Creating the pager does no I/O; an invalid group name is
// reported by the first NextPage.
func (h *HubClient) NewListGroupConnectionsPager(group string, options *ListGroupConnectionsOptions) *runtime.Pager[ListGroupConnectionsResponse] {
	var maxPageSize, top int32
	if options != nil {
		maxPageSize, top = options.MaxPageSize, options.Top
	}
	var (
		idx  []int  // the selected endpoints
		k    int    // the endpoint being listed
		next string // its nextLink; "" when its last page was read
		left = top  // connections still wanted when top > 0
		more bool
	)
	query := func() url.Values {
		q := url.Values{}
		if maxPageSize > 0 {
			q.Set("maxpagesize", strconv.FormatInt(int64(maxPageSize), 10))
		}
		if top > 0 {
			q.Set("top", strconv.FormatInt(int64(left), 10))
		}
		return q
	}
	return runtime.NewPager(runtime.PagingHandler[ListGroupConnectionsResponse]{
		More: func(ListGroupConnectionsResponse) bool { return more },
		Fetcher: func(ctx context.Context, page *ListGroupConnectionsResponse) (ListGroupConnectionsResponse, error) {
			if page == nil {
				if err := validateGroupName(group); err != nil {
					return ListGroupConnectionsResponse{}, err
				}
				var err error
				if idx, err = h.selectEndpoints(nil); err != nil {
					return ListGroupConnectionsResponse{}, err
				}
				k, next = 0, ""
			} else if next == "" {
				k++
			}
			e := h.client.endpoints[idx[k]]
			var out ListGroupConnectionsResponse
			var err error
			out.Endpoints, err = h.each(ctx, []EndpointRef{{Name: e.name, Endpoint: e.conn.url}}, false, func(ctx context.Context, e *endpoint) error {
				var resp *http.Response
				var err error
				if next == "" {
					resp, err = h.do(ctx, e.conn, call{method: http.MethodGet, path: "/groups/" + url.PathEscape(group) + "/connections", query: query()})
				} else {
					resp, err = h.getNextLink(ctx, e.conn, next)
				}
				if err != nil {
					return err
				}
				if err := expect(resp); err != nil {
					return err
				}
				if err := runtime.UnmarshalAsJSON(resp, &out.GroupMemberPage); err != nil {
					return fmt.Errorf(`signalr: the group connections page is not {"value":[…],"nextLink":…}: %w`, err)
				}
				return nil
			})
			if err != nil {
				more = false
				return ListGroupConnectionsResponse{Endpoints: out.Endpoints}, err
			}
			if top > 0 {
				if int32(len(out.Value)) >= left {
					out.Value = out.Value[:left]
				}
				left -= int32(len(out.Value))
			}
			next = ""
			if out.NextLink != nil {
				next = *out.NextLink
			}
			more = (top <= 0 || left > 0) && (next != "" || k+1 < len(idx))
			return out, nil
		},
		Tracer: h.client.endpoints[0].conn.internal.Tracer(),
	})
}

// getNextLink follows a nextLink. It must point at the server of the endpoint that returned
// it: the request is signed, and a token must not be handed to another host.
func (h *HubClient) getNextLink(ctx context.Context, cl *conn, nextLink string) (*http.Response, error) {
	base, err := url.Parse(cl.serverURL)
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
	return cl.send(req)
}
