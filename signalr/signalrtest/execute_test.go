package signalrtest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

func TestParseFilter(t *testing.T) {
	conn := &connView{id: "c1", userID: "listener-7", groups: map[string]uint8{"news": memberDirect, "it's": memberDirect}}
	anon := &connView{id: "c2"}
	cases := []struct {
		filter   string
		want     bool
		wantAnon bool
	}{
		{"", true, true},
		{"startswith(userId, 'listener-')", true, false},
		{"endswith(userId,'-7') and connectionId eq 'c1'", true, false},
		{"contains(userId, 'ten')", true, false},
		{"userId eq null", false, true},
		{"userId ne null", true, false},
		{"'news' in groups", true, false},
		{"'it''s' in groups", true, false},
		{"not ('news' in groups)", false, true},
		{"connectionId eq 'c2' or 'news' in groups", true, true},
		{"tolower('ABC') eq 'abc' and toupper(connectionId) eq 'C1'", true, false},
		{"USERID EQ 'listener-7'", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := parseFilter(tc.filter)
			require.NoError(t, err)
			got, err := f(conn)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			got, err = f(anon)
			require.NoError(t, err)
			assert.Equal(t, tc.wantAnon, got)
		})
	}
	for _, bad := range []string{"userId eq", "userId eq 'a", "foo eq 'a'", "startswith(userId)", "(userId eq 'a'", "userId eq 'a' )", "#", "nope('a')", "userId"} {
		f, err := parseFilter(bad)
		if err == nil {
			_, err = f(conn)
		}
		assert.Error(t, err, bad)
	}
}

func TestExecute(t *testing.T) {
	s := newTestServer(t, nil)
	l1 := connectWS(t, s, "chat", "listener-1", hubproto.JSON)
	l2 := connectWS(t, s, "chat", "listener-2", hubproto.MessagePack)
	other := connectWS(t, s, "chat", "other", hubproto.JSON)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 3 })

	body := []map[string]any{
		{"type": "JoinGroup", "group": "listeners"},
		{"Type": "SendMessage", "Message": map[string]any{"Target": "hi", "Arguments": []any{1}}},
	}
	res := rest(t, s, http.MethodPost, "/api/hubs/chat/:execute?api-version=2023-07-01&filter="+url.QueryEscape("startswith(userId, 'listener-')"), body)
	require.Equal(t, http.StatusAccepted, res.status, string(res.body))
	assert.Equal(t, "hi", l1.read(false).Target)
	assert.Equal(t, "hi", l2.read(false).Target)
	assert.ElementsMatch(t, []string{l1.id, l2.id}, s.GroupMembers("chat", "listeners"))

	res = rest(t, s, http.MethodPost, "/api/hubs/chat/:execute?filter="+url.QueryEscape("userId eq 'other'"), []map[string]any{{"type": "CloseConnection", "reason": "bye"}})
	require.Equal(t, http.StatusAccepted, res.status)
	assert.Equal(t, "bye", other.readType(hubproto.TypeClose).Error)

	for _, bad := range []struct{ filter, body string }{
		{"userId eq", `[]`},
		{"", `{}`},
		{"", `[{"type":"Dance"}]`},
		{"", `[{"type":"JoinGroup","group":"  "}]`},
		{"", `[{"type":"SendMessage","message":{"arguments":[]}}]`},
	} {
		res := rest(t, s, http.MethodPost, "/api/hubs/chat/:execute?filter="+url.QueryEscape(bad.filter), bad.body)
		assert.Equal(t, http.StatusBadRequest, res.status, bad)
		assert.Equal(t, codeInvalidRequest, res.header.Get("x-ms-error-code"))
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"startswith(userId, 'a') and not ('g' in groups)", "userId eq null or connectionId ne 'x'", "tolower(toupper(userId)) eq ''", "((((", "'a''b'"} {
		f.Add(s)
	}
	conn := &connView{id: "c", userID: "u", groups: map[string]uint8{"g": 1}}
	f.Fuzz(func(t *testing.T, src string) {
		m, err := parseFilter(src)
		if err != nil {
			return
		}
		_, _ = m(conn)
		_, _ = m(&connView{})
	})
}
