// Package outputitem is the one classifier and validator of signalR output-binding items, shared
// by package bindings (items a function sends), the fake Functions host (items a handler
// answers as JSON) and, through signalr's own Validate methods, signalr.HubClient.Apply.
//
// Parse reads an item the way the Functions SignalR extension's SignalROutputConverter does
// (custom-handler protocol notes §8.4): an object with a target is a message, its arguments
// optional; otherwise an object with an action (add, remove or removeAll in any casing) is a
// group action. Check validates a typed item with signalr's rules. SkippedByExtension names the
// one valid item the extension drops without a word: removeAll addressed to a connection.
package outputitem

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// ErrNotConvertible is the extension's answer to an item that is neither shape, in its own words.
var ErrNotConvertible = errors.New("Unable to convert JObject to valid output binding type, check parameters.")

// Parse decodes one signalR output item, a JSON object, into a signalr.Message or a
// signalr.GroupAction, as the extension's converter does: property names without case, string
// properties also taken from numbers and booleans (as their JSON text), a message's arguments
// absent, null or an array, a group action's action in any casing. It does not validate the
// result; Check does.
func Parse(raw []byte) (signalr.Action, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return nil, errors.New("not a JSON object: the collector receives null and fails with \"Value cannot be null. (Parameter 'item')\"")
	}
	props := map[string]json.RawMessage{}
	// A repeated name is seen twice and the later value wins, as in the extension's JObject.
	if err := jsonwire.EachMember(raw, func(k string, v json.RawMessage) error {
		props[strings.ToLower(k)] = bytes.TrimSpace(v)
		return nil
	}); err != nil {
		return nil, ErrNotConvertible
	}
	text := func(name string) (string, bool) {
		v, ok := props[name]
		if !ok || isNull(v) {
			return "", true
		}
		switch v[0] {
		case '{', '[':
			return "", false
		case '"':
			var s string
			_ = json.Unmarshal(v, &s)
			return s, true
		}
		return string(v), true // JsonReader.ReadAsString takes a number or boolean as its text
	}
	target, targetOK := text("target")
	args := props["arguments"]
	if v, present := props["target"]; present && !isNull(v) && targetOK && (isNull(args) || args[0] == '[') {
		m := signalr.Message{Target: target}
		if !isNull(args) {
			var list []json.RawMessage
			if err := json.Unmarshal(args, &list); err != nil {
				return nil, ErrNotConvertible
			}
			for _, a := range list {
				m.Arguments = append(m.Arguments, a)
			}
		}
		var ok1, ok2, ok3 bool
		m.ConnectionID, ok1 = text("connectionid")
		m.UserID, ok2 = text("userid")
		m.GroupName, ok3 = text("groupname")
		if err := endpoints(props["endpoints"], &m.Endpoints); ok1 && ok2 && ok3 && err == nil {
			return m, nil
		}
	}
	if action, present := props["action"]; present && !isNull(action) {
		var a signalr.GroupAction
		name := ""
		if action[0] == '"' {
			_ = json.Unmarshal(action, &name)
		}
		for _, v := range signalr.PossibleGroupActionTypeValues() {
			if strings.EqualFold(name, string(v)) {
				a.Action = v
			}
		}
		var ok1, ok2, ok3 bool
		a.ConnectionID, ok1 = text("connectionid")
		a.UserID, ok2 = text("userid")
		a.GroupName, ok3 = text("groupname")
		if err := endpoints(props["endpoints"], &a.Endpoints); a.Action != "" && ok1 && ok2 && ok3 && err == nil {
			return a, nil
		}
	}
	return nil, ErrNotConvertible
}

// Check returns item as a value (a *signalr.Message or *signalr.GroupAction is dereferenced) once
// signalr's Validate accepts it: a message needs a target, a group action a known action, the
// group of add and remove, and a connection or user id; the id that routes an item must not be
// a dot segment.
func Check(item signalr.Action) (signalr.Action, error) {
	var a signalr.Action
	switch v := item.(type) {
	case signalr.Message, signalr.GroupAction:
		a = v
	case *signalr.Message:
		if v != nil {
			a = *v
		}
	case *signalr.GroupAction:
		if v != nil {
			a = *v
		}
	}
	if a == nil {
		return nil, errors.New("item is nil; expected a signalr.Message or signalr.GroupAction")
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// SkippedByExtension reports a removeAll group action addressed to a connection, which the
// extension's collector drops without a word (SignalRAsyncCollector.cs handles only add and
// remove for a connection id; §8.4). signalr.HubClient.Apply carries it out.
func SkippedByExtension(item signalr.Action) bool {
	var a signalr.GroupAction
	switch x := item.(type) {
	case signalr.GroupAction:
		a = x
	case *signalr.GroupAction:
		if x == nil {
			return false
		}
		a = *x
	default:
		return false
	}
	return strings.EqualFold(string(a.Action), string(signalr.GroupActionRemoveAll)) && a.ConnectionID != ""
}

func endpoints(raw json.RawMessage, dst *[]signalr.EndpointRef) error {
	if isNull(raw) {
		return nil
	}
	return json.Unmarshal(raw, dst)
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}
