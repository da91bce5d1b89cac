package signalr

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secretKey = "S3cretAccessKeyValue+/=="

func TestParseConnectionString(t *testing.T) {
	tests := []struct {
		name                     string
		in                       string
		want                     ConnectionString
		server, client, audience string
		entra                    bool
	}{
		{
			name:   "typical",
			in:     "Endpoint=https://x.service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;",
			want:   ConnectionString{Endpoint: "https://x.service.signalr.net", AccessKey: secretKey, Version: "1.0"},
			server: "https://x.service.signalr.net", client: "https://x.service.signalr.net", audience: "https://x.service.signalr.net/",
		},
		{
			name:   "emulator with port",
			in:     "Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
			want:   ConnectionString{Endpoint: "http://localhost", AccessKey: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", Version: "1.0", Port: 8888},
			server: "http://localhost:8888", client: "http://localhost:8888", audience: "http://localhost/",
		},
		{
			name:   "keys any case, spaces, trailing slash, empty segments, value with =",
			in:     " ENDPOINT = https://x.service.signalr.net/ ;; accesskey=abc== ; version=1.1.2;",
			want:   ConnectionString{Endpoint: "https://x.service.signalr.net", AccessKey: "abc==", Version: "1.1.2"},
			server: "https://x.service.signalr.net", client: "https://x.service.signalr.net", audience: "https://x.service.signalr.net/",
		},
		{
			name:   "port replaces the endpoint port",
			in:     "Endpoint=https://x.net:443;Port=8443;AccessKey=k",
			want:   ConnectionString{Endpoint: "https://x.net:443", AccessKey: "k", Port: 8443},
			server: "https://x.net:8443", client: "https://x.net:8443", audience: "https://x.net/",
		},
		{
			name:   "IPv6 endpoint with port",
			in:     "Endpoint=http://[::1]:7000;Port=8888;AccessKey=k",
			want:   ConnectionString{Endpoint: "http://[::1]:7000", AccessKey: "k", Port: 8888},
			server: "http://[::1]:8888", client: "http://[::1]:8888", audience: "http://[::1]/",
		},
		{
			name: "client and server endpoints",
			in:   "Endpoint=https://x.service.signalr.net;AccessKey=k;ClientEndpoint=https://gw.contoso.com/;ServerEndpoint=http://10.0.0.4:8080/prefix/;Port=9000",
			want: ConnectionString{Endpoint: "https://x.service.signalr.net", AccessKey: "k", Port: 9000,
				ClientEndpoint: "https://gw.contoso.com", ServerEndpoint: "http://10.0.0.4:8080/prefix"},
			server: "http://10.0.0.4:8080/prefix", client: "https://gw.contoso.com", audience: "https://x.service.signalr.net/",
		},
		{
			name:   "AuthType azure",
			in:     "Endpoint=https://x.service.signalr.net;AuthType=Azure;Version=1.0",
			want:   ConnectionString{Endpoint: "https://x.service.signalr.net", AuthType: "azure", Version: "1.0"},
			server: "https://x.service.signalr.net", client: "https://x.service.signalr.net", audience: "https://x.service.signalr.net/",
			entra: true,
		},
		{
			name:   "AuthType azure.msi with client id",
			in:     "Endpoint=https://x.service.signalr.net;AuthType=azure.msi;ClientId=11111111-2222-3333-4444-555555555555",
			want:   ConnectionString{Endpoint: "https://x.service.signalr.net", AuthType: "azure.msi", ClientID: "11111111-2222-3333-4444-555555555555"},
			server: "https://x.service.signalr.net", client: "https://x.service.signalr.net", audience: "https://x.service.signalr.net/",
			entra: true,
		},
		{
			name:   "AuthType azure.app with secret",
			in:     "Endpoint=https://x.service.signalr.net;AuthType=azure.app;ClientId=c;TenantId=t;ClientSecret=" + secretKey,
			want:   ConnectionString{Endpoint: "https://x.service.signalr.net", AuthType: "azure.app", ClientID: "c", TenantID: "t", ClientSecret: secretKey},
			server: "https://x.service.signalr.net", client: "https://x.service.signalr.net", audience: "https://x.service.signalr.net/",
			entra: true,
		},
		{
			name:   "legacy aad",
			in:     "Endpoint=https://x.service.signalr.net;AuthType=aad",
			want:   ConnectionString{Endpoint: "https://x.service.signalr.net", AuthType: "aad"},
			server: "https://x.service.signalr.net", client: "https://x.service.signalr.net", audience: "https://x.service.signalr.net/",
			entra: true,
		},
		{
			name:   "unknown keys are ignored",
			in:     "Endpoint=https://x.service.signalr.net;AccessKey=k;Foo=bar",
			want:   ConnectionString{Endpoint: "https://x.service.signalr.net", AccessKey: "k"},
			server: "https://x.service.signalr.net", client: "https://x.service.signalr.net", audience: "https://x.service.signalr.net/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseConnectionString(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *cs)
			assert.Equal(t, tt.server, cs.serverURL())
			assert.Equal(t, tt.client, cs.clientURL())
			assert.Equal(t, tt.audience, cs.audienceBase())
			assert.Equal(t, tt.entra, cs.UsesEntraID())

			// String round-trips everything but the secrets.
			again, err := ParseConnectionString(strings.ReplaceAll(cs.String(), "REDACTED", "x"))
			require.NoError(t, err)
			assert.Equal(t, cs.Endpoint, again.Endpoint)
			assert.Equal(t, cs.serverURL(), again.serverURL())
			assert.Equal(t, cs.AuthType, again.AuthType)
		})
	}
}

func TestParseConnectionStringErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "connection string is empty"},
		{"only separators", " ; ;", "connection string is empty"},
		{"no endpoint", "AccessKey=" + secretKey, "has no Endpoint"},
		{"empty endpoint", "Endpoint=;AccessKey=" + secretKey, "has no Endpoint"},
		{"no access key", "Endpoint=https://x.service.signalr.net;Version=1.0", "has no AccessKey"},
		{"segment without =", "Endpoint=https://x.net;AccessKeyS3cretWithoutEquals", "segment 2 is not key=value"},
		{"empty key", "Endpoint=https://x.net;=v;AccessKey=" + secretKey, "segment 2 is not key=value"},
		{"duplicate key", "Endpoint=https://x.net;AccessKey=" + secretKey + ";accesskey=" + secretKey, "key AccessKey more than once"},
		{"duplicate unknown key not echoed", "Endpoint=https://x.net;AccessKey=a;" + secretKey + "=1;" + secretKey + "=2", "(an unknown key) more than once"},
		{"ftp endpoint", "Endpoint=ftp://x.net;AccessKey=" + secretKey, "Endpoint is not an absolute http or https URL"},
		{"relative endpoint", "Endpoint=x.service.signalr.net;AccessKey=" + secretKey, "Endpoint is not an absolute http or https URL"},
		{"endpoint swallowed the key", "Endpoint=https://x.net,AccessKey=" + secretKey + ";Version=1.0", "Endpoint has an invalid host name"},
		{"endpoint with user info", "Endpoint=https://u:S3cretPassword@x.net;AccessKey=k", "must not carry user information"},
		{"endpoint with query", "Endpoint=https://x.net?code=" + secretKey + ";AccessKey=k", "must not have a query"},
		{"bad client endpoint", "Endpoint=https://x.net;AccessKey=k;ClientEndpoint=gw", "ClientEndpoint is not an absolute"},
		{"bad server endpoint", "Endpoint=https://x.net;AccessKey=k;ServerEndpoint=tcp://gw", "ServerEndpoint is not an absolute"},
		{"port zero", "Endpoint=https://x.net;AccessKey=k;Port=0", "Port is not a number from 1 to 65535"},
		{"port too big", "Endpoint=https://x.net;AccessKey=k;Port=65536", "Port is not a number from 1 to 65535"},
		{"port not a number", "Endpoint=https://x.net;AccessKey=k;Port=" + secretKey, "Port is not a number"},
		{"version 2", "Endpoint=https://x.net;AccessKey=k;Version=2.0", "Version is not supported"},
		{"version junk", "Endpoint=https://x.net;AccessKey=k;Version=" + secretKey, "Version is not supported"},
		{"unknown auth type", "Endpoint=https://x.net;AuthType=" + secretKey, "AuthType is not supported"},
		{"azure.app without tenant", "Endpoint=https://x.net;AuthType=azure.app;ClientId=c;ClientSecret=" + secretKey, "needs ClientId, TenantId and ClientSecret or ClientCert"},
		{"azure.app without secret", "Endpoint=https://x.net;AuthType=azure.app;ClientId=c;TenantId=t", "needs ClientId, TenantId and ClientSecret or ClientCert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseConnectionString(tt.in)
			require.Error(t, err)
			assert.Nil(t, cs)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), secretKey, "errors never echo secrets")
			assert.NotContains(t, err.Error(), "S3cret")
			assert.True(t, strings.HasPrefix(err.Error(), "signalr: "))
		})
	}
}

func TestConnectionStringRedaction(t *testing.T) {
	cs, err := ParseConnectionString("Endpoint=https://x.service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;AuthType=azure.app;ClientId=c;TenantId=t;ClientSecret=Cl1entS3cretValue;ClientCert=/certs/app.pem;Port=444;ClientEndpoint=https://gw.net;ServerEndpoint=https://srv.net")
	require.NoError(t, err)
	for _, s := range []string{cs.String(), fmt.Sprint(cs), fmt.Sprintf("%v %+v %s", cs, cs, cs), fmt.Sprintf("%#v", cs)} {
		assert.NotContains(t, s, secretKey)
		assert.NotContains(t, s, "Cl1entS3cretValue")
		assert.Contains(t, s, "AccessKey=REDACTED")
		assert.Contains(t, s, "ClientSecret=REDACTED")
	}
	assert.Equal(t, "Endpoint=https://x.service.signalr.net;AccessKey=REDACTED;Version=1.0;Port=444;ClientEndpoint=https://gw.net;ServerEndpoint=https://srv.net;AuthType=azure.app;ClientId=c;TenantId=t;ClientSecret=REDACTED;ClientCert=/certs/app.pem;", cs.String())
}

// writeTestCert writes a self-signed certificate and its key as one PEM file.
func writeTestCert(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	path := filepath.Join(t.TempDir(), "app.pem")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func TestConnectionStringCredential(t *testing.T) {
	certPath := writeTestCert(t)
	badCert := filepath.Join(t.TempDir(), "bad.pem")
	require.NoError(t, os.WriteFile(badCert, []byte("not a certificate"), 0o600))
	const ep = "Endpoint=https://x.service.signalr.net;"
	tests := []struct {
		name    string
		in      string
		want    any
		wantErr string
	}{
		{"azure", ep + "AuthType=azure", &azidentity.DefaultAzureCredential{}, ""},
		{"azure.msi system", ep + "AuthType=azure.msi", &azidentity.ManagedIdentityCredential{}, ""},
		{"azure.msi user", ep + "AuthType=azure.msi;ClientId=c", &azidentity.ManagedIdentityCredential{}, ""},
		{"azure.app secret", ep + "AuthType=azure.app;ClientId=c;TenantId=t;ClientSecret=s", &azidentity.ClientSecretCredential{}, ""},
		{"azure.app cert", ep + "AuthType=azure.app;ClientId=c;TenantId=t;ClientCert=" + certPath, &azidentity.ClientCertificateCredential{}, ""},
		{"azure.app unreadable cert", ep + "AuthType=azure.app;ClientId=c;TenantId=t;ClientCert=" + filepath.Join(t.TempDir(), "missing.pem"), nil, "reading ClientCert"},
		{"azure.app invalid cert", ep + "AuthType=azure.app;ClientId=c;TenantId=t;ClientCert=" + badCert, nil, "holds no usable certificate"},
		{"aad app", ep + "AuthType=aad;ClientId=c;TenantId=t;ClientSecret=s", &azidentity.ClientSecretCredential{}, ""},
		{"aad user-assigned identity", ep + "AuthType=aad;ClientId=c", &azidentity.ManagedIdentityCredential{}, ""},
		{"aad system identity", ep + "AuthType=aad", &azidentity.ManagedIdentityCredential{}, ""},
		{"access key", ep + "AccessKey=k", nil, "uses an AccessKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseConnectionString(tt.in)
			require.NoError(t, err)
			cred, err := cs.Credential()
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.IsType(t, tt.want, cred)
		})
	}
}

// FuzzParseConnectionString checks that no input panics, that errors never echo the AccessKey
// or ClientSecret, and that String never shows them.
func FuzzParseConnectionString(f *testing.F) {
	seeds := []string{
		"Endpoint=https://x.service.signalr.net;AccessKey=" + secretKey + ";Version=1.0;",
		"Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
		"Endpoint=https://x.net;AuthType=azure.app;ClientId=c;TenantId=t;ClientSecret=" + secretKey,
		"Endpoint=https://x.net;AuthType=azure.msi;ClientId=c",
		"endpoint=https://[::1]:80/;accesskey=a=b=c;port=1;clientendpoint=https://g;serverendpoint=http://s/p",
		"Endpoint=https://x.net,AccessKey=" + secretKey + ";Version=1.0",
		"Endpoint=https://u:p@x.net;AccessKey=k",
		"Endpoint=https://x.net;Endpoint=https://y.net",
		";;;=;==;",
		"Endpoint=%zz;AccessKey=k",
		"Endpoint=https://x.net;AccessKey=k;Port=99999999999999999999",
		"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secrets := secretValues(s)
		cs, err := ParseConnectionString(s)
		if err != nil {
			require.Nil(t, cs)
			for _, secret := range secrets {
				// A secret may only show up as part of the fixed message text.
				if strings.Contains(err.Error(), secret) {
					require.Containsf(t, fixedErrorText, secret, "error %q echoes a secret %q", err, secret)
				}
			}
			return
		}
		require.NotEmpty(t, cs.Endpoint)
		shown := cs.String()
		redacted := *cs
		redacted.AccessKey, redacted.ClientSecret = "", ""
		for _, secret := range secrets {
			if strings.Contains(shown, secret) {
				require.Containsf(t, redacted.String()+"REDACTED", secret, "String %q shows a secret", shown)
			}
		}
		// Derived URLs never fail on a value that parsed.
		require.NotEmpty(t, cs.serverURL())
		require.NotEmpty(t, cs.clientURL())
		require.True(t, strings.HasSuffix(cs.audienceBase(), "/"))
	})
}

// fixedErrorText is the text of every parse error for inputs that carry no secret.
var fixedErrorText = func() string {
	var b strings.Builder
	for _, in := range []string{
		"", "AccessKey=k", "Endpoint=https://x.net", "Endpoint=https://x.net;k", "Endpoint=https://x.net;a=1;a=2",
		"Endpoint=https://x.net;AccessKey=k;accesskey=k", "Endpoint=ftp://x", "Endpoint=https://u@x.net;AccessKey=k",
		"Endpoint=https://x,y;AccessKey=k", "Endpoint=https://x.net?q;AccessKey=k", "Endpoint=https://x.net;AccessKey=k;Port=0",
		"Endpoint=https://x.net;AccessKey=k;Version=2", "Endpoint=https://x.net;AuthType=x", "Endpoint=https://x.net;AuthType=azure.app",
		"Endpoint=https://x.net;AccessKey=k;ClientEndpoint=x", "Endpoint=https://x.net;AccessKey=k;ServerEndpoint=x",
	} {
		_, err := ParseConnectionString(in)
		b.WriteString(err.Error())
		b.WriteString("\n")
	}
	return b.String()
}()

// secretValues returns the AccessKey and ClientSecret values of s as the parser would see them,
// skipping values too short to be told apart from other text.
func secretValues(s string) []string {
	var out []string
	for _, seg := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "accesskey", "clientsecret":
			if v = strings.TrimSpace(v); len(v) >= 8 {
				out = append(out, v)
			}
		}
	}
	return out
}
