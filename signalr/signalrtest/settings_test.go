package signalrtest

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

func TestLoadSettings(t *testing.T) {
	dir := t.TempDir()
	content := `{"UpstreamSettings":{"Templates":[
		{"UrlTemplate":"http://localhost:7071/api/{hub}/{category}/{event}","HubPattern":"chat, news","EventPattern":"*","CategoryPattern":"messages"},
		{"UrlTemplate":"http://localhost:7071/runtime/webhooks/signalr","EventPattern":"*","HubPattern":"*","CategoryPattern":"*"}]}}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "settings.json"), []byte(content), 0o600))
	for _, path := range []string{dir, filepath.Join(dir, "settings.json")} {
		ts, err := LoadSettings(path)
		require.NoError(t, err)
		require.Len(t, ts, 2)
		assert.Equal(t, "chat, news", ts[0].HubPattern)
	}
	ts, _ := LoadSettings(dir)
	cases := []struct{ hub, cat, ev, want string }{
		{"chat", "messages", "send me", "http://localhost:7071/api/chat/messages/send%20me"},
		{"NEWS", "messages", "x", "http://localhost:7071/api/NEWS/messages/x"},
		{"chat", "connections", "connected", "http://localhost:7071/runtime/webhooks/signalr"},
		{"other", "messages", "x", "http://localhost:7071/runtime/webhooks/signalr"},
	}
	for _, c := range cases {
		m := matchUpstream(ts, c.hub, c.cat, c.ev)
		require.NotNil(t, m)
		assert.Equal(t, c.want, m.expand(c.hub, c.cat, c.ev))
	}
	assert.Nil(t, matchUpstream(ts[:1], "chat", "connections", "connected"))

	_, err := LoadSettings(filepath.Join(dir, "missing.json"))
	assert.ErrorContains(t, err, "reading upstream settings")
	for _, bad := range []string{`{`, `{"UpstreamSettings":{"Templates":[{"UrlTemplate":""}]}}`, `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"/relative"}]}}`,
		`{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://h","Auth":{"Type":"Basic"}}]}}`} {
		_, err := ParseSettings([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestStartOnAndConnectionString(t *testing.T) {
	s := NewUnstartedServer(&Options{AccessKey: "k1", SecondaryAccessKey: "k2"})
	t.Cleanup(s.Close)
	require.NoError(t, s.StartOn("127.0.0.1:0"))
	assert.Error(t, s.StartOn("127.0.0.1:0"), "a server starts once")
	assert.Regexp(t, `^Endpoint=http://127\.0\.0\.1;Port=\d+;AccessKey=k1;Version=1\.0;$`, s.ConnectionString())
	assert.Equal(t, []string{"k1", "k2"}, s.AccessKeys())
	resp, err := http.Head(s.URL + "/api/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	def := NewUnstartedServer(nil)
	t.Cleanup(def.Close)
	assert.Equal(t, []string{DefaultAccessKey}, def.AccessKeys())
}

func TestStringsHideKeys(t *testing.T) {
	o := Options{AccessKey: "PRIMARYSECRET", SecondaryAccessKey: "SECONDSECRET"}
	s := NewServer(&o)
	t.Cleanup(s.Close)
	for _, out := range []string{fmt.Sprint(o), fmt.Sprintf("%v", &o), fmt.Sprintf("%+v", o), fmt.Sprint(s), s.String()} {
		assert.NotContains(t, out, "PRIMARYSECRET")
		assert.NotContains(t, out, "SECONDSECRET")
	}
	assert.Equal(t, "signalrtest.Server("+s.URL+")", s.String())
}

func TestSetUpstream(t *testing.T) {
	first := newUpstream(t, nil)
	second := newUpstream(t, nil)
	s := newTestServer(t, &Options{Upstream: first.templates()})
	connectWS(t, s, "chat", "", hubproto.JSON)
	first.next(t, "connected")
	s.SetUpstream(second.templates())
	connectWS(t, s, "chat", "", hubproto.JSON)
	second.next(t, "connected")
	s.SetUpstream(nil)
	c := connectWS(t, s, "chat", "", hubproto.JSON)
	c.send(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "x"})
	assert.Contains(t, c.readType(hubproto.TypeCompletion).Error, "No upstream is configured")
}
