package signalr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientFromSettingsConnectionSetting(t *testing.T) {
	const conn = "Endpoint=https://x.service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;"
	const other = "Endpoint=https://other.service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;"
	tests := []struct {
		name     string
		setting  string
		env      map[string]string
		endpoint string
		server   string
		client   string
		cred     any // nil: access key
	}{
		{"ConnectionStrings: form", "Sig", map[string]string{"ConnectionStrings:Sig": conn}, "https://x.service.signalr.net", "", "", nil},
		{"ConnectionStrings__ form", "Sig", map[string]string{"ConnectionStrings__Sig": conn}, "https://x.service.signalr.net", "", "", nil},
		{"App Service connection string", "Sig", map[string]string{"CUSTOMCONNSTR_Sig": conn}, "https://x.service.signalr.net", "", "", nil},
		{"plain app setting", "Sig", map[string]string{"Sig": conn}, "https://x.service.signalr.net", "", "", nil},
		{"ConnectionStrings wins over the plain setting", "Sig", map[string]string{"Sig": other, "ConnectionStrings:Sig": conn}, "https://x.service.signalr.net", "", "", nil},
		{"empty values count as unset", "Sig", map[string]string{"ConnectionStrings:Sig": " ", "Sig": conn}, "https://x.service.signalr.net", "", "", nil},
		{"default setting name", "", map[string]string{"AzureSignalRConnectionString": conn}, "https://x.service.signalr.net", "", "", nil},
		{"nested setting name with __", "Azure:SignalR:ConnectionString", map[string]string{"Azure__SignalR__ConnectionString": conn}, "https://x.service.signalr.net", "", "", nil},
		{"a connection string beats identity settings", "Sig", map[string]string{"Sig": conn, "Sig__serviceUri": "https://y.net"}, "https://x.service.signalr.net", "", "", nil},
		{"identity: system managed identity", "Sig", map[string]string{
			"Sig__serviceUri": "https://x.service.signalr.net/", "Sig__credential": "managedidentity",
		}, "https://x.service.signalr.net", "", "", &azidentity.ManagedIdentityCredential{}},
		{"identity: colon form, endpoints", "Sig", map[string]string{
			"Sig:serviceUri": "https://x.service.signalr.net", "Sig:credential": "ManagedIdentity", "Sig:clientId": "cid",
			"Sig:serverEndpoint": "http://10.0.0.4:8080", "Sig__clientEndpoint": "https://gw.contoso.com/",
		}, "https://x.service.signalr.net", "http://10.0.0.4:8080", "https://gw.contoso.com", &azidentity.ManagedIdentityCredential{}},
		{"identity: client secret", "Sig", map[string]string{
			"Sig__serviceUri": "https://x.service.signalr.net", "Sig__tenantId": "tid", "Sig__clientId": "cid", "Sig__clientSecret": "Cl1entS3cret",
		}, "https://x.service.signalr.net", "", "", &azidentity.ClientSecretCredential{}},
		{"identity: client id only is that managed identity", "Sig", map[string]string{
			"Sig__serviceUri": "https://x.service.signalr.net", "Sig__clientId": "cid",
		}, "https://x.service.signalr.net", "", "", &azidentity.ManagedIdentityCredential{}},
		{"identity: no credential keys", "Sig", map[string]string{
			"Sig__serviceUri": "https://x.service.signalr.net",
		}, "https://x.service.signalr.net", "", "", &azidentity.DefaultAzureCredential{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newClientFromSettings(tt.setting, tt.env, nil)
			require.NoError(t, err)
			require.Len(t, c.endpoints, 1)
			assert.Equal(t, "", c.endpoints[0].name, "the connection setting is the unnamed endpoint")
			assert.Equal(t, EndpointTypePrimary, c.endpoints[0].typ)
			assert.Equal(t, tt.endpoint, only(c).url)
			server, client := tt.server, tt.client
			if server == "" {
				server = tt.endpoint
			}
			if client == "" {
				client = tt.endpoint
			}
			assert.Equal(t, server, only(c).serverURL)
			assert.Equal(t, client, only(c).clientURL)
			if tt.cred == nil {
				require.NotNil(t, only(c).accessKey)
				assert.Equal(t, secretKey, only(c).accessKey.current())
				assert.Nil(t, only(c).credential)
				return
			}
			assert.Nil(t, only(c).accessKey)
			assert.IsType(t, tt.cred, only(c).credential)
		})
	}
}

func TestNewClientFromSettingsConnectionSettingErrors(t *testing.T) {
	tests := []struct {
		name    string
		setting string
		env     map[string]string
		want    []string
	}{
		{"nothing configured", "Sig", nil, []string{
			"no Azure SignalR connection configured; set one of ConnectionStrings:Sig, ConnectionStrings__Sig, CUSTOMCONNSTR_Sig, Sig, Sig:serviceUri, Sig__serviceUri",
		}},
		{"bad connection string names the setting", "Sig", map[string]string{"ConnectionStrings__Sig": "Endpoint=https://x.net;AccessKey=" + secretKey + ";Port=0"}, []string{
			"setting ConnectionStrings__Sig: signalr: connection string Port",
		}},
		{"bad service uri", "Sig", map[string]string{"Sig__serviceUri": "x.service.signalr.net"}, []string{
			"setting Sig__serviceUri: signalr: serviceUri is not an absolute http or https URL",
		}},
		{"bad server endpoint", "Sig", map[string]string{"Sig__serviceUri": "https://x.net", "Sig:serverEndpoint": "gw"}, []string{
			"setting Sig:serverEndpoint: signalr: serverEndpoint is not an absolute",
		}},
		{"bad client endpoint", "Sig", map[string]string{"Sig__serviceUri": "https://x.net", "Sig__clientEndpoint": "ftp://gw"}, []string{
			"setting Sig__clientEndpoint: signalr: clientEndpoint is not an absolute",
		}},
		{"unknown credential", "Sig", map[string]string{"Sig__serviceUri": "https://x.net", "Sig__credential": "certificate"}, []string{
			`credential "certificate" is not supported`,
		}},
		{"secret without tenant", "Sig", map[string]string{"Sig__serviceUri": "https://x.net", "Sig__clientId": "c", "Sig__clientSecret": secretKey}, []string{
			"clientSecret needs both tenantId and clientId",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newClientFromSettings(tt.setting, tt.env, nil)
			require.Error(t, err)
			assert.Nil(t, c)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
			assert.NotContains(t, err.Error(), secretKey)
		})
	}
}

func TestNewClientFromEnvironment(t *testing.T) {
	t.Setenv("FUNCSIGNALR_TEST_CONN", "Endpoint=http://127.0.0.1;Port=9999;AccessKey="+testKey+";Version=1.0;")
	c, err := NewClientFromEnvironment("FUNCSIGNALR_TEST_CONN", nil)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9999", only(c).serverURL)

	t.Run("workload identity", func(t *testing.T) {
		tokenFile := filepath.Join(t.TempDir(), "token")
		require.NoError(t, os.WriteFile(tokenFile, []byte("federated"), 0o600))
		t.Setenv("AZURE_FEDERATED_TOKEN_FILE", tokenFile)
		t.Setenv("FUNCSIGNALR_TEST_ID__serviceUri", "https://x.service.signalr.net")
		t.Setenv("FUNCSIGNALR_TEST_ID__credential", "workloadidentity")
		t.Setenv("FUNCSIGNALR_TEST_ID__clientId", "cid")
		t.Setenv("FUNCSIGNALR_TEST_ID__tenantId", "tid")
		c, err := NewClientFromEnvironment("FUNCSIGNALR_TEST_ID", nil)
		require.NoError(t, err)
		assert.IsType(t, &azidentity.WorkloadIdentityCredential{}, only(c).credential)
	})

	_, err = NewClientFromEnvironment("FUNCSIGNALR_TEST_MISSING", nil)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "FUNCSIGNALR_TEST_MISSING__serviceUri"))
}
