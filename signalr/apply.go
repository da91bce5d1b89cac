package signalr

import (
	"context"
	"errors"
	"fmt"
)

// Apply carries out output-binding items in order, routed exactly as the Functions signalR output
// binding routes them:
//
//   - a Message goes to its ConnectionID, else its UserID, else its GroupName, else everyone;
//   - a GroupAction acts on its ConnectionID, else its UserID: add and remove change one group,
//     removeAll removes the connection or user from every group. (The C# extension silently
//     ignores removeAll with a connection id; Apply carries it out.)
//
// Each item goes to the endpoints its Endpoints field names (all when empty), as the extension
// does with several endpoints. Every item is validated, endpoints included, before the first
// request, so a malformed item sends nothing. Apply stops at the first item that fails on any
// endpoint; the error names the item's index and wraps the cause, which is an
// *azcore.ResponseError when the service refused it.
func (h *HubClient) Apply(ctx context.Context, items ...Action) error {
	type planned struct {
		c         call
		endpoints []EndpointRef
	}
	plan := make([]planned, len(items))
	for i, item := range items {
		a, err := actionValue(item)
		if err == nil {
			err = a.Validate()
		}
		if err == nil {
			plan[i].endpoints = actionEndpoints(a)
			_, err = h.selectEndpoints(plan[i].endpoints)
		}
		if err == nil {
			plan[i].c, err = actionCall(a)
		}
		if err != nil {
			return fmt.Errorf("signalr: output item %d: %w", i, err)
		}
	}
	for i, p := range plan {
		if _, err := h.run(ctx, p.endpoints, p.c); err != nil {
			return fmt.Errorf("signalr: output item %d (%d applied before it): %w", i, i, err)
		}
	}
	return nil
}

// actionValue normalises pointers to their values so both forms route the same way.
func actionValue(item Action) (Action, error) {
	switch v := item.(type) {
	case Message, GroupAction:
		return v, nil
	case *Message:
		if v != nil {
			return *v, nil
		}
	case *GroupAction:
		if v != nil {
			return *v, nil
		}
	case nil:
	default:
		return nil, fmt.Errorf("signalr: output item of type %T is not supported; expected signalr.Message or signalr.GroupAction", item)
	}
	return nil, errors.New("signalr: output item is nil; expected signalr.Message or signalr.GroupAction")
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

// actionCall returns the request that carries out a validated item.
func actionCall(item Action) (call, error) {
	switch a := item.(type) {
	case Message:
		switch {
		case a.ConnectionID != "":
			return sendToConnectionCall(a.ConnectionID, onlyRoute(a, a.ConnectionID, "", ""))
		case a.UserID != "":
			return sendToUserCall(a.UserID, onlyRoute(a, "", a.UserID, ""))
		case a.GroupName != "":
			return sendToGroupCall(a.GroupName, onlyRoute(a, "", "", a.GroupName), nil)
		default:
			return sendToAllCall(a, nil)
		}
	case GroupAction:
		if a.ConnectionID != "" {
			switch a.Action {
			case GroupActionAdd:
				return addConnectionToGroupCall(a.GroupName, a.ConnectionID)
			case GroupActionRemove:
				return removeConnectionFromGroupCall(a.GroupName, a.ConnectionID)
			case GroupActionRemoveAll:
				return removeConnectionFromAllGroupsCall(a.ConnectionID)
			}
		}
		switch a.Action {
		case GroupActionAdd:
			return addUserToGroupCall(a.GroupName, a.UserID, nil)
		case GroupActionRemove:
			return removeUserFromGroupCall(a.GroupName, a.UserID)
		case GroupActionRemoveAll:
			return removeUserFromAllGroupsCall(a.UserID)
		}
	}
	return call{}, fmt.Errorf("signalr: output item %T cannot be applied", item)
}

// onlyRoute keeps the routing field that decided the destination and drops those of lower
// precedence, which the binding ignores too.
func onlyRoute(m Message, connectionID, userID, group string) Message {
	m.ConnectionID, m.UserID, m.GroupName = connectionID, userID, group
	return m
}
