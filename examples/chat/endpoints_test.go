package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bytes"
	"github.com/funcsignalr/funcsignalr/examples/internal/localdev"
	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
	"net/http/httptest"
)

// startChatOnEndpoints runs the chat locally with two emulators, as
// `go run ./examples/chat -endpoints 2` does.
func startChatOnEndpoints(t *testing.T) *localdev.Server {
	t.Helper()
	s, err := localdev.Start(localdev.Config{Name: "chat", Build: newApp, Addr: "127.0.0.1:0", Endpoints: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.Len(t, s.Emulators(), 2)
	return s
}

// negotiateAs calls the chat's negotiate function as user ("" for anonymous).
func negotiateAs(t *testing.T, s *localdev.Server, user string) negotiate.ConnectionInfo {
	t.Helper()
	resp, err := http.Post(s.URL+"api/negotiate?user="+url.QueryEscape(user), "application/json", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var info negotiate.ConnectionInfo
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
	return info
}

// Signed-in users get tokens minted by the chat itself; with several endpoints it spans them
// all, as the host does for anonymous callers, instead of failing.
func TestNegotiateOnSeveralEndpoints(t *testing.T) {
	t.Parallel()
	s := startChatOnEndpoints(t)
	want := map[string]bool{}
	for _, emu := range s.Emulators() {
		want[emu.URL+"/client/?hub="+hub] = true
	}
	for _, user := range []string{"alice", ""} {
		got := map[string]bool{}
		for range 40 {
			info := negotiateAs(t, s, user)
			assert.Equal(t, user, tokenUser(t, info.AccessToken))
			got[info.URL] = true
		}
		assert.Equal(t, want, got, "user %q: both primary endpoints are chosen at random", user)
	}
}

// Outputs fan out: a client on either endpoint receives a broadcast.
func TestBroadcastReachesClientsOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	jsclient.Require(t)
	s := startChatOnEndpoints(t)
	ctx := ctxFor(t)

	// Negotiate until a signed-in user has a token for each endpoint, then connect there.
	clients := map[string]*jsclient.Client{}
	for i := 0; len(clients) < 2 && i < 100; i++ {
		info := negotiateAs(t, s, "alice")
		if clients[info.URL] == nil {
			clients[info.URL] = jsclient.Start(t, jsclient.Config{URL: info.URL, AccessToken: info.AccessToken, Targets: []string{target}})
		}
	}
	require.Len(t, clients, 2, "negotiation never chose one of the endpoints")
	for _, emu := range s.Emulators() {
		require.Len(t, emu.Connections(hub), 1, "one client on %s", emu.URL)
	}

	status, answer := post(t, s, "broadcast", "bob", map[string]string{"text": "to every endpoint"})
	require.Equal(t, http.StatusAccepted, status, "answer %v", answer)
	for u, c := range clients {
		_, err := c.WaitFor(ctx, func(e jsclient.Event) bool {
			var m chatMessage
			return e.Kind == jsclient.EventMessage && e.Arg(0, &m) == nil && m == chatMessage{Sender: "bob", Text: "to every endpoint", Kind: kindAll}
		})
		require.NoError(t, err, "client on %s", u)
	}
}

// Under the Functions host the settings are the environment: with named endpoints there the
// negotiate function spans them and prefers the online primary; a bad endpoint setting fails
// the invocation with its name.
func TestNegotiateFromEnvironment(t *testing.T) {
	east := signalrtest.NewServer(nil)
	t.Cleanup(east.Close)
	west := signalrtest.NewServer(nil)
	t.Cleanup(west.Close)
	t.Setenv("AzureSignalRConnectionString", east.ConnectionString())
	t.Setenv("Azure__SignalR__Endpoints__west__secondary", west.ConnectionString())
	app, err := newApp()
	require.NoError(t, err)

	// The payload the host sends for a signed-in caller.
	payload := []byte(`{"Data":{"req":{"Url":"https://chat.azurewebsites.net/api/negotiate","Method":"POST",` +
		`"Headers":{"X-Ms-Client-Principal-Id":["alice"]}}},"Metadata":{}}`)
	answer := func() (int, string) {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/negotiate", bytes.NewReader(payload)))
		return rec.Code, rec.Body.String()
	}
	for range 10 {
		code, body := answer()
		require.Equal(t, http.StatusOK, code, body)
		var resp struct {
			Outputs struct {
				Res struct {
					Body string `json:"body"`
				} `json:"res"`
			}
		}
		require.NoError(t, json.Unmarshal([]byte(body), &resp))
		var info negotiate.ConnectionInfo
		require.NoError(t, json.Unmarshal([]byte(resp.Outputs.Res.Body), &info))
		assert.Equal(t, east.URL+"/client/?hub=chat", info.URL, "the online primary is preferred")
		assert.Equal(t, "alice", tokenUser(t, info.AccessToken))
	}

	t.Setenv("Azure__SignalR__Endpoints__west__secondary", "Endpoint=nonsense")
	code, body := answer()
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.True(t, strings.Contains(body, "west"), "the error names the endpoint: %s", body)
}
