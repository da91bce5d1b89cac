package signalr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Action is a value the SignalR output binding accepts: a Message or a GroupAction.
// HubClient.Apply routes each one exactly as the Functions extension does.
type Action interface {
	// Validate reports, without I/O, why the action cannot be applied.
	Validate() error
	isAction()
}

// Message is a hub method invocation sent to clients, in the shape of the Functions signalR output
// binding. Routing precedence: ConnectionID, then UserID, then GroupName, else every connection.
type Message struct {
	// Target is the client method to invoke (required).
	Target string `json:"target"`
	// Arguments are the method's arguments; nil is sent as an empty list.
	Arguments []any `json:"arguments"`
	// UserID sends to every connection of a user.
	UserID string `json:"userId,omitempty"`
	// GroupName sends to every connection in a group.
	GroupName string `json:"groupName,omitempty"`
	// ConnectionID sends to one connection.
	ConnectionID string `json:"connectionId,omitempty"`
	// Endpoints restricts the send to these endpoints of the Client (by name, or by URL when
	// Name is empty); empty means all.
	Endpoints []EndpointRef `json:"endpoints,omitempty"`
}

// GroupActionType is what a GroupAction does.
type GroupActionType string

const (
	// GroupActionAdd adds the connection or user to GroupName.
	GroupActionAdd GroupActionType = "add"
	// GroupActionRemove removes the connection or user from GroupName.
	GroupActionRemove GroupActionType = "remove"
	// GroupActionRemoveAll removes the connection or user from every group.
	GroupActionRemoveAll GroupActionType = "removeAll"
)

// PossibleGroupActionTypeValues returns the defined GroupActionType values.
func PossibleGroupActionTypeValues() []GroupActionType {
	return []GroupActionType{GroupActionAdd, GroupActionRemove, GroupActionRemoveAll}
}

// GroupAction changes group membership, in the shape of the Functions signalR output binding.
// A connection id takes precedence over a user id.
type GroupAction struct {
	// Action is add, remove or removeAll.
	Action GroupActionType `json:"action"`
	// UserID names the user whose membership changes, when ConnectionID is empty.
	UserID string `json:"userId,omitempty"`
	// GroupName is the group of add and remove; removeAll does not read it.
	GroupName string `json:"groupName,omitempty"`
	// ConnectionID names the connection whose membership changes.
	ConnectionID string `json:"connectionId,omitempty"`
	// Endpoints restricts the action to these service endpoints, as in Message.
	Endpoints []EndpointRef `json:"endpoints,omitempty"`
}

// EndpointType is the role of a service endpoint.
type EndpointType string

const (
	// EndpointTypePrimary endpoints take clients and messages first.
	EndpointTypePrimary EndpointType = "Primary"
	// EndpointTypeSecondary endpoints take clients only when no primary is online.
	EndpointTypeSecondary EndpointType = "Secondary"
)

// PossibleEndpointTypeValues returns the defined EndpointType values.
func PossibleEndpointTypeValues() []EndpointType {
	return []EndpointType{EndpointTypePrimary, EndpointTypeSecondary}
}

// EndpointRef names a service endpoint in a Message or GroupAction (the extension's "lite"
// endpoint). Name and Endpoint select it; Online is informational.
type EndpointRef struct {
	EndpointType EndpointType `json:"endpointType,omitempty"`
	Name         string       `json:"name,omitempty"`
	Endpoint     string       `json:"endpoint,omitempty"`
	Online       bool         `json:"online,omitempty"`
}

func (Message) isAction()     {}
func (GroupAction) isAction() {}

// Validate reports why m cannot be sent. The id that routes it (ConnectionID, else UserID, else
// GroupName) must be one the REST path can carry: not a "." or ".." segment, which servers on
// the way resolve (a message to user ".." would become a broadcast wherever it is applied).
func (m Message) Validate() error {
	if m.Target == "" {
		return errors.New("signalr: message has no target; expected the name of the client method to invoke")
	}
	switch {
	case m.ConnectionID != "":
		return checkPathSegment("connection id", m.ConnectionID)
	case m.UserID != "":
		return checkPathSegment("user id", m.UserID)
	case m.GroupName != "":
		return validateGroupName(m.GroupName)
	}
	return nil
}

// Validate reports why a cannot be applied.
func (a GroupAction) Validate() error {
	switch a.Action {
	case GroupActionAdd, GroupActionRemove:
		if a.GroupName == "" {
			return fmt.Errorf("signalr: group action %q has no groupName", a.Action)
		}
		if err := validateGroupName(a.GroupName); err != nil {
			return err
		}
	case GroupActionRemoveAll:
	case "":
		return errors.New("signalr: group action has no action; expected add, remove or removeAll")
	default:
		return fmt.Errorf("signalr: group action %q is not supported; expected add, remove or removeAll", a.Action)
	}
	switch {
	case a.ConnectionID != "":
		return checkPathSegment("connection id", a.ConnectionID)
	case a.UserID != "":
		return checkPathSegment("user id", a.UserID)
	}
	return fmt.Errorf("signalr: group action %q has neither connectionId nor userId", a.Action)
}

// MarshalJSON writes nil Arguments as [], which every consumer of the shape accepts.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	if m.Arguments == nil {
		m.Arguments = []any{}
	}
	return json.Marshal(plain(m))
}

// UnmarshalJSON accepts property names in any casing, as the Functions host does.
func (m *Message) UnmarshalJSON(data []byte) error {
	type plain Message
	var p plain
	if err := unmarshalCaseInsensitive(data, &p, "message"); err != nil {
		return err
	}
	*m = Message(p)
	return nil
}

// UnmarshalJSON accepts property names in any casing and the action in any casing
// (the isolated worker writes Add, Remove, RemoveAll).
func (a *GroupAction) UnmarshalJSON(data []byte) error {
	type plain GroupAction
	var p plain
	if err := unmarshalCaseInsensitive(data, &p, "group action"); err != nil {
		return err
	}
	for _, v := range PossibleGroupActionTypeValues() {
		if strings.EqualFold(string(p.Action), string(v)) {
			p.Action = v
		}
	}
	*a = GroupAction(p)
	return nil
}

// unmarshalCaseInsensitive decodes a JSON object into v; encoding/json already matches field
// names case-insensitively, so this only improves the error.
func unmarshalCaseInsensitive(data []byte, v any, what string) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("signalr: decoding %s: %w", what, err)
	}
	return nil
}
