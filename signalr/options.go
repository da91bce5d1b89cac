package signalr

import (
	"encoding/json"
	"time"
)

// SendToAllOptions contains the optional parameters of HubClient.SendToAll.
type SendToAllOptions struct {
	// Excluded lists connection ids that do not receive the message.
	Excluded []string
}

// SendToAllResponse is the result of HubClient.SendToAll.
type SendToAllResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// SendToUserOptions contains the optional parameters of HubClient.SendToUser.
type SendToUserOptions struct{}

// SendToUserResponse is the result of HubClient.SendToUser.
type SendToUserResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// SendToGroupOptions contains the optional parameters of HubClient.SendToGroup.
type SendToGroupOptions struct {
	// Excluded lists connection ids in the group that do not receive the message.
	Excluded []string
}

// SendToGroupResponse is the result of HubClient.SendToGroup.
type SendToGroupResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// SendToConnectionOptions contains the optional parameters of HubClient.SendToConnection.
type SendToConnectionOptions struct{}

// SendToConnectionResponse is the result of HubClient.SendToConnection.
type SendToConnectionResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// AddConnectionToGroupOptions contains the optional parameters of HubClient.AddConnectionToGroup.
type AddConnectionToGroupOptions struct{}

// AddConnectionToGroupResponse is the result of HubClient.AddConnectionToGroup.
type AddConnectionToGroupResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// RemoveConnectionFromGroupOptions contains the optional parameters of
// HubClient.RemoveConnectionFromGroup.
type RemoveConnectionFromGroupOptions struct{}

// RemoveConnectionFromGroupResponse is the result of HubClient.RemoveConnectionFromGroup.
type RemoveConnectionFromGroupResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// RemoveConnectionFromAllGroupsOptions contains the optional parameters of
// HubClient.RemoveConnectionFromAllGroups.
type RemoveConnectionFromAllGroupsOptions struct{}

// RemoveConnectionFromAllGroupsResponse is the result of HubClient.RemoveConnectionFromAllGroups.
type RemoveConnectionFromAllGroupsResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// AddUserToGroupOptions contains the optional parameters of HubClient.AddUserToGroup.
type AddUserToGroupOptions struct {
	// TTL bounds how long the user stays in the group. Zero keeps the membership for as long as
	// the service allows (up to a year). It is sent in whole seconds, at least one; negative is
	// an error.
	TTL time.Duration
}

// AddUserToGroupResponse is the result of HubClient.AddUserToGroup.
type AddUserToGroupResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// RemoveUserFromGroupOptions contains the optional parameters of HubClient.RemoveUserFromGroup.
type RemoveUserFromGroupOptions struct{}

// RemoveUserFromGroupResponse is the result of HubClient.RemoveUserFromGroup.
type RemoveUserFromGroupResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// RemoveUserFromAllGroupsOptions contains the optional parameters of
// HubClient.RemoveUserFromAllGroups.
type RemoveUserFromAllGroupsOptions struct{}

// RemoveUserFromAllGroupsResponse is the result of HubClient.RemoveUserFromAllGroups.
type RemoveUserFromAllGroupsResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// UserInGroupOptions contains the optional parameters of HubClient.UserInGroup.
type UserInGroupOptions struct{}

// ConnectionExistsOptions contains the optional parameters of HubClient.ConnectionExists.
type ConnectionExistsOptions struct{}

// UserExistsOptions contains the optional parameters of HubClient.UserExists.
type UserExistsOptions struct{}

// GroupExistsOptions contains the optional parameters of HubClient.GroupExists.
type GroupExistsOptions struct{}

// CloseConnectionOptions contains the optional parameters of HubClient.CloseConnection.
type CloseConnectionOptions struct {
	// Reason is sent to the client in the close message.
	Reason string
}

// CloseConnectionResponse is the result of HubClient.CloseConnection.
type CloseConnectionResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// CloseAllConnectionsOptions contains the optional parameters of HubClient.CloseAllConnections.
type CloseAllConnectionsOptions struct {
	// Excluded lists connection ids that stay open.
	Excluded []string
	// Reason is sent to the clients in the close message.
	Reason string
}

// CloseAllConnectionsResponse is the result of HubClient.CloseAllConnections.
type CloseAllConnectionsResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// CloseGroupConnectionsOptions contains the optional parameters of HubClient.CloseGroupConnections.
type CloseGroupConnectionsOptions struct {
	// Excluded lists connection ids that stay open.
	Excluded []string
	// Reason is sent to the clients in the close message.
	Reason string
}

// CloseGroupConnectionsResponse is the result of HubClient.CloseGroupConnections.
type CloseGroupConnectionsResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// CloseUserConnectionsOptions contains the optional parameters of HubClient.CloseUserConnections.
type CloseUserConnectionsOptions struct {
	// Excluded lists connection ids that stay open.
	Excluded []string
	// Reason is sent to the clients in the close message.
	Reason string
}

// CloseUserConnectionsResponse is the result of HubClient.CloseUserConnections.
type CloseUserConnectionsResponse struct {
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult
}

// GenerateClientTokenOptions contains the optional parameters of HubClient.GenerateClientToken.
type GenerateClientTokenOptions struct {
	// UserID becomes the user id of connections that use the token.
	UserID string
	// Lifetime is how long the token is valid, sent in whole minutes rounded up. Zero means the
	// service default of one hour; negative is an error.
	Lifetime time.Duration
}

// GenerateClientTokenResponse is the result of HubClient.GenerateClientToken.
type GenerateClientTokenResponse struct {
	// Token is the client access token; treat it as a secret.
	Token string `json:"token"`
	// Endpoints is the endpoint that minted the token.
	Endpoints []EndpointResult `json:"-"`
}

// String redacts the token.
func (r GenerateClientTokenResponse) String() string {
	return "signalr.GenerateClientTokenResponse(REDACTED)"
}

// InvokeConnectionOptions contains the optional parameters of HubClient.InvokeConnection.
type InvokeConnectionOptions struct{}

// InvokeConnectionResponse is the result of HubClient.InvokeConnection.
type InvokeConnectionResponse struct {
	// Result is the value the client returned, as JSON ("null" when it returned nothing).
	Result json.RawMessage `json:"result"`
	// Protocol is the hub protocol of the client when the service reports it.
	Protocol string `json:"protocol,omitempty"`
	// Endpoints is the outcome on every endpoint the operation reached.
	Endpoints []EndpointResult `json:"-"`
}

// ListGroupConnectionsOptions contains the optional parameters of
// HubClient.NewListGroupConnectionsPager.
type ListGroupConnectionsOptions struct {
	// MaxPageSize caps the connections per page (the service allows 1 to 200); zero lets the
	// service choose.
	MaxPageSize int32
	// Top caps the connections returned over all pages; zero means all.
	Top int32
}

// GroupMember is a connection in a group.
type GroupMember struct {
	ConnectionID string `json:"connectionId"`
	UserID       string `json:"userId,omitempty"`
}

// GroupMemberPage is one page of a group's connections.
type GroupMemberPage struct {
	Value    []GroupMember `json:"value"`
	NextLink *string       `json:"nextLink,omitempty"`
}

// ListGroupConnectionsResponse is one page returned by the pager of
// HubClient.NewListGroupConnectionsPager.
type ListGroupConnectionsResponse struct {
	GroupMemberPage
	// Endpoints is the endpoint the page comes from.
	Endpoints []EndpointResult `json:"-"`
}

// HealthOptions contains the optional parameters of Client.Health.
type HealthOptions struct{}

// HealthResponse is the result of Client.Health.
type HealthResponse struct {
	// Endpoints is the health of every endpoint.
	Endpoints []EndpointResult
}
