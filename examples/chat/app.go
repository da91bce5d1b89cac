package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/examples/internal/localdev"
	"github.com/funcsignalr/funcsignalr/examples/internal/webassets"
	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
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
	maxUserLength  = 64
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

// chat holds what the functions share: how signed-in users get their tokens.
type chat struct {
	// development trusts the user the page names, for local runs without App Service
	// authentication.
	development bool
	// negotiator mints tokens for signed-in users, built on first use.
	negotiator func() (*negotiate.Negotiator, error)
}

// newApp declares the chat's functions; host.json and */function.json are generated from here.
func newApp(env localdev.Env) (*bindings.App, error) {
	page, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	c := &chat{
		development: env.Development,
		negotiator:  sync.OnceValues(func() (*negotiate.Negotiator, error) { return userNegotiator(env) }),
	}
	app := bindings.NewApp(nil)
	out := bindings.SignalROutput(output, hub, nil)
	anyone := bindings.AuthLevelAnonymous
	post := &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: anyone}
	return app, errors.Join(
		app.HTTP("negotiate", &bindings.HTTPOptions{Methods: []string{"get", "post"}, AuthLevel: anyone}, c.negotiate,
			bindings.SignalRConnectionInfo("connectionInfo", hub, nil)),
		app.HTTP("broadcast", post, c.broadcast, out),
		app.HTTP("sendToUser", post, c.sendToUser, out),
		app.HTTP("joinGroup", post, c.groupAction(signalr.GroupActionAdd), out),
		app.HTTP("leaveGroup", post, c.groupAction(signalr.GroupActionRemove), out),
		app.HTTP("sendToGroup", post, c.sendToGroup, out),
		app.SignalRTrigger("connected", hub, trigger.CategoryConnections, trigger.EventConnected, nil, announce("joined"), out),
		app.SignalRTrigger("disconnected", hub, trigger.CategoryConnections, trigger.EventDisconnected, nil, announce("left"), out),
		app.SignalRMessage("hubBroadcast", hub, "broadcast", &bindings.SignalRTriggerOptions{ParameterNames: []string{"text"}}, hubBroadcast, out),
		app.SignalRMessage("echo", hub, "echo", &bindings.SignalRTriggerOptions{ParameterNames: []string{"text"}}, echo),
		webassets.Register(app, page),
	)
}

// userNegotiator mints tokens for signed-in users on the service the bindings use: the same
// settings, one endpoint or several (Azure__SignalR__Endpoints__<name>), each client routed to
// an online endpoint, primary first. The client's health checks stop when the app stops.
func userNegotiator(env localdev.Env) (*negotiate.Negotiator, error) {
	client, err := serviceClient(env)
	if err != nil {
		return nil, err
	}
	if env.OnClose != nil {
		env.OnClose(func() { _ = client.Close() })
	}
	return negotiate.New(client, nil)
}

// serviceClient reaches the service the bindings use: env.ConnectionString or, under the
// Functions host, the app settings in the environment; the settings of a local run when they
// name endpoints.
func serviceClient(env localdev.Env) (*signalr.Client, error) {
	switch {
	case env.Settings != nil && env.HasEndpointSettings():
		c, err := service.NewClientFromSettings(signalr.DefaultConnectionSetting, env.Settings, nil)
		if err != nil {
			return nil, err
		}
		return c.(*signalr.Client), nil
	case env.ConnectionString != "" && !env.HasEndpointSettings():
		return signalr.NewClientFromConnectionString(env.ConnectionString, nil)
	}
	return signalr.NewClientFromEnvironment(signalr.DefaultConnectionSetting, nil)
}

// negotiate answers the URL and access token a client connects with. Anonymous callers get the
// signalRConnectionInfo input the host minted; signed-in users get a token carrying their id,
// minted here from the same settings. (A userId binding expression such as
// {headers.x-ms-client-principal-id} would fail the whole invocation for anonymous callers.)
func (c *chat) negotiate(ctx context.Context, inv *bindings.Invocation) error {
	req, err := inv.HTTPRequest()
	if err != nil {
		return err
	}
	user, err := c.userOf(req)
	if err != nil {
		return respondError(inv, http.StatusBadRequest, err)
	}
	var info negotiate.ConnectionInfo
	if user == "" {
		info, err = inv.ConnectionInfo()
	} else {
		var n *negotiate.Negotiator
		if n, err = c.negotiator(); err == nil {
			info, err = n.Negotiate(ctx, hub, &negotiate.Options{UserID: user})
		}
	}
	if err != nil {
		return err
	}
	return inv.Respond(http.StatusOK, nil, info)
}

// userOf returns the caller's user id, "" for anonymous: the App Service authentication
// principal, or in development the name the page passes in ?user= (or x-user), which nobody
// verifies.
func (c *chat) userOf(req *bindings.HTTPRequest) (string, error) {
	if id := req.Header(negotiate.HeaderClientPrincipalID); id != "" {
		return id, nil
	}
	if !c.development {
		return "", nil
	}
	user := req.Query["user"]
	if user == "" {
		user = req.Header("x-user")
	}
	if user == "" {
		return "", nil
	}
	return user, checkUser(user)
}

// broadcast sends {text} to everyone.
func (c *chat) broadcast(_ context.Context, inv *bindings.Invocation) error {
	var body struct {
		Text string `json:"text"`
	}
	user, ok := c.readRequest(inv, &body)
	if !ok {
		return nil
	}
	if err := checkText(body.Text); err != nil {
		return respondError(inv, http.StatusBadRequest, err)
	}
	return sendAndAccept(inv, signalr.Message{Target: target, Arguments: []any{chatMessage{Sender: user, Text: body.Text, Kind: kindAll}}})
}

// sendToUser sends {text} to every connection of user {to}.
func (c *chat) sendToUser(_ context.Context, inv *bindings.Invocation) error {
	var body struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	user, ok := c.readRequest(inv, &body)
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
func (c *chat) groupAction(action signalr.GroupActionType) bindings.HandlerFunc {
	return func(_ context.Context, inv *bindings.Invocation) error {
		var body struct {
			Group        string `json:"group"`
			ConnectionID string `json:"connectionId"`
		}
		if _, ok := c.readRequest(inv, &body); !ok {
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
func (c *chat) sendToGroup(_ context.Context, inv *bindings.Invocation) error {
	var body struct {
		Group string `json:"group"`
		Text  string `json:"text"`
	}
	user, ok := c.readRequest(inv, &body)
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

// readRequest decodes the JSON body into v and returns the caller's display name. On bad input
// it has already answered 400 and reports false.
func (c *chat) readRequest(inv *bindings.Invocation, v any) (string, bool) {
	req, err := inv.HTTPRequest()
	if err == nil {
		err = req.JSON(v)
		if err != nil {
			err = fmt.Errorf("the body is not the expected JSON object: %w", err)
		}
	}
	var user string
	if err == nil {
		user, err = c.userOf(req)
	}
	if err != nil {
		_ = respondError(inv, http.StatusBadRequest, err)
		return "", false
	}
	return displayName(user), true
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

func checkUser(user string) error {
	switch {
	case len(user) > maxUserLength:
		return fmt.Errorf("user name is longer than %d bytes", maxUserLength)
	case strings.TrimSpace(user) != user:
		return errors.New("user name must not start or end with spaces")
	}
	for _, r := range user {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return errors.New("user name must be printable UTF-8 text")
		}
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
