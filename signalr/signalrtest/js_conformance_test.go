package signalrtest_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// The official client, over every transport × protocol, receives what the REST API sends to
// everyone, a user, a group and a connection, and stops receiving group messages once removed.
func TestJSClientReceivesRESTSends(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		hubName, user := hubName("sends", combo), "user-"+strings.ToLower(string(combo.Transport))
		c := e.start(t, combo, hubName, user, jsclient.Config{Targets: []string{"all", "user", "group", "conn", "sentinel"}})
		hub := hubOf(t, e.client, hubName)
		id := c.ConnectionID()
		require.NotEmpty(t, id)

		infos := e.srv.Connections(hubName)
		require.Len(t, infos, 1)
		assert.Equal(t, id, infos[0].ID)
		assert.Equal(t, user, infos[0].UserID)
		assert.Equal(t, string(combo.Protocol), infos[0].Protocol)
		assert.Equal(t, string(combo.Transport), infos[0].Transport)

		// Arguments survive REST JSON → the client's protocol, including a payload big enough
		// to span several WebSocket frames and SSE/long-poll reads.
		big := strings.Repeat("0123456789abcdef", 64<<10/16)
		_, err := hub.SendToAll(ctx, signalr.Message{Target: "all", Arguments: []any{
			"héllo ✓ 🚀", 42, 1.5, true, nil, []int{1, 2}, map[string]any{"k": "v", "n": map[string]int{"x": 1}}, big,
		}}, nil)
		require.NoError(t, err)
		ev, err := c.WaitFor(ctx, jsclient.IsMessage("all"))
		require.NoError(t, err)
		require.Len(t, ev.Args, 8)
		for i, want := range []string{`"héllo ✓ 🚀"`, `42`, `1.5`, `true`, `null`, `[1,2]`, `{"k":"v","n":{"x":1}}`} {
			assert.JSONEq(t, want, string(ev.Args[i]), "argument %d", i)
		}
		var gotBig string
		require.NoError(t, ev.Arg(7, &gotBig))
		assert.Equal(t, big, gotBig)

		send := func(target string, f func() error) {
			t.Helper()
			require.NoError(t, f(), target)
			ev, err := c.WaitFor(ctx, jsclient.IsMessage(target))
			require.NoError(t, err, target)
			assert.Equal(t, target, ev.Target)
		}
		msg := func(target string) signalr.Message { return signalr.Message{Target: target, Arguments: []any{target}} }
		send("user", func() error { _, err := hub.SendToUser(ctx, user, msg("user"), nil); return err })
		send("conn", func() error { _, err := hub.SendToConnection(ctx, id, msg("conn"), nil); return err })

		// notReceived proves a group send did not arrive: the sentinel broadcast after it does,
		// and the connection's messages arrive in order.
		notReceived := func(what string) {
			t.Helper()
			_, err := hub.SendToGroup(ctx, "g", msg("group"), nil)
			require.NoError(t, err)
			_, err = hub.SendToAll(ctx, msg("sentinel"), nil)
			require.NoError(t, err)
			_, err = c.WaitFor(ctx, jsclient.IsMessage("sentinel"))
			require.NoError(t, err)
			for _, p := range c.Pending() {
				assert.NotEqual(t, "group", p.Target, what)
			}
		}
		notReceived("before joining")

		_, err = hub.AddConnectionToGroup(ctx, "g", id, nil)
		require.NoError(t, err)
		send("group", func() error { _, err := hub.SendToGroup(ctx, "g", msg("group"), nil); return err })
		_, err = hub.RemoveConnectionFromGroup(ctx, "g", id, nil)
		require.NoError(t, err)
		notReceived("after RemoveConnectionFromGroup")

		_, err = hub.AddUserToGroup(ctx, "g", user, nil)
		require.NoError(t, err)
		send("group", func() error { _, err := hub.SendToGroup(ctx, "g", msg("group"), nil); return err })
		_, err = hub.RemoveUserFromGroup(ctx, "g", user, nil)
		require.NoError(t, err)
		notReceived("after RemoveUserFromGroup")

		// Excluded connections are skipped by a broadcast.
		_, err = hub.SendToAll(ctx, msg("all"), &signalr.SendToAllOptions{Excluded: []string{id}})
		require.NoError(t, err)
		_, err = hub.SendToAll(ctx, msg("sentinel"), nil)
		require.NoError(t, err)
		_, err = c.WaitFor(ctx, jsclient.IsMessage("sentinel"))
		require.NoError(t, err)
		assert.Empty(t, c.Pending(), "the excluded connection got the broadcast")
	})
}

// A user-group membership with a TTL ends when the TTL passes, for connections already in the
// group too (Microsoft's emulator keeps those; service-protocol.md §5).
func TestJSClientUserGroupTTL(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	combos := jsclient.Combinations()
	clients := make([]*jsclient.Client, len(combos))
	errs := make([]error, len(combos))
	var wg sync.WaitGroup
	for i, combo := range combos {
		hub := hubName("ttl", combo)
		token := e.token(t, hub, "ttl-user")
		wg.Go(func() { // node starts in parallel; t.Fatal stays on the test goroutine
			clients[i], errs[i] = jsclient.Connect(t, jsclient.Config{
				URL: e.clientURL(hub), Transport: combo.Transport, Protocol: combo.Protocol,
				AccessToken: token, Targets: []string{"group", "sentinel"},
			})
		})
	}
	wg.Wait()
	ctx := ctxFor(t)
	for i, combo := range combos {
		require.NoError(t, errs[i], combo.Name())
		hub := hubOf(t, e.client, hubName("ttl", combo))
		_, err := hub.AddUserToGroup(ctx, "timed", "ttl-user", &signalr.AddUserToGroupOptions{TTL: time.Minute})
		require.NoError(t, err)
		_, err = hub.SendToGroup(ctx, "timed", signalr.Message{Target: "group", Arguments: []any{"in"}}, nil)
		require.NoError(t, err)
		_, err = clients[i].WaitFor(ctx, jsclient.IsMessage("group"))
		require.NoError(t, err, combo.Name())
	}

	// Every client is connected and tokens are checked only at connect time, so moving the
	// shared clock past the TTL affects nothing but the memberships.
	e.clock.Advance(2 * time.Minute)

	for i, combo := range combos {
		hub := hubOf(t, e.client, hubName("ttl", combo))
		_, err := hub.SendToGroup(ctx, "timed", signalr.Message{Target: "group", Arguments: []any{"expired"}}, nil)
		require.NoError(t, err)
		_, err = hub.SendToAll(ctx, signalr.Message{Target: "sentinel"}, nil)
		require.NoError(t, err)
		_, err = clients[i].WaitFor(ctx, jsclient.IsMessage("sentinel"))
		require.NoError(t, err, combo.Name())
		assert.Empty(t, clients[i].Pending(), "%s: a group message arrived after the TTL", combo.Name())
		in, err := hub.UserInGroup(ctx, "timed", "ttl-user", nil)
		require.NoError(t, err)
		assert.False(t, in, combo.Name())
	}
}

// CloseConnection with a reason ends the client's connection, and the client reports the
// reason in its close error.
func TestJSClientClosedWithReason(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		hubName := hubName("close", combo)
		c := e.start(t, combo, hubName, "closer", jsclient.Config{})
		_, err := hubOf(t, e.client, hubName).CloseConnection(ctx, c.ConnectionID(), &signalr.CloseConnectionOptions{Reason: "maintenance window"})
		require.NoError(t, err)
		ev, err := c.WaitFor(ctx, jsclient.IsKind(jsclient.EventClose))
		require.NoError(t, err)
		assert.Equal(t, "Server returned an error on close: maintenance window", ev.Error)
		assert.Eventually(t, func() bool { return len(e.srv.Connections(hubName)) == 0 }, 5*time.Second, 10*time.Millisecond)
		exists, err := hubOf(t, e.client, hubName).ConnectionExists(ctx, c.ConnectionID(), nil)
		require.NoError(t, err)
		assert.False(t, exists)
	})
}

// send() and invoke() reach the upstream with every X-ASRS header and a valid signature per
// key, and invoke() gets the upstream's result, its error, or the service's error text.
func TestJSClientUpstreamInvocations(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		hubName, user := hubName("upstream", combo), "up-user"
		c := e.start(t, combo, hubName, user, jsclient.Config{})
		id := c.ConnectionID()

		connected := e.up.wait(t, "connected event", event(id, "connections", "connected"))
		assert.Equal(t, hubName, connected.Hub)
		assert.Equal(t, user, connected.UserID)
		assert.Contains(t, connected.ClientQuery, "hub="+hubName)

		require.NoError(t, c.Send(ctx, "notify", "fire", "and forget"))
		sent := e.up.wait(t, "send", event(id, "messages", "notify"))
		assert.Equal(t, hubName, sent.Hub)
		assert.Equal(t, user, sent.UserID)
		assert.Equal(t, string(combo.Protocol), sent.Protocol)
		assert.Empty(t, sent.Message.InvocationID, "send() carries no invocation id")
		assert.Equal(t, "fire", argString(t, sent, 0))
		assert.Equal(t, "and forget", argString(t, sent, 1))
		assert.Contains(t, sent.UserClaims, user)

		tests := []struct {
			name, target string
			args         []any
			want         string // JSON result
			wantErr      string // the client's error text
		}{
			{"result", "echo", []any{map[string]any{"a": []int{1, 2}, "s": "ü"}}, `{"a":[1,2],"s":"ü"}`, ""},
			{"scalar result", "echo", []any{7}, `7`, ""},
			{"error completion", "fail", nil, "", "upstream says no"},
			{"failed status", "status", []any{500}, "", "Invocation failed, status code 500"},
			{"forbidden status", "status", []any{403}, "", "Invocation failed, status code 403"},
			{"void", "void", nil, `null`, ""},
		}
		for _, tt := range tests {
			got, err := c.Invoke(ctx, tt.target, tt.args...)
			if tt.wantErr != "" {
				var jsErr *jsclient.JSError
				require.ErrorAs(t, err, &jsErr, tt.name)
				assert.Equal(t, tt.wantErr, jsErr.Message, tt.name)
				continue
			}
			require.NoError(t, err, tt.name)
			assert.JSONEq(t, tt.want, string(got), tt.name)
		}
		// Large arguments cross every transport both ways (WebSocket fragments, long-poll and
		// SSE POST bodies, SSE data lines), below the service's 1 MB limit for LP/SSE sends.
		big := strings.Repeat("large ü payload ", 300<<10/17)
		got, err := c.Invoke(ctx, "echo", big)
		require.NoError(t, err)
		var gotBig string
		require.NoError(t, json.Unmarshal(got, &gotBig))
		assert.Equal(t, big, gotBig)

		// MessagePack carries binary arguments as bin; they come back as bytes.
		if combo.Protocol == jsclient.MessagePack {
			blob := jsclient.Binary{0, 1, 2, 0xfe, 0xff}
			got, err := c.Invoke(ctx, "echo", blob)
			require.NoError(t, err)
			var back jsclient.Binary
			require.NoError(t, json.Unmarshal(got, &back))
			assert.Equal(t, blob, back)
		}

		// Serverless mode has no streaming; the emulator says so instead of leaving the
		// stream open forever as Azure does.
		_, err = c.Stream(ctx, "counter", 3)
		var jsErr *jsclient.JSError
		require.ErrorAs(t, err, &jsErr)
		assert.Equal(t, "Stream invocation is not supported in serverless mode.", jsErr.Message)

		inv := e.up.wait(t, "invoke", event(id, "messages", "echo"))
		assert.NotEmpty(t, inv.Message.InvocationID, "invoke() carries its invocation id upstream")

		require.NoError(t, c.Stop(ctx))
		_, err = c.WaitFor(ctx, jsclient.IsKind(jsclient.EventClose))
		require.NoError(t, err)
		e.up.wait(t, "disconnected event", event(id, "connections", "disconnected"))
	})
}

// An invoke() no upstream rule matches gets an error instead of hanging (the default; Azure
// and StrictAzure drop it), and a send() is dropped without closing the connection.
func TestJSClientUnroutedInvocation(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, &signalrtest.Options{Upstream: []signalrtest.UpstreamTemplate{
		{UrlTemplate: upstreamURL, HubPattern: "routed", CategoryPattern: "*", EventPattern: "*"},
	}})
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		hubName := hubName("unrouted", combo)
		c := e.start(t, combo, hubName, "", jsclient.Config{})
		require.NoError(t, c.Send(ctx, "notify", "dropped"))
		_, err := c.Invoke(ctx, "echo", "x")
		var jsErr *jsclient.JSError
		require.ErrorAs(t, err, &jsErr)
		assert.Equal(t, "No upstream is configured for event 'echo' of hub '"+hubName+"'.", jsErr.Message)
		state, _, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, "Connected", state)
		assert.Zero(t, e.up.count(func(u upstreamCall) bool { return u.Hub == hubName }), "nothing of this hub goes upstream")
	})
}

// Expired, not-yet-valid, forged and missing tokens are refused before a connection exists; an
// audience that differs only by port is accepted (service-protocol.md §2.1: compare ignoring
// port), as the SDKs disagree on whether to include it.
func TestJSClientTokens(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		hub := hubName("tokens", combo)
		now := time.Now()
		expired := tokenClaims(hub, "u", now.Add(-2*time.Hour)) // exp an hour ago
		future := tokenClaims(hub, "u", now)
		future["nbf"] = now.Add(time.Hour).Unix()
		withPort := tokenClaims(hub, "u", now)
		withPort["aud"] = e.srv.URL + "/client/?hub=" + hub

		tests := []struct {
			name    string
			token   string
			wantErr string
		}{
			{"expired", signToken(t, expired, signalrtest.DefaultAccessKey), "401"},
			{"not yet valid", signToken(t, future, signalrtest.DefaultAccessKey), "401"},
			{"forged", signToken(t, tokenClaims(hub, "u", now), "not-the-access-key-at-all-0123456789abcdef"), "401"},
			{"garbage", "not.a.jwt", "401"},
			{"secondary key", signToken(t, tokenClaims(hub, "u", now), jsSecondaryKey), ""},
			{"audience with port", signToken(t, withPort, signalrtest.DefaultAccessKey), ""},
		}
		for _, tt := range tests {
			_, err := jsclient.Connect(t, jsclient.Config{URL: e.clientURL(hub), Transport: combo.Transport, Protocol: combo.Protocol, AccessToken: tt.token})
			if tt.wantErr == "" {
				require.NoError(t, err, tt.name)
				continue
			}
			var jsErr *jsclient.JSError
			require.ErrorAs(t, err, &jsErr, tt.name)
			assert.Contains(t, jsErr.Message, tt.wantErr, tt.name)
		}
		_, err := jsclient.Connect(t, jsclient.Config{URL: e.clientURL(hub), Transport: combo.Transport, Protocol: combo.Protocol})
		require.Error(t, err, "no token at all")
		assert.Contains(t, err.Error(), "401")
	})
}

// Client results: REST :invoke (2024-12-01) calls a client method with an invocation id and
// returns what the official client's handler returned; a client without a handler answers
// with the client's own error, which the REST call reports.
func TestJSClientResultsThroughREST(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		hubName := hubName("results", combo)
		c := e.start(t, combo, hubName, "", jsclient.Config{Results: map[string]any{"question": map[string]any{"answer": 42, "unit": "none"}}})
		hub := hubOf(t, e.client, hubName)

		resp, err := hub.InvokeConnection(ctx, c.ConnectionID(), signalr.Message{Target: "question", Arguments: []any{"life?"}}, nil)
		require.NoError(t, err)
		assert.JSONEq(t, `{"answer":42,"unit":"none"}`, string(resp.Result))
		ev, err := c.WaitFor(ctx, jsclient.IsMessage("question"))
		require.NoError(t, err)
		assert.JSONEq(t, `"life?"`, string(ev.Args[0]))

		_, err = hub.InvokeConnection(ctx, c.ConnectionID(), signalr.Message{Target: "unknownMethod"}, nil)
		require.Error(t, err, "the client has no handler, so it answers with an error completion")
		assert.Contains(t, err.Error(), "Client didn't provide a result.")
	})
}

// Above Options.MaxConnections negotiate answers 429, as the service does when the unit's
// connection quota is used up; a freed slot can be taken again.
func TestJSClientConnectionQuota(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, &signalrtest.Options{MaxConnections: 1})
	ctx := ctxFor(t)
	first := e.start(t, jsclient.Combination{Transport: jsclient.WebSockets, Protocol: jsclient.JSON}, "quota", "a", jsclient.Config{})

	_, err := jsclient.Connect(t, jsclient.Config{URL: e.clientURL("quota"), AccessToken: e.token(t, "quota", "b")})
	var jsErr *jsclient.JSError
	require.ErrorAs(t, err, &jsErr)
	assert.Contains(t, jsErr.Message, "429")

	require.NoError(t, first.Stop(ctx))
	require.Eventually(t, func() bool { return len(e.srv.Connections("quota")) == 0 }, 5*time.Second, 10*time.Millisecond)
	_, err = jsclient.Connect(t, jsclient.Config{URL: e.clientURL("quota"), AccessToken: e.token(t, "quota", "c")})
	require.NoError(t, err)
}
