package signalrtest

import (
	"fmt"
	"net/http"
	"net/url"
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

// Placeholders are escaped as Uri.EscapeDataString escapes (spec §8): only the RFC 3986
// unreserved characters stay as they are.
func TestEscapeDataString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain-name_1.2~x", "plain-name_1.2~x"},
		{"a&fixed=2&code=x+y", "a%26fixed%3D2%26code%3Dx%2By"},
		{"p/q?r#s t", "p%2Fq%3Fr%23s%20t"},
		{":@$!'()*,;[]%", "%3A%40%24%21%27%28%29%2A%2C%3B%5B%5D%25"},
		{"群😀", "%E7%BE%A4%F0%9F%98%80"},
		{"", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, escapeDataString(c.in), c.in)
	}
}

// A client chooses its invocation targets, which become {event}: a target full of & = + must
// not add query parameters to the upstream URL, here one carrying a function key.
func TestUpstreamEventCannotAddQueryParameters(t *testing.T) {
	up := newUpstream(t, nil)
	s := newTestServer(t, &Options{Upstream: []UpstreamTemplate{
		{UrlTemplate: up.srv.URL + "/runtime/webhooks/signalr?event={event}&code=the-key"},
	}})
	c := connectWS(t, s, "chat", "alice", hubproto.JSON)
	up.next(t, "connected")
	for _, target := range []string{"a&fixed=2&code=x+y", "b#frag", "c/../d?code=z"} {
		c.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: target})
		r := up.next(t, target)
		u, err := url.Parse(r.path)
		require.NoError(t, err)
		assert.Equal(t, "/runtime/webhooks/signalr", u.Path, target)
		assert.Equal(t, url.Values{"event": {target}, "code": {"the-key"}}, u.Query(), target)
	}
}
