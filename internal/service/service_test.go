package service

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateHubName(t *testing.T) {
	valid := []string{"a", "Chat", "a_b", "a`b,c.d[e]", "A" + strings.Repeat("b", 127)}
	invalid := []string{"", "1chat", "_chat", "a-b", "a b", "chat/x", "..", "ä", "A" + strings.Repeat("b", 128)}
	for _, name := range valid {
		require.NoError(t, ValidateHubName(name), name)
		assert.True(t, ValidName(name), name)
	}
	for _, name := range invalid {
		err := ValidateHubName(name)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "expected a letter then up to 127 letters, digits or _`,.[]")
		assert.False(t, ValidName(name), name)
	}
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
	rest, ok := EndpointSettingRest("azure__signalr__endpoints__east__secondary")
	assert.True(t, ok)
	assert.Equal(t, "east:secondary", rest)
}

func TestRequestInContext(t *testing.T) {
	_, ok := RequestFromContext(context.Background())
	assert.False(t, ok)
	_, ok = RequestFromContext(ContextWithRequest(context.Background(), nil))
	assert.False(t, ok, "a nil request is no request")
	r := httptest.NewRequest("POST", "/api/negotiate", nil)
	got, ok := RequestFromContext(ContextWithRequest(context.Background(), r))
	assert.True(t, ok)
	assert.Same(t, r, got)
}

// The signalREndpoints shape of the Functions extension: every field written, online too.
func TestAppendEndpointJSON(t *testing.T) {
	tests := []struct {
		typ, name, endpoint string
		online              bool
		want                string
	}{
		{"Primary", "", "https://a.service.signalr.net", true, `{"endpointType":"Primary","name":"","endpoint":"https://a.service.signalr.net","online":true}`},
		{"Secondary", "we\"st", "http://127.0.0.1:8080", false, `{"endpointType":"Secondary","name":"we\"st","endpoint":"http://127.0.0.1:8080","online":false}`},
	}
	for _, tt := range tests {
		b := AppendEndpointJSON([]byte("["), tt.typ, tt.name, tt.endpoint, tt.online)
		assert.Equal(t, "["+tt.want, string(b))
		assert.True(t, json.Valid(b[1:]))
	}
}

func FuzzAppendEndpointJSON(f *testing.F) {
	f.Add("Primary", "east", "https://e.net", true)
	f.Add("", "\u2028\xff", "\"", false)
	f.Fuzz(func(t *testing.T, typ, name, endpoint string, online bool) {
		b := AppendEndpointJSON(nil, typ, name, endpoint, online)
		var got struct {
			EndpointType string `json:"endpointType"`
			Online       bool   `json:"online"`
		}
		require.NoError(t, json.Unmarshal(b, &got), "%s", b)
		assert.Equal(t, online, got.Online)
	})
}
