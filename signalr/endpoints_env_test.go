package signalr

import (
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/service"
)

func TestNewClientFromSettings(t *testing.T) {
	conn := func(host string) string {
		return "Endpoint=https://" + host + ".service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;"
	}
	type want struct {
		name, typ, endpoint string
		entra               bool
	}
	tests := []struct {
		name     string
		settings map[string]string
		want     []want
	}{
		{"default setting only", map[string]string{"AzureSignalRConnectionString": conn("d")},
			[]want{{"", "Primary", "https://d.service.signalr.net", false}}},
		{"__ form, sorted by name, default first", map[string]string{
			"AzureSignalRConnectionString":                 conn("d"),
			"Azure__SignalR__Endpoints__west":              conn("w"),
			"Azure__SignalR__Endpoints__east":              conn("e"),
			"Azure__SignalR__Endpoints__backup__secondary": conn("b"),
		}, []want{
			{"", "Primary", "https://d.service.signalr.net", false},
			{"backup", "Secondary", "https://b.service.signalr.net", false},
			{"east", "Primary", "https://e.service.signalr.net", false},
			{"west", "Primary", "https://w.service.signalr.net", false},
		}},
		{": form with an explicit primary suffix, no default", map[string]string{
			"Azure:SignalR:Endpoints:east:primary":   conn("e"),
			"Azure:SignalR:Endpoints:west:Secondary": conn("w"),
		}, []want{
			{"east", "Primary", "https://e.service.signalr.net", false},
			{"west", "Secondary", "https://w.service.signalr.net", false},
		}},
		{"section names without case", map[string]string{"azure__signalr__endpoints__east": conn("e")},
			[]want{{"east", "Primary", "https://e.service.signalr.net", false}}},
		{"identity-based endpoints", map[string]string{
			"Azure__SignalR__Endpoints__east__serviceUri": "https://e.service.signalr.net",
			"Azure__SignalR__Endpoints__east__credential": "managedidentity",
			"Azure:SignalR:Endpoints:west:serviceUri":     "https://w.service.signalr.net/",
			"Azure:SignalR:Endpoints:west:type":           "secondary",
			"Azure:SignalR:Endpoints:west:serverEndpoint": "http://10.0.0.4:8080",
			"Azure:SignalR:Endpoints:west:clientEndpoint": "https://gw.contoso.com",
			"Azure__SignalR__Endpoints__west__clientId":   "cid",
			"AzureSignalRConnectionString__serviceUri":    "https://d.service.signalr.net",
		}, []want{
			{"", "Primary", "https://d.service.signalr.net", true},
			{"east", "Primary", "https://e.service.signalr.net", true},
			{"west", "Secondary", "https://w.service.signalr.net", true},
		}},
		{"empty values count as unset", map[string]string{"Azure__SignalR__Endpoints__east": conn("e"), "Azure__SignalR__Endpoints__west": " "},
			[]want{{"east", "Primary", "https://e.service.signalr.net", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newClientFromSettings("", tt.settings, nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			refs := c.refs()
			require.Len(t, refs, len(tt.want))
			for i, w := range tt.want {
				assert.Equal(t, w.name, refs[i].Name)
				assert.Equal(t, w.typ, string(refs[i].EndpointType))
				assert.Equal(t, w.endpoint, refs[i].Endpoint)
				assert.Equal(t, w.entra, c.endpoints[i].conn.credential != nil)
				assert.Equal(t, !w.entra, c.endpoints[i].conn.accessKey != nil)
			}
		})
	}

	t.Run("identity details", func(t *testing.T) {
		c, err := newClientFromSettings("Sig", map[string]string{
			"Azure__SignalR__Endpoints__west__serviceUri":     "https://w.service.signalr.net",
			"Azure__SignalR__Endpoints__west__serverEndpoint": "http://10.0.0.4:8080",
			"Azure__SignalR__Endpoints__west__clientEndpoint": "https://gw.contoso.com/",
			"Azure__SignalR__Endpoints__west__tenantId":       "tid",
			"Azure__SignalR__Endpoints__west__clientId":       "cid",
			"Azure__SignalR__Endpoints__west__clientSecret":   "Cl1entS3cret",
		}, &ClientOptions{ApplicationName: "App"})
		require.NoError(t, err)
		require.Len(t, c.endpoints, 1, "a single endpoint makes a one-endpoint client")
		e := c.endpoints[0]
		assert.Equal(t, "west", e.name)
		assert.Equal(t, "http://10.0.0.4:8080", e.conn.serverURL)
		assert.Equal(t, "https://gw.contoso.com", e.conn.clientURL)
		assert.Equal(t, "app", e.conn.application)
		assert.IsType(t, &azidentity.ClientSecretCredential{}, e.conn.credential)
	})
}

func TestNewClientFromSettingsErrors(t *testing.T) {
	conn := "Endpoint=https://e.service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;"
	tests := []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"nothing", map[string]string{"Other": "x"}, "no Azure SignalR connection configured; set one of ConnectionStrings:AzureSignalRConnectionString, " +
			"ConnectionStrings__AzureSignalRConnectionString, CUSTOMCONNSTR_AzureSignalRConnectionString, AzureSignalRConnectionString, " +
			"AzureSignalRConnectionString:serviceUri, AzureSignalRConnectionString__serviceUri, or Azure:SignalR:Endpoints:<name> settings"},
		{"unknown key", map[string]string{"Azure__SignalR__Endpoints__east__serviceUrl": "https://e.net"}, `"serviceUrl" is not an endpoint key`},
		{"too deep", map[string]string{"Azure__SignalR__Endpoints__east__primary__x": conn}, "nested too deeply"},
		{"no name", map[string]string{"Azure__SignalR__Endpoints____primary": conn}, "has no endpoint name"},
		{"two connection strings", map[string]string{"Azure__SignalR__Endpoints__east": conn, "Azure:SignalR:Endpoints:east:secondary": conn},
			`endpoint "east" has 2 connection strings`},
		{"connection string and identity", map[string]string{"Azure__SignalR__Endpoints__east": conn, "Azure__SignalR__Endpoints__east__serviceUri": "https://e.net"},
			"both a connection string"},
		{"identity without serviceUri", map[string]string{"Azure__SignalR__Endpoints__east__clientId": "c"}, "no Azure:SignalR:Endpoints:east:serviceUri"},
		{"bad type", map[string]string{"Azure__SignalR__Endpoints__east__serviceUri": "https://e.net", "Azure__SignalR__Endpoints__east__type": "tertiary"},
			`type is "tertiary"; expected primary or secondary`},
		{"bad connection string names its setting", map[string]string{"Azure__SignalR__Endpoints__east": "Endpoint=https://e.net;AccessKey=" + secretKey + ";Port=0"},
			"setting Azure__SignalR__Endpoints__east: signalr: connection string Port"},
		{"bad default setting", map[string]string{"AzureSignalRConnectionString": "Endpoint=nope;AccessKey=" + secretKey}, "setting AzureSignalRConnectionString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newClientFromSettings("", tt.settings, nil)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), secretKey)
		})
	}
}

// NewClientFromEnvironment reads the connection setting and the endpoint settings alike: one
// client spans both.
func TestNewClientFromEnvironmentReadsEndpoints(t *testing.T) {
	t.Setenv("FUNCSIGNALR_TEST_CONN", "Endpoint=http://127.0.0.1;Port=9999;AccessKey="+testKey+";Version=1.0;")
	t.Setenv("Azure__SignalR__Endpoints__east", "Endpoint=http://127.0.0.1;Port=9998;AccessKey="+testKey+";Version=1.0;")
	c, err := NewClientFromEnvironment("FUNCSIGNALR_TEST_CONN", &ClientOptions{HealthCheck: HealthCheckOptions{Interval: time.Hour}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	var urls []string
	for _, e := range c.endpoints {
		urls = append(urls, e.conn.serverURL)
	}
	assert.Equal(t, []string{"http://127.0.0.1:9999", "http://127.0.0.1:9998"}, urls)
	assert.Equal(t, time.Hour, c.hc.Interval, "the options apply to the client spanning the endpoints")
}

// FuzzParseEndpointSetting: any setting name parses or fails with an error, never panics, and a
// parsed name stays within the section.
func FuzzParseEndpointSetting(f *testing.F) {
	for _, s := range []string{
		"Azure__SignalR__Endpoints__east", "Azure:SignalR:Endpoints:east:secondary", "Azure__SignalR__Endpoints__e__serviceUri",
		"Azure__SignalR__Endpoints____", "Azure__SignalR__Endpoints__a__b__c", "azure:signalr:endpoints:x:TYPE", "Azure_SignalR", "",
		"Azure__SignalR__Endpoints__:", "Azure__SignalR__Endpoints___x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		es, ok, err := parseEndpointSetting(name)
		if !ok {
			require.NoError(t, err)
			require.False(t, service.IsEndpointSetting(name))
			return
		}
		require.True(t, service.IsEndpointSetting(name))
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "signalr: setting "))
			return
		}
		require.NotEmpty(t, es.name)
		require.NotContains(t, es.name, ":")
		if es.key != "" {
			require.Empty(t, es.typ)
		}
		// Whatever the name, building from it never panics.
		if c, err := newClientFromSettings("", map[string]string{name: "Endpoint=https://e.net;AccessKey=k"}, nil); err == nil {
			_ = c.Close()
		}
	})
}
