package signalr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scopeCredential hands out a fixed Entra token and records the scopes asked for.
type scopeCredential struct {
	mu     sync.Mutex
	scopes [][]string
	err    error
}

func (c *scopeCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, opts.Scopes)
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: "entra-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestNewClientWithEntraCredential(t *testing.T) {
	f := newFakeService(t, nil)
	cred := &scopeCredential{}
	opts := testOptions()
	opts.InsecureAllowCredentialWithHTTP = true // the fake service is plain http
	c, err := NewClient(f.URL+"/", cred, opts)
	require.NoError(t, err)
	assert.Equal(t, f.URL, only(c).url)
	assert.Equal(t, f.URL, only(c).serverURL)
	assert.Nil(t, only(c).accessKey)
	assert.Same(t, cred, only(c).credential)

	_, err = hubOf(t, c, "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "Bearer entra-token", f.last(t).Header.Get("Authorization"))
	assert.Equal(t, [][]string{{EntraScope}}, cred.scopes)
}

func TestEntraCredentialRefusesPlainHTTPByDefault(t *testing.T) {
	f := newFakeService(t, nil)
	c, err := NewClient(f.URL, &scopeCredential{}, testOptions())
	require.NoError(t, err)
	_, err = hubOf(t, c, "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.Error(t, err)
	assert.Empty(t, f.requests(), "a bearer token is not sent over plain http unless allowed")
}

func TestEntraCredentialFailure(t *testing.T) {
	f := newFakeService(t, nil)
	opts := testOptions()
	opts.InsecureAllowCredentialWithHTTP = true
	c, err := NewClient(f.URL, &scopeCredential{err: errors.New("no identity available")}, opts)
	require.NoError(t, err)
	_, err = hubOf(t, c, "chat").UserExists(context.Background(), "u", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no identity available")
	assert.Empty(t, f.requests())
}

func TestConstructorErrors(t *testing.T) {
	tests := []struct {
		name string
		make func() (*Client, error)
		want string
	}{
		{"nil credential", func() (*Client, error) { return NewClient("https://x.net", nil, nil) }, "token credential is nil"},
		{"bad endpoint", func() (*Client, error) { return NewClient("x.net", &scopeCredential{}, nil) }, "endpoint is not an absolute http or https URL"},
		{"nil access key", func() (*Client, error) { return NewClientWithAccessKey("https://x.net", nil, nil) }, "access key credential is nil"},
		{"empty access key", func() (*Client, error) {
			return NewClientWithAccessKey("https://x.net", NewAccessKeyCredential(""), nil)
		}, "access key is empty"},
		{"access key, bad endpoint", func() (*Client, error) {
			return NewClientWithAccessKey("ftp://x.net", NewAccessKeyCredential("k"), nil)
		}, "endpoint is not an absolute"},
		{"bad connection string", func() (*Client, error) { return NewClientFromConnectionString("Endpoint=https://x.net", nil) }, "no AccessKey"},
		{"invalid application name", func() (*Client, error) {
			return NewClientWithAccessKey("https://x.net", NewAccessKeyCredential("k"), &ClientOptions{ApplicationName: "my-app"})
		}, `application name "my-app" is invalid`},
		{"Entra connection string with a bad certificate", func() (*Client, error) {
			return NewClientFromConnectionString("Endpoint=https://x.net;AuthType=azure.app;ClientId=c;TenantId=t;ClientCert=/nonexistent/cert.pem", nil)
		}, "building the Microsoft Entra credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.make()
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNewClientFromConnectionString(t *testing.T) {
	f := newFakeService(t, nil)
	port := f.URL[strings.LastIndex(f.URL, ":")+1:]
	t.Run("Port overrides the endpoint port for requests, not for audiences of client tokens", func(t *testing.T) {
		c, err := NewClientFromConnectionString("Endpoint=http://127.0.0.1;Port="+port+";AccessKey="+testKey+";Version=1.0;", testOptions())
		require.NoError(t, err)
		assert.Equal(t, f.URL, only(c).url)
		assert.Equal(t, f.URL, only(c).serverURL)
		assert.Equal(t, f.URL, only(c).clientURL)
		assert.Equal(t, "http://127.0.0.1/", only(c).audience)
		require.NotNil(t, only(c).accessKey)
		assert.Equal(t, testKey, only(c).accessKey.current())
		assert.Nil(t, only(c).credential)

		_, err = hubOf(t, c, "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
		require.NoError(t, err)
		verifyToken(t, f, f.last(t), testKey) // aud keeps the port of the request URL
	})
	t.Run("ServerEndpoint receives the requests", func(t *testing.T) {
		c, err := NewClientFromConnectionString("Endpoint=https://x.service.signalr.net;ServerEndpoint="+f.URL+";ClientEndpoint=https://gw.net;AccessKey="+testKey, testOptions())
		require.NoError(t, err)
		assert.Equal(t, "https://gw.net", only(c).clientURL)
		assert.Equal(t, "https://x.service.signalr.net/", only(c).audience)
		_, err = hubOf(t, c, "chat").SendToUser(context.Background(), "u", Message{Target: "t"}, nil)
		require.NoError(t, err)
		verifyToken(t, f, f.last(t), testKey)
	})
	t.Run("AuthType selects an Entra credential", func(t *testing.T) {
		c, err := NewClientFromConnectionString("Endpoint=https://x.service.signalr.net;AuthType=azure.msi;ClientId=c", nil)
		require.NoError(t, err)
		assert.NotNil(t, only(c).credential)
		assert.Nil(t, only(c).accessKey)
	})
}

func TestHubNames(t *testing.T) {
	valid := []string{"a", "Chat", "a_b", "a`b,c.d[e]", "A" + strings.Repeat("b", 127)}
	invalid := []string{"", "1chat", "_chat", "a-b", "a b", "chat/x", "ä", "A" + strings.Repeat("b", 128)}
	c, err := NewClientWithAccessKey("https://x.net", NewAccessKeyCredential("k"), nil)
	require.NoError(t, err)
	for _, name := range valid {
		h, err := c.Hub(name)
		require.NoError(t, err, name)
		assert.Equal(t, strings.ToLower(name), h.Name())
	}
	for _, name := range invalid {
		h, err := c.Hub(name)
		require.Error(t, err, name)
		assert.Nil(t, h)
		assert.Contains(t, err.Error(), "expected a letter then up to 127 letters, digits or _`,.[]")
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		wantErr  bool
		attempts int
	}{
		{"healthy", 200, false, 1},
		{"unhealthy after retries", 503, true, 4},
		{"wrong credentials", 401, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) { w.WriteHeader(tt.status) })
			_, err := newTestClient(t, f, nil).Health(context.Background(), nil)
			reqs := f.requests()
			require.Len(t, reqs, tt.attempts)
			assert.Equal(t, http.MethodHead, reqs[0].Method)
			assert.Equal(t, "/api/health", reqs[0].Path)
			assert.Equal(t, DefaultAPIVersion, reqs[0].Query.Get("api-version"))
			verifyToken(t, f, reqs[0], testKey)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			var re *azcore.ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.status, re.StatusCode)
		})
	}
}

func TestGetTemporaryAccessKey(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    temporaryAccessKey
		wantErr string
	}{
		{"ok", 200, `{"KeyId":"kid-1","AccessKey":"temp-secret-value"}`, temporaryAccessKey{KeyID: "kid-1", AccessKey: "temp-secret-value"}, ""},
		{"any casing", 200, `{"keyId":"kid-1","accessKey":"temp-secret-value"}`, temporaryAccessKey{KeyID: "kid-1", AccessKey: "temp-secret-value"}, ""},
		{"missing key", 200, `{"KeyId":"kid-1"}`, temporaryAccessKey{}, "accessKey response"},
		{"forbidden", 403, ``, temporaryAccessKey{}, "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			opts := testOptions()
			opts.InsecureAllowCredentialWithHTTP = true
			c, err := NewClient(f.URL, &scopeCredential{}, opts)
			require.NoError(t, err)
			got, err := only(c).getTemporaryAccessKey(context.Background())
			r := f.last(t)
			assert.Equal(t, http.MethodGet, r.Method)
			assert.Equal(t, "/api/v1/auth/accessKey", r.Path)
			assert.Equal(t, "Bearer entra-token", r.Header.Get("Authorization"))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got.String(), "temp-secret-value")
			assert.NotContains(t, fmt.Sprint(got), "temp-secret-value")
			assert.NotContains(t, fmt.Sprintf("%#v", got), "temp-secret-value")
		})
	}
}

func TestTelemetryApplicationID(t *testing.T) {
	f := newFakeService(t, nil)
	opts := testOptions()
	opts.Telemetry.ApplicationID = "chat-app"
	_, err := hubOf(t, newTestClient(t, f, opts), "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.NoError(t, err)
	ua := f.last(t).Header.Get("User-Agent")
	assert.True(t, strings.HasPrefix(ua, "chat-app azsdk-go-funcsignalr/v0.1.0 "), ua)
}

func TestNilOptionsUseDefaults(t *testing.T) {
	f := newFakeService(t, nil)
	c, err := NewClientWithAccessKey(f.URL, NewAccessKeyCredential(testKey), nil)
	require.NoError(t, err)
	h := hubOf(t, c, "chat")
	ctx := context.Background()
	_, err = h.SendToAll(ctx, Message{Target: "t"}, nil)
	require.NoError(t, err)
	_, err = h.SendToGroup(ctx, "g", Message{Target: "t"}, nil)
	require.NoError(t, err)
	_, err = h.AddUserToGroup(ctx, "g", "u", nil)
	require.NoError(t, err)
	_, err = h.CloseGroupConnections(ctx, "g", nil)
	require.NoError(t, err)
	_, err = h.CloseUserConnections(ctx, "u", nil)
	require.NoError(t, err)
	for _, r := range f.requests() {
		assert.Equal(t, []string{DefaultAPIVersion}, r.Query["api-version"])
		assert.Len(t, r.Query, 1, "nil options add no query parameters: %v", r.Query)
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	var mu sync.Mutex
	var logged strings.Builder
	log.SetListener(func(_ log.Event, msg string) {
		mu.Lock()
		logged.WriteString(msg + "\n")
		mu.Unlock()
	})
	t.Cleanup(func() { log.SetListener(nil) })

	f := newFakeService(t, failThenSucceed(503, 1))
	c, err := NewClientFromConnectionString("Endpoint="+f.URL+";AccessKey="+secretKey+";Version=1.0", testOptions())
	require.NoError(t, err)
	_, err = hubOf(t, c, "chat").SendToUser(context.Background(), "alice", Message{Target: "t", Arguments: []any{"hello"}}, nil)
	require.NoError(t, err)

	mu.Lock()
	out := logged.String()
	mu.Unlock()
	require.Contains(t, out, "/api/hubs/chat/users/alice/:send", "the listener saw the requests")
	bearer := strings.TrimPrefix(f.last(t).Header.Get("Authorization"), "Bearer ")
	require.NotEmpty(t, bearer)
	assert.NotContains(t, out, secretKey)
	assert.NotContains(t, out, bearer)
}
