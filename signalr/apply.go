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
// Every item is validated before the first request, so a malformed item sends nothing. Apply
// stops at the first failure; the error names the item's index and wraps the cause, which is an
// *azcore.ResponseError when the service refused it.
func (h *HubClient) Apply(ctx context.Context, items ...Action) error {
	for i, item := range items {
		a, err := actionValue(item)
		if err == nil {
			err = a.Validate()
		}
		if err != nil {
			return fmt.Errorf("signalr: output item %d: %w", i, err)
		}
	}
	for i, item := range items {
		a, _ := actionValue(item)
		if err := h.apply(ctx, a); err != nil {
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

func (h *HubClient) apply(ctx context.Context, item Action) error {
	switch a := item.(type) {
	case Message:
		var err error
		switch {
		case a.ConnectionID != "":
			_, err = h.SendToConnection(ctx, a.ConnectionID, onlyRoute(a, a.ConnectionID, "", ""), nil)
		case a.UserID != "":
			_, err = h.SendToUser(ctx, a.UserID, onlyRoute(a, "", a.UserID, ""), nil)
		case a.GroupName != "":
			_, err = h.SendToGroup(ctx, a.GroupName, onlyRoute(a, "", "", a.GroupName), nil)
		default:
			_, err = h.SendToAll(ctx, a, nil)
		}
		return err
	case GroupAction:
		var err error
		if a.ConnectionID != "" {
			switch a.Action {
			case GroupActionAdd:
				_, err = h.AddConnectionToGroup(ctx, a.GroupName, a.ConnectionID, nil)
			case GroupActionRemove:
				_, err = h.RemoveConnectionFromGroup(ctx, a.GroupName, a.ConnectionID, nil)
			case GroupActionRemoveAll:
				_, err = h.RemoveConnectionFromAllGroups(ctx, a.ConnectionID, nil)
			}
			return err
		}
		switch a.Action {
		case GroupActionAdd:
			_, err = h.AddUserToGroup(ctx, a.GroupName, a.UserID, nil)
		case GroupActionRemove:
			_, err = h.RemoveUserFromGroup(ctx, a.GroupName, a.UserID, nil)
		case GroupActionRemoveAll:
			_, err = h.RemoveUserFromAllGroups(ctx, a.UserID, nil)
		}
		return err
	}
	return nil
}

// onlyRoute keeps the routing field that decided the destination and drops those of lower
// precedence, which the binding ignores too.
func onlyRoute(m Message, connectionID, userID, group string) Message {
	m.ConnectionID, m.UserID, m.GroupName = connectionID, userID, group
	return m
}
