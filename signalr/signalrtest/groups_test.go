package signalrtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

func TestGroupSendsAndExcluded(t *testing.T) {
	s := newTestServer(t, nil)
	a := connectWS(t, s, "chat", "a", hubproto.JSON)
	b := connectWS(t, s, "chat", "b", hubproto.MessagePack)
	c := connectWS(t, s, "chat", "c", hubproto.JSON)
	eventually(t, "three connections", func() bool { return len(s.Connections("chat")) == 3 })
	for _, id := range []string{a.id, b.id} {
		require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/groups/g/connections/"+id, nil).status)
	}
	assert.ElementsMatch(t, []string{a.id, b.id}, s.GroupMembers("chat", "g"))
	require.Equal(t, http.StatusOK, rest(t, s, http.MethodHead, "/api/hubs/chat/groups/g", nil).status)

	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/groups/g/:send?excluded="+a.id, map[string]any{"target": "g1"}).status)
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/:send?excluded="+b.id+"&excluded="+c.id, map[string]any{"target": "all"}).status)
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/users/c/:send", map[string]any{"target": "toC"}).status)

	assert.Equal(t, "all", a.read(false).Target)
	assert.Equal(t, "g1", b.read(false).Target)
	assert.Equal(t, "toC", c.read(false).Target)

	// Close the group except a: b gets a Close, a stays.
	require.Equal(t, http.StatusNoContent, rest(t, s, http.MethodPost, "/api/hubs/chat/groups/g/:closeConnections?excluded="+a.id+"&reason=maintenance", nil).status)
	cl := b.readType(hubproto.TypeClose)
	assert.Equal(t, "maintenance", cl.Error)
	eventually(t, "b closed", func() bool { return len(s.Connections("chat")) == 2 })
	assert.Equal(t, []string{a.id}, s.GroupMembers("chat", "g"))

	// Hub-wide close honours excluded (Microsoft's emulator ignores it).
	require.Equal(t, http.StatusNoContent, rest(t, s, http.MethodPost, "/api/hubs/chat/:closeConnections?excluded="+a.id, nil).status)
	c.readType(hubproto.TypeClose)
	eventually(t, "only a left", func() bool { return len(s.Connections("chat")) == 1 })
	assert.Equal(t, a.id, s.Connections("chat")[0].ID)
}

func TestUserGroupTTL(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, &Options{Now: clock.Now})
	a := connectWS(t, s, "chat", "alice", hubproto.JSON)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })

	require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/users/alice/groups/short?ttl=60", nil).status)
	require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/users/alice/groups/forever", nil).status)
	require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/bob/users/alice/groups/other", nil).status, "user groups exist without connections")
	ug := s.UserGroups("chat", "alice")
	require.Len(t, ug, 2)
	assert.Equal(t, UserGroup{Group: "forever", Expires: clock.Now().Add(365 * 24 * time.Hour), TTL: false}, ug[0])
	assert.Equal(t, UserGroup{Group: "short", Expires: clock.Now().Add(time.Minute), TTL: true}, ug[1])
	assert.Equal(t, []string{"forever", "short"}, s.Connections("chat")[0].Groups)
	assert.Equal(t, http.StatusOK, rest(t, s, http.MethodHead, "/api/hubs/chat/users/alice/groups/short", nil).status)

	// A second connection of the user joins the persisted groups on connect.
	a2 := connectWS(t, s, "chat", "alice", hubproto.JSON)
	eventually(t, "second connection", func() bool { return len(s.GroupMembers("chat", "short")) == 2 })

	clock.Advance(61 * time.Second)
	assert.Equal(t, []UserGroup{{Group: "forever", Expires: ug[0].Expires}}, s.UserGroups("chat", "alice"))
	assert.Empty(t, s.GroupMembers("chat", "short"), "expiry removes the connections the entry added")
	res := rest(t, s, http.MethodHead, "/api/hubs/chat/users/alice/groups/short", nil)
	assert.Equal(t, http.StatusNotFound, res.status)
	assert.Equal(t, codeUserNotInGroup, res.header.Get("x-ms-error-code"))
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/groups/short/:send", map[string]any{"target": "late"}).status)
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/groups/forever/:send", map[string]any{"target": "kept"}).status)
	assert.Equal(t, "kept", a.read(false).Target, "nothing sent to the expired group arrives")
	assert.Equal(t, "kept", a2.read(false).Target)

	// ttl=0: current connections join, nothing persists.
	require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/users/alice/groups/now?ttl=0", nil).status)
	assert.Len(t, s.GroupMembers("chat", "now"), 2)
	assert.Len(t, s.UserGroups("chat", "alice"), 1)

	require.Equal(t, http.StatusNoContent, rest(t, s, http.MethodDelete, "/api/hubs/chat/users/alice/groups", nil).status)
	assert.Empty(t, s.UserGroups("chat", "alice"))
	assert.Empty(t, s.Connections("chat")[0].Groups)
}

func TestUserGroupsKeepLatestHundred(t *testing.T) {
	s := newTestServer(t, nil)
	s.mu.Lock()
	h := s.hubLocked("chat", true)
	for i := range 105 {
		s.addUserToGroupLocked(h, "u", "g"+strconv.Itoa(i), -1)
	}
	s.mu.Unlock()
	ug := s.UserGroups("chat", "u")
	require.Len(t, ug, 100)
	names := map[string]bool{}
	for _, g := range ug {
		names[g.Group] = true
	}
	assert.False(t, names["g4"], "the oldest entries go first")
	assert.True(t, names["g5"])
	assert.True(t, names["g104"])
}

func TestListGroupConnectionsPaged(t *testing.T) {
	s := newTestServer(t, nil)
	var ids []string
	for range 5 {
		c := connectWS(t, s, "chat", "", hubproto.JSON)
		ids = append(ids, c.id)
	}
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 5 })
	for _, id := range ids {
		require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/groups/g/connections/"+id, nil).status)
	}
	type page struct {
		Value []struct {
			ConnectionID string `json:"connectionId"`
		} `json:"value"`
		NextLink string `json:"nextLink"`
	}
	var got []string
	next := "/api/hubs/chat/groups/g/connections?api-version=2024-12-01&maxpagesize=2"
	pages := 0
	for next != "" {
		res := rest(t, s, http.MethodGet, next, nil)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		var p page
		require.NoError(t, json.Unmarshal(res.body, &p))
		assert.LessOrEqual(t, len(p.Value), 2)
		for _, v := range p.Value {
			got = append(got, v.ConnectionID)
		}
		next = ""
		if p.NextLink != "" {
			require.Contains(t, p.NextLink, s.URL, "nextLink is absolute")
			next = p.NextLink[len(s.URL):]
		}
		pages++
	}
	assert.Equal(t, 3, pages)
	assert.ElementsMatch(t, ids, got)

	res := rest(t, s, http.MethodGet, "/api/hubs/chat/groups/g/connections?top=3&maxpagesize=2", nil)
	var p page
	require.NoError(t, json.Unmarshal(res.body, &p))
	require.NotEmpty(t, p.NextLink)
	res = rest(t, s, http.MethodGet, p.NextLink[len(s.URL):], nil)
	var p2 page
	require.NoError(t, json.Unmarshal(res.body, &p2))
	assert.Len(t, p2.Value, 1, "top bounds the total")
	assert.Empty(t, p2.NextLink)
}

func TestInvokeClientResult(t *testing.T) {
	for _, p := range bothProtocols {
		t.Run(p.Name(), func(t *testing.T) {
			s := newTestServer(t, nil)
			c := connectWS(t, s, "chat", "", p)
			eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
			done := make(chan restResult, 1)
			invoke := func(path string, body any) {
				tok := restToken(t, s, strings.Split(path, "?")[0])
				go func() {
					res, _ := restTry(s, http.MethodPost, path, body, tok, "")
					done <- res
				}()
			}
			invoke("/api/hubs/chat/connections/"+c.id+"/:invoke?api-version=2024-12-01", map[string]any{"target": "ask", "arguments": []any{"q"}})
			inv := c.read(false)
			require.Equal(t, hubproto.TypeInvocation, inv.Type)
			require.NotEmpty(t, inv.InvocationID, "client-result invocations carry an id")
			c.send(&hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, Result: hubproto.JSONValue([]byte(`{"message":"Hello, World!"}`)), HasResult: true})
			res := <-done
			require.Equal(t, http.StatusOK, res.status, string(res.body))
			assert.JSONEq(t, `{"result":{"message":"Hello, World!"}}`, string(res.body))

			invoke("/api/hubs/chat/connections/"+c.id+"/:invoke", map[string]any{"target": "ask"})
			inv = c.read(false)
			c.send(&hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, Error: "Client didn't provide a result.", HasError: true})
			res = <-done
			assert.Equal(t, http.StatusBadRequest, res.status)
			assert.Contains(t, string(res.body), "Client didn't provide a result.")
		})
	}
}

func TestBinaryPayloadPicksEachProtocol(t *testing.T) {
	s := newTestServer(t, nil)
	j := connectWS(t, s, "chat", "", hubproto.JSON)
	m := connectWS(t, s, "chat", "", hubproto.MessagePack)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 2 })
	jf, err := hubproto.JSON.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeInvocation, Target: "fromJSON", Arguments: []hubproto.Value{hubproto.JSONValue([]byte(`1`))}})
	require.NoError(t, err)
	mf, err := hubproto.MessagePack.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeInvocation, Target: "fromMsgPack", Arguments: []hubproto.Value{hubproto.JSONValue([]byte(`2`))}})
	require.NoError(t, err)
	body, err := msgpack.Marshal(map[string][]byte{"json": jf, "messagepack": mf})
	require.NoError(t, err)
	tok := restToken(t, s, "/api/hubs/chat/:send")
	res := restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", body, tok, "application/octet-stream")
	require.Equal(t, http.StatusAccepted, res.status, string(res.body))
	assert.Equal(t, "fromJSON", j.read(false).Target)
	assert.Equal(t, "fromMsgPack", m.read(false).Target)

	// Only one protocol given: the other is converted.
	body, err = msgpack.Marshal(map[string][]byte{"json": jf})
	require.NoError(t, err)
	res = restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", body, tok, "application/octet-stream")
	require.Equal(t, http.StatusAccepted, res.status)
	got := m.read(false)
	assert.Equal(t, "fromJSON", got.Target)
	assert.JSONEq(t, "1", argJSON(t, got.Arguments[0]))

	// application/x-msgpack is undocumented: read as the same map.
	res = restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", body, tok, "application/x-msgpack")
	require.Equal(t, http.StatusAccepted, res.status)
	assert.Equal(t, "fromJSON", j.read(false).Target) // from the json-only send above
	assert.Equal(t, "fromJSON", j.read(false).Target) // from this one

	res = restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", []byte{0xc1}, tok, "application/octet-stream")
	assert.Equal(t, http.StatusBadRequest, res.status)
}

func TestGenerateToken(t *testing.T) {
	s := newTestServer(t, nil)
	res := rest(t, s, http.MethodPost, "/api/hubs/Chat/:generateToken?api-version=2024-12-01&userId=zoe&minutesToExpire=5", nil)
	require.Equal(t, http.StatusOK, res.status)
	var body struct{ Token string }
	require.NoError(t, json.Unmarshal(res.body, &body))
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(body.Token, claims, func(*jwt.Token) (any, error) { return []byte(DefaultAccessKey), nil })
	require.NoError(t, err)
	assert.Equal(t, s.URL+"/client/?hub=chat", claims["aud"])
	assert.Equal(t, "zoe", claims["nameid"])
	exp, err := claims.GetExpirationTime()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(5*time.Minute), exp.Time, time.Minute)

	status, _, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", body.Token)
	assert.Equal(t, http.StatusOK, status, "the generated token is accepted by negotiate")
}

func TestStreamsToConnection(t *testing.T) {
	s := newTestServer(t, nil)
	c := connectWS(t, s, "chat", "", hubproto.JSON)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/connections/"+c.id+"/streams/st1/:send", `{"a":1}`).status)
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/connections/"+c.id+"/streams/st1/:complete?reason=done", nil).status)
	item := c.read(false)
	assert.Equal(t, hubproto.TypeStreamItem, item.Type)
	assert.Equal(t, "st1", item.InvocationID)
	assert.JSONEq(t, `{"a":1}`, argJSON(t, item.Item))
	comp := c.read(false)
	assert.Equal(t, hubproto.TypeCompletion, comp.Type)
	assert.Equal(t, "done", comp.Error)
}

func TestApplicationPrefix(t *testing.T) {
	s := newTestServer(t, nil)
	c := connectWS(t, s, "myapp_chat", "", hubproto.JSON)
	eventually(t, "connected", func() bool { return len(s.Connections("myapp_chat")) == 1 })
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/Chat/:send?application=MyApp", map[string]any{"target": "x"}).status)
	assert.Equal(t, "x", c.read(false).Target)
	assert.Equal(t, []string{"myapp_chat"}, s.Hubs())
	calls := s.RESTCalls()
	assert.Equal(t, "myapp_chat", calls[len(calls)-1].Hub)
}
