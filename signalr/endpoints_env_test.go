package signalr

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewMultiEndpointClientFromSettings(t *testing.T) {
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
			c, err := NewMultiEndpointClientFromSettings("", tt.settings, nil)
			require.NoError(t, err)
			refs := c.EndpointRefs()
			require.Len(t, refs, len(tt.want))
			for i, w := range tt.want {
				assert.Equal(t, w.name, refs[i].Name)
				assert.Equal(t, w.typ, string(refs[i].EndpointType))
				assert.Equal(t, w.endpoint, refs[i].Endpoint)
				ep := c.Endpoints()[i]
				assert.Equal(t, w.entra, ep.Client.TokenCredential() != nil)
			}
		})
	}

	t.Run("identity details", func(t *testing.T) {
		c, err := NewMultiEndpointClientFromSettings("Sig", map[string]string{
			"Azure__SignalR__Endpoints__west__serviceUri":     "https://w.service.signalr.net",
			"Azure__SignalR__Endpoints__west__serverEndpoint": "http://10.0.0.4:8080",
			"Azure__SignalR__Endpoints__west__clientEndpoint": "https://gw.contoso.com/",
			"Azure__SignalR__Endpoints__west__tenantId":       "tid",
			"Azure__SignalR__Endpoints__west__clientId":       "cid",
			"Azure__SignalR__Endpoints__west__clientSecret":   "Cl1entS3cret",
		}, &MultiEndpointClientOptions{ClientOptions: ClientOptions{ApplicationName: "App"}})
		require.NoError(t, err)
		e, ok := c.Endpoint("west")
		require.True(t, ok)
		assert.Equal(t, "http://10.0.0.4:8080", e.Client.ServerURL())
		assert.Equal(t, "https://gw.contoso.com", e.Client.ClientURL())
		assert.Equal(t, "app", e.Client.ApplicationName())
		assert.IsType(t, &azidentity.ClientSecretCredential{}, e.Client.TokenCredential())
	})
}

func TestNewMultiEndpointClientFromSettingsErrors(t *testing.T) {
	conn := "Endpoint=https://e.service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;"
	tests := []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"nothing", map[string]string{"Other": "x"}, "no Azure SignalR endpoint configured; set AzureSignalRConnectionString"},
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
			c, err := NewMultiEndpointClientFromSettings("", tt.settings, nil)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), secretKey)
		})
	}
}

// NewClientFromEnvironment reaches one service, so endpoint settings make it fail loudly.
func TestNewClientFromEnvironmentRefusesEndpoints(t *testing.T) {
	t.Setenv("FUNCSIGNALR_TEST_CONN", "Endpoint=http://127.0.0.1;Port=9999;AccessKey="+testKey+";Version=1.0;")
	t.Setenv("Azure__SignalR__Endpoints__east", "Endpoint=http://127.0.0.1;Port=9998;AccessKey="+testKey+";Version=1.0;")
	_, err := NewClientFromEnvironment("FUNCSIGNALR_TEST_CONN", nil)
	require.ErrorContains(t, err, "use NewMultiEndpointClientFromEnvironment")

	c, err := NewMultiEndpointClientFromEnvironment("FUNCSIGNALR_TEST_CONN", nil)
	require.NoError(t, err)
	var urls []string
	for _, e := range c.Endpoints() {
		urls = append(urls, e.Client.ServerURL())
	}
	assert.Equal(t, []string{"http://127.0.0.1:9999", "http://127.0.0.1:9998"}, urls)
}

func TestIsEndpointSetting(t *testing.T) {
	for name, want := range map[string]bool{
		"Azure__SignalR__Endpoints__east":         true,
		"Azure:SignalR:Endpoints:east:serviceUri": true,
		"AZURE__SIGNALR__ENDPOINTS__x":            true,
		"Azure__SignalR__Endpoints":               false,
		"Azure__SignalR__Endpoints__":             false,
		"Azure__SignalR__ConnectionString":        false,
		"AzureSignalRConnectionString":            false,
		"Azure__SignalR__EndpointsX__east":        false,
	} {
		assert.Equal(t, want, IsEndpointSetting(name), name)
	}
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
			require.False(t, IsEndpointSetting(name))
			return
		}
		require.True(t, IsEndpointSetting(name))
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
		_, _ = NewMultiEndpointClientFromSettings("", map[string]string{name: "Endpoint=https://e.net;AccessKey=k"}, nil)
	})
}
