package jsclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

func TestClientInvokeSendAndEvents(t *testing.T) {
	t.Parallel()
	hub := newFakeHub(t)
	c := jsclient.Start(t, jsclient.Config{URL: hub.URL(), Targets: []string{"news"}, AccessToken: "tok-1", Headers: map[string]string{"X-Test": "yes"}})
	require.Equal(t, "conn-1", c.ConnectionID())
	ctx := ctxT(t)

	tests := []struct {
		name string
		args []any
		want string
	}{
		{"string", []any{"hi"}, `"hi"`},
		{"object", []any{map[string]any{"a": 1}}, `{"a":1}`},
		{"null", []any{nil}, `null`},
	}
	for _, tt := range tests {
		got, err := c.Invoke(ctx, "echo", tt.args...)
		require.NoError(t, err, tt.name)
		assert.JSONEq(t, tt.want, string(got), tt.name)
	}

	_, err := c.Invoke(ctx, "fail")
	var jsErr *jsclient.JSError
	require.ErrorAs(t, err, &jsErr)
	assert.Equal(t, "invoke", jsErr.Op)
	assert.Contains(t, jsErr.Message, "boom")

	require.NoError(t, c.Send(ctx, "broadcast", "one", 2))
	ev, err := c.WaitFor(ctx, jsclient.IsMessage("news"))
	require.NoError(t, err)
	var s string
	var n int
	require.NoError(t, ev.Arg(0, &s))
	require.NoError(t, ev.Arg(1, &n))
	assert.Equal(t, "one", s)
	assert.Equal(t, 2, n)
	assert.Error(t, ev.Arg(2, &n), "out of range argument")

	raw, err := c.Invoke(ctx, "headers")
	require.NoError(t, err)
	var hdrs []string
	require.NoError(t, json.Unmarshal(raw, &hdrs))
	assert.Contains(t, hdrs, "x-test=yes")
	assert.Contains(t, hdrs, "x-requested-with=XMLHttpRequest")
	assert.Equal(t, []string{"Bearer tok-1"}, hub.authorizations())

	state, id, err := c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Connected", state)
	assert.Equal(t, "conn-1", id)
}

func TestClientWaitForKeepsSkippedEvents(t *testing.T) {
	t.Parallel()
	hub := newFakeHub(t)
	c := jsclient.Start(t, jsclient.Config{URL: hub.URL(), Targets: []string{"news"}})
	ctx := ctxT(t)
	for _, v := range []string{"a", "b", "c"} {
		require.NoError(t, c.Send(ctx, "broadcast", v))
	}
	// Taking the last one first leaves the other two queued in order.
	last, err := c.WaitFor(ctx, func(e jsclient.Event) bool { return e.Kind == jsclient.EventMessage && string(e.Args[0]) == `"c"` })
	require.NoError(t, err)
	assert.JSONEq(t, `"c"`, string(last.Args[0]))
	for _, want := range []string{`"a"`, `"b"`} {
		ev, err := c.Next(ctx)
		require.NoError(t, err)
		assert.JSONEq(t, want, string(ev.Args[0]))
	}
	assert.Empty(t, c.Pending())

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Next(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestClientResultsAndOnOff(t *testing.T) {
	t.Parallel()
	hub := newFakeHub(t)
	c := jsclient.Start(t, jsclient.Config{URL: hub.URL(), Targets: []string{"answer"}, Results: map[string]any{"question": 42}})
	ctx := ctxT(t)
	require.NoError(t, c.Send(ctx, "ask", "life?"))
	q, err := c.WaitFor(ctx, jsclient.IsMessage("question"))
	require.NoError(t, err)
	assert.JSONEq(t, `"life?"`, string(q.Args[0]))
	a, err := c.WaitFor(ctx, jsclient.IsMessage("answer"))
	require.NoError(t, err)
	assert.JSONEq(t, `42`, string(a.Args[0]))

	require.NoError(t, c.OnResult(ctx, "question", map[string]string{"k": "v"}))
	require.NoError(t, c.Send(ctx, "ask", "again"))
	a, err = c.WaitFor(ctx, jsclient.IsMessage("answer"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"k":"v"}`, string(a.Args[0]))

	require.NoError(t, c.On(ctx, "news"))
	require.NoError(t, c.Off(ctx, "answer"))
	require.NoError(t, c.Send(ctx, "broadcast", "x"))
	_, err = c.WaitFor(ctx, jsclient.IsMessage("news"))
	require.NoError(t, err)
}

func TestClientCloseFromServer(t *testing.T) {
	t.Parallel()
	hub := newFakeHub(t)
	c := jsclient.Start(t, jsclient.Config{URL: hub.URL()})
	ctx := ctxT(t)
	require.NoError(t, c.Send(ctx, "close"))
	ev, err := c.WaitFor(ctx, jsclient.IsKind(jsclient.EventClose))
	require.NoError(t, err)
	assert.Equal(t, "Server returned an error on close: bye", ev.Error)

	// A stopped client can start again.
	id, err := c.Restart(ctx)
	require.NoError(t, err)
	assert.Equal(t, "conn-1", id)
	require.NoError(t, c.Stop(ctx))
	ev, err = c.WaitFor(ctx, jsclient.IsKind(jsclient.EventClose))
	require.NoError(t, err)
	assert.Empty(t, ev.Error, "a clean stop closes without error")
}

func TestClientDropWebSocket(t *testing.T) {
	t.Parallel()
	hub := newFakeHub(t)
	c := jsclient.Start(t, jsclient.Config{URL: hub.URL()})
	ctx := ctxT(t)
	require.NoError(t, c.DropWebSocket(ctx))
	ev, err := c.WaitFor(ctx, jsclient.IsKind(jsclient.EventClose))
	require.NoError(t, err)
	assert.Contains(t, ev.Error, "1006", "an abrupt drop is an unclean close")

	err = c.DropWebSocket(ctx)
	var jsErr *jsclient.JSError
	require.ErrorAs(t, err, &jsErr, "nothing to drop once closed")
}

func TestConnectReportsStartFailure(t *testing.T) {
	t.Parallel()
	hub := newFakeHub(t)
	tests := []struct {
		name string
		cfg  jsclient.Config
		want string
	}{
		{"refused negotiate", jsclient.Config{URL: hub.URL(), AccessToken: "refused"}, "401"},
		{"no server", jsclient.Config{URL: "http://127.0.0.1:1/hub"}, "Failed to complete negotiation"},
		{"unknown transport", jsclient.Config{URL: hub.URL(), Transport: "Pigeon"}, "unknown transport"},
		{"unknown protocol", jsclient.Config{URL: hub.URL(), Protocol: "xml"}, "unknown protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := jsclient.Connect(t, tt.cfg)
			var jsErr *jsclient.JSError
			require.ErrorAs(t, err, &jsErr)
			assert.Equal(t, "start", jsErr.Op)
			assert.Contains(t, jsErr.Message, tt.want)
		})
	}
	_, err := jsclient.Connect(t, jsclient.Config{})
	require.ErrorContains(t, err, "Config.URL is empty")
}

func TestCommandsAfterExit(t *testing.T) {
	t.Parallel()
	c, err := jsclient.Connect(t, jsclient.Config{URL: "http://127.0.0.1:1/hub", Transport: "Pigeon"})
	require.Error(t, err)
	// The driver exits after an unusable config; commands then fail at once instead of
	// waiting for a reply: either the exit was already seen or the write hits a closed pipe.
	err = c.Send(ctxT(t), "x")
	require.Error(t, err)
	if !errors.Is(err, jsclient.ErrExited) {
		require.ErrorContains(t, err, "write command")
	}
	_, err = c.Next(ctxT(t))
	require.ErrorIs(t, err, jsclient.ErrExited)
}

func TestBinaryJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(jsclient.Binary{1, 2, 255})
	require.NoError(t, err)
	assert.JSONEq(t, `{"$binary":"AQL/"}`, string(b))
	var back jsclient.Binary
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, jsclient.Binary{1, 2, 255}, back)
	require.Error(t, json.Unmarshal([]byte(`{"$binary":"!!"}`), &back))
	require.Error(t, json.Unmarshal([]byte(`"plain"`), &back))
}

func TestCombinations(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, c := range jsclient.Combinations() {
		names[c.Name()] = true
		assert.False(t, c.Transport == jsclient.ServerSentEvents && c.Protocol == jsclient.MessagePack, "the client refuses MessagePack over SSE")
	}
	assert.Len(t, names, 5)
}
