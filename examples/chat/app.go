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
)

const (
	// hub is the SignalR hub every function of the chat uses.
	hub = "chat"
	// target is the client method that shows a message.
	target = "newMessage"
	// output is the name of the signalR output binding.
	output = "signalRMessages"

	maxTextLength  = 1000
	maxGroupLength = 64
)

// Message kinds, which the page styles differently.
const (
	kindAll    = "all"
	kindDM     = "dm"
	kindGroup  = "group"
	kindSystem = "system"
)

// chatMessage is the one argument of newMessage.
type chatMessage struct {
	Sender string `json:"sender"`
	Text   string `json:"text"`
	Kind   string `json:"kind"`
	Group  string `json:"group,omitempty"`
}

// echoReply answers the echo hub method. An object rather than a bare string: the Functions
// host base64-decodes string return values that happen to be valid base64 ("test", "abcd").
type echoReply struct {
	Text string `json:"text"`
	User string `json:"user"`
}

// newApp declares the chat's functions; host.json and */function.json are generated from here.
func newApp() (*bindings.App, error) {
	page, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	app := bindings.NewApp(nil)
	out := bindings.SignalROutput(output, hub, nil)
	post := &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: bindings.AuthLevelAnonymous}
	return app, errors.Join(
		// Browsers call negotiate without a function key. The user is whoever App Service
		// authentication signed in (locally, whoever the page says it is).
		app.Negotiate("negotiate", hub, &bindings.NegotiateOptions{
			AuthLevel:      bindings.AuthLevelAnonymous,
			ConnectionInfo: &bindings.ConnectionInfoOptions{UserID: "{headers.x-ms-client-principal-id}"},
		}),
		app.HTTP("broadcast", post, broadcast, out),
		app.HTTP("sendToUser", post, sendToUser, out),
		app.HTTP("joinGroup", post, groupAction(signalr.GroupActionAdd), out),
		app.HTTP("leaveGroup", post, groupAction(signalr.GroupActionRemove), out),
		app.HTTP("sendToGroup", post, sendToGroup, out),
		app.SignalRTrigger("connected", hub, bindings.CategoryConnections, bindings.EventConnected, nil, announce("joined"), out),
		app.SignalRTrigger("disconnected", hub, bindings.CategoryConnections, bindings.EventDisconnected, nil, announce("left"), out),
		app.SignalRMessage("hubBroadcast", hub, "broadcast", &bindings.SignalRTriggerOptions{ParameterNames: []string{"text"}}, hubBroadcast, out),
		app.SignalRMessage("echo", hub, "echo", &bindings.SignalRTriggerOptions{ParameterNames: []string{"text"}}, echo),
		webassets.Register(app, page),
	)
}

// broadcast sends {text} to everyone.
func broadcast(_ context.Context, inv *bindings.Invocation) error {
	var body struct {
		Text string `json:"text"`
	}
	user, ok := readRequest(inv, &body)
	if !ok {
		return nil
	}
	if err := checkText(body.Text); err != nil {
		return respondError(inv, http.StatusBadRequest, err)
	}
	return sendAndAccept(inv, signalr.Message{Target: target, Arguments: []any{chatMessage{Sender: user, Text: body.Text, Kind: kindAll}}})
}

// sendToUser sends {text} to every connection of user {to}.
func sendToUser(_ context.Context, inv *bindings.Invocation) error {
	var body struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	user, ok := readRequest(inv, &body)
	if !ok {
		return nil
	}
	if body.To == "" {
		return respondError(inv, http.StatusBadRequest, errors.New("to is empty; expected the user to send to"))
	}
	if err := checkText(body.Text); err != nil {
		return respondError(inv, http.StatusBadRequest, err)
	}
	return sendAndAccept(inv, signalr.Message{Target: target, UserID: body.To, Arguments: []any{chatMessage{Sender: user, Text: body.Text, Kind: kindDM}}})
}

// groupAction adds connection {connectionId} to, or removes it from, group {group}.
func groupAction(action signalr.GroupActionType) bindings.HandlerFunc {
	return func(_ context.Context, inv *bindings.Invocation) error {
		var body struct {
			Group        string `json:"group"`
			ConnectionID string `json:"connectionId"`
		}
		if _, ok := readRequest(inv, &body); !ok {
			return nil
		}
		if err := checkGroup(body.Group); err != nil {
			return respondError(inv, http.StatusBadRequest, err)
		}
		if body.ConnectionID == "" {
			return respondError(inv, http.StatusBadRequest, errors.New("connectionId is empty; expected the caller's SignalR connection id"))
		}
		return sendAndAccept(inv, signalr.GroupAction{Action: action, GroupName: body.Group, ConnectionID: body.ConnectionID})
	}
}

// sendToGroup sends {text} to the members of group {group}.
func sendToGroup(_ context.Context, inv *bindings.Invocation) error {
	var body struct {
		Group string `json:"group"`
		Text  string `json:"text"`
	}
	user, ok := readRequest(inv, &body)
	if !ok {
		return nil
	}
	if err := checkGroup(body.Group); err != nil {
		return respondError(inv, http.StatusBadRequest, err)
	}
	if err := checkText(body.Text); err != nil {
		return respondError(inv, http.StatusBadRequest, err)
	}
	return sendAndAccept(inv, signalr.Message{Target: target, GroupName: body.Group,
		Arguments: []any{chatMessage{Sender: user, Text: body.Text, Kind: kindGroup, Group: body.Group}}})
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
// everyone, like the broadcast HTTP function but through the service's upstream.
func hubBroadcast(_ context.Context, inv *bindings.Invocation, text string) error {
	if err := checkText(text); err != nil {
		return err
	}
	ic, err := inv.InvocationContext()
	if err != nil {
		return err
	}
	return inv.Send(signalr.Message{Target: target, Arguments: []any{chatMessage{Sender: displayName(ic.UserID), Text: text, Kind: kindAll}}})
}

// echo is the hub method "echo": connection.invoke("echo", text) resolves to the reply.
func echo(_ context.Context, inv *bindings.Invocation, text string) (echoReply, error) {
	if err := checkText(text); err != nil {
		return echoReply{}, err
	}
	ic, err := inv.InvocationContext()
	if err != nil {
		return echoReply{}, err
	}
	return echoReply{Text: text, User: ic.UserID}, nil
}

// readRequest decodes the JSON body into v and returns the signed-in user. On bad input it has
// already answered 400 and reports false.
func readRequest(inv *bindings.Invocation, v any) (string, bool) {
	req, err := inv.HTTPRequest()
	if err == nil {
		err = req.JSON(v)
	}
	if err != nil {
		_ = respondError(inv, http.StatusBadRequest, fmt.Errorf("the body is not the expected JSON object: %w", err))
		return "", false
	}
	return displayName(req.Header(negotiate.HeaderClientPrincipalID)), true
}

// sendAndAccept queues item on the signalR output, which the host applies after the function
// returns, and answers 202.
func sendAndAccept(inv *bindings.Invocation, item signalr.Action) error {
	if err := inv.Send(item); err != nil {
		return respondError(inv, http.StatusBadRequest, err)
	}
	return inv.Respond(http.StatusAccepted, nil, map[string]bool{"accepted": true})
}

// respondError answers {"error": "..."}, which the page shows.
func respondError(inv *bindings.Invocation, status int, err error) error {
	return inv.Respond(status, nil, map[string]string{"error": err.Error()})
}

func displayName(user string) string {
	if user == "" {
		return "anonymous"
	}
	return user
}

func checkText(text string) error {
	switch {
	case strings.TrimSpace(text) == "":
		return errors.New("text is empty; expected a message")
	case utf8.RuneCountInString(text) > maxTextLength:
		return fmt.Errorf("text is longer than %d characters", maxTextLength)
	}
	return nil
}

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
