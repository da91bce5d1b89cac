package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/examples/internal/webassets"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

const (
	hub    = "chat"            // the SignalR hub of every function
	target = "newMessage"      // the client method that shows a message
	output = "signalRMessages" // the signalR output binding

	maxTextLength, maxGroupLength = 1000, 64
)

// Message kinds, which the page styles differently.
const kindAll, kindDM, kindGroup, kindSystem = "all", "dm", "group", "system"

// chatMessage is the one argument of newMessage.
type chatMessage struct {
	Sender string `json:"sender"`
	Text   string `json:"text"`
	Kind   string `json:"kind"`
	Group  string `json:"group,omitempty"`
}

// echoReply answers the echo hub method: an object, since the Functions host base64-decodes
// string return values that happen to be valid base64 ("test").
type echoReply struct {
	Text string `json:"text"`
	User string `json:"user"`
}

// request is the JSON body of the HTTP functions; each reads the fields it needs.
type request struct {
	Text         string `json:"text"`
	To           string `json:"to"`
	Group        string `json:"group"`
	ConnectionID string `json:"connectionId"`
}

// newApp declares the chat's functions; host.json and */function.json are generated from here.
func newApp() (*bindings.App, error) {
	page, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	app := bindings.NewApp(nil)
	anyone := bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}
	post := &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: bindings.AuthLevelAnonymous}
	out := bindings.SignalROutput(output, hub, nil)
	send := func(name string, action func(sender string, r request) (signalr.Action, error)) error {
		return app.HTTP(name, post, httpFunction(action), out)
	}
	text := &bindings.SignalRTriggerOptions{ParameterNames: []string{"text"}}
	return app, errors.Join(
		// The token names the user App Service authentication signed in, or none: anonymous
		// visitors read along.
		app.Negotiate("negotiate", hub, &bindings.NegotiateOptions{HTTPOptions: anyone, Mint: &negotiate.HandlerOptions{}}),
		send("broadcast", message(kindAll)),
		send("sendToUser", message(kindDM)),
		send("sendToGroup", message(kindGroup)),
		send("joinGroup", groupAction(signalr.GroupActionAdd)),
		send("leaveGroup", groupAction(signalr.GroupActionRemove)),
		app.SignalRTrigger("connected", hub, trigger.CategoryConnections, trigger.EventConnected, nil, announce("joined"), out),
		app.SignalRTrigger("disconnected", hub, trigger.CategoryConnections, trigger.EventDisconnected, nil, announce("left"), out),
		app.SignalRMessage("hubBroadcast", hub, "broadcast", text, hubBroadcast, out),
		app.SignalRMessage("echo", hub, "echo", text, echo),
		webassets.Register(app, page),
	)
}

// httpFunction reads the caller (the user App Service authentication signed in, else
// anonymous) and the JSON body, sends what action makes of them through the signalR output and
// answers 202; bad input answers 400 {"error": …} and sends nothing.
func httpFunction(action func(sender string, r request) (signalr.Action, error)) bindings.HandlerFunc {
	return func(ctx context.Context, inv *bindings.Invocation) error {
		req, err := inv.HTTPRequest()
		if err != nil {
			return err
		}
		r, err := req.ToHTTPRequest(ctx)
		if err != nil {
			return err
		}
		var body request
		var item signalr.Action
		p, err := negotiate.PrincipalFromRequest(r)
		if errors.Is(err, negotiate.ErrNoPrincipal) {
			err = nil
		}
		if err == nil {
			err = req.JSON(&body)
		}
		if err == nil {
			item, err = action(displayName(p.ID), body)
		}
		if err == nil {
			err = inv.Send(item) // refuses ids that are dot segments, among others
		}
		if err != nil {
			return inv.Respond(http.StatusBadRequest, nil, map[string]string{"error": err.Error()})
		}
		return inv.Respond(http.StatusAccepted, nil, map[string]bool{"accepted": true})
	}
}

// message sends {text} from the sender: to everyone, to user {to} (kindDM) or to group {group}.
func message(kind string) func(string, request) (signalr.Action, error) {
	return func(sender string, r request) (signalr.Action, error) {
		m := signalr.Message{Target: target}
		switch kind {
		case kindDM:
			if r.To == "" {
				return nil, errors.New("to is empty; expected the user to send to")
			}
			m.UserID = r.To
		case kindGroup:
			if err := checkGroup(r.Group); err != nil {
				return nil, err
			}
			m.GroupName = r.Group
		}
		if strings.TrimSpace(r.Text) == "" || utf8.RuneCountInString(r.Text) > maxTextLength {
			return nil, fmt.Errorf("text is empty or longer than %d characters; expected a message", maxTextLength)
		}
		m.Arguments = []any{chatMessage{Sender: sender, Text: r.Text, Kind: kind, Group: m.GroupName}}
		return m, nil
	}
}

// groupAction adds connection {connectionId} to, or removes it from, group {group}.
func groupAction(action signalr.GroupActionType) func(string, request) (signalr.Action, error) {
	return func(_ string, r request) (signalr.Action, error) {
		if err := checkGroup(r.Group); err != nil {
			return nil, err
		}
		if r.ConnectionID == "" {
			return nil, errors.New("connectionId is empty; expected the caller's SignalR connection id")
		}
		return signalr.GroupAction{Action: action, GroupName: r.Group, ConnectionID: r.ConnectionID}, nil
	}
}

// announce tells everyone that a connection's user joined or left (the connections category of
// the SignalR trigger, delivered by the service's upstream).
func announce(verb string) bindings.HandlerFunc {
	return func(_ context.Context, inv *bindings.Invocation) error {
		ic, err := inv.InvocationContext()
		if err != nil {
			return err
		}
		return inv.Send(signalr.Message{Target: target, Arguments: []any{chatMessage{Text: displayName(ic.UserID) + " " + verb, Kind: kindSystem}}})
	}
}

// hubBroadcast is the hub method "broadcast": connection.send("broadcast", text) reaches
// everyone, like the broadcast function but through the service's upstream.
func hubBroadcast(_ context.Context, inv *bindings.Invocation, text string) error {
	ic, err := inv.InvocationContext()
	if err != nil {
		return err
	}
	m, err := message(kindAll)(displayName(ic.UserID), request{Text: text})
	if err != nil {
		return err
	}
	return inv.Send(m)
}

// echo is the hub method "echo": connection.invoke("echo", text) resolves to the reply.
func echo(_ context.Context, inv *bindings.Invocation, text string) (echoReply, error) {
	ic, err := inv.InvocationContext()
	if err != nil {
		return echoReply{}, err
	}
	if _, err := message(kindAll)("", request{Text: text}); err != nil {
		return echoReply{}, err
	}
	return echoReply{Text: text, User: ic.UserID}, nil
}

func displayName(user string) string {
	if user == "" {
		return "anonymous"
	}
	return user
}

// checkGroup refuses a group name that is missing, too long or not printable.
func checkGroup(group string) error {
	switch {
	case group == "":
		return errors.New("group is empty; expected a group name")
	case len(group) > maxGroupLength:
		return fmt.Errorf("group is longer than %d bytes", maxGroupLength)
	}
	for _, r := range group {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return errors.New("group must be printable UTF-8 text")
		}
	}
	return nil
}
