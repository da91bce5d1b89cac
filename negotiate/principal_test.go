package negotiate

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func principalRequest(headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/negotiate", nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestPrincipalFromRequestGolden(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		headers map[string]string
		enc     *base64.Encoding
		check   func(t *testing.T, p Principal)
	}{
		{
			name: "App Service, Microsoft Entra ID",
			file: "principal-appservice-aad.json",
			headers: map[string]string{
				HeaderClientPrincipalID:   "5b5450db-eb26-4c1a-981c-ba1d25f0483d",
				HeaderClientPrincipalName: "alice@contoso.com",
				HeaderClientPrincipalIDP:  "aad",
			},
			enc: base64.StdEncoding,
			check: func(t *testing.T, p Principal) {
				assert.Equal(t, "5b5450db-eb26-4c1a-981c-ba1d25f0483d", p.ID)
				assert.Equal(t, "alice@contoso.com", p.Name)
				assert.Equal(t, "aad", p.IdentityProvider)
				assert.Equal(t, "aad", p.AuthType)
				assert.Equal(t, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", p.NameClaimType)
				assert.Equal(t, []string{"Chat.Admin"}, p.Roles)
				require.Len(t, p.Claims, 20)
				assert.Equal(t, Claim{"aud", "5f1c3e2a-7c1d-4a44-9a57-2c8b6a9f1e10"}, p.Claims[0])
				assert.Equal(t, Claim{"groups", "14a87ffa-0801-49bf-a515-3d259a2a9f8f"}, p.Claims[9], "repeated claims keep order")
			},
		},
		{
			name: "App Service, GitHub, name from name_typ, unpadded base64",
			file: "principal-appservice-github.json",
			headers: map[string]string{
				HeaderClientPrincipalID:  "1234567",
				HeaderClientPrincipalIDP: "github",
			},
			enc: base64.RawStdEncoding,
			check: func(t *testing.T, p Principal) {
				assert.Equal(t, "1234567", p.ID)
				assert.Equal(t, "octocat", p.Name)
				assert.Equal(t, "github", p.IdentityProvider)
				assert.Empty(t, p.Roles)
				assert.Len(t, p.Claims, 4)
			},
		},
		{
			name: "Static Web Apps shape without the id headers, URL-safe base64",
			file: "principal-staticwebapps.json",
			enc:  base64.URLEncoding,
			check: func(t *testing.T, p Principal) {
				assert.Equal(t, "e7f664ca-4ecc-45be-84cf-74b6240d049a", p.ID)
				assert.Equal(t, "jane.doe@contoso.com", p.Name)
				assert.Equal(t, "aad", p.IdentityProvider)
				assert.Equal(t, []string{"anonymous", "authenticated"}, p.Roles)
				assert.Equal(t, []Claim{{"preferred_username", "jane.doe@contoso.com"}, {"name", "Jane Doe"}, {"ver", "2"}, {"email_verified", "true"}}, p.Claims)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{HeaderClientPrincipal: tc.enc.EncodeToString(golden(t, tc.file))}
			for k, v := range tc.headers {
				h[k] = v
			}
			p, err := PrincipalFromRequest(principalRequest(h))
			require.NoError(t, err)
			tc.check(t, p)
			assert.NotContains(t, p.String(), "@", "String leaves personal data out")
		})
	}
}

func TestPrincipalFromRequestHeadersOnly(t *testing.T) {
	p, err := PrincipalFromRequest(principalRequest(map[string]string{
		"x-ms-client-principal-id":   " u-1 ",
		"x-ms-client-principal-name": "bob",
	}))
	require.NoError(t, err)
	assert.Equal(t, Principal{ID: "u-1", Name: "bob"}, p)
}

func TestPrincipalFromRequestAnonymous(t *testing.T) {
	_, err := PrincipalFromRequest(principalRequest(nil))
	assert.ErrorIs(t, err, ErrNoPrincipal)
	_, err = PrincipalFromRequest(nil)
	assert.ErrorContains(t, err, "nil request")
}

func TestPrincipalFromRequestMalformed(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		name    string
		headers http.Header
		msg     string
	}{
		{"not base64", http.Header{HeaderClientPrincipal: {"%%%not-base64%%%"}}, "not base64"},
		{"not JSON", http.Header{HeaderClientPrincipal: {b64([]byte("hello"))}}, "not a base64 JSON object"},
		{"JSON array", http.Header{HeaderClientPrincipal: {b64([]byte(`[{"typ":"a"}]`))}}, "not a base64 JSON object"},
		{"JSON null", http.Header{HeaderClientPrincipal: {b64([]byte(`null`))}}, "not a base64 JSON object"},
		{"truncated JSON", http.Header{HeaderClientPrincipal: {b64([]byte(`{"auth_typ":"aad","claims":[`))}}, "invalid JSON"},
		{"claims not a list", http.Header{HeaderClientPrincipal: {b64([]byte(`{"claims":{"typ":"a"}}`))}}, "wrong type"},
		{"claim val an object", http.Header{HeaderClientPrincipal: {b64([]byte(`{"claims":[{"typ":"a","val":{"secret":"s3cr3t"}}]}`))}}, "invalid value"},
		{"claim without typ", http.Header{HeaderClientPrincipal: {b64([]byte(`{"claims":[{"val":"x"}]}`))}}, "claim 0 has no typ"},
		{"repeated id", http.Header{HeaderClientPrincipalID: {"a", "b"}}, "x-ms-client-principal-id appears 2 times"},
		{"repeated principal", http.Header{HeaderClientPrincipal: {b64([]byte(`{}`)), b64([]byte(`{}`))}}, "appears 2 times"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			for k, vs := range tc.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			p, err := PrincipalFromRequest(r)
			require.Error(t, err)
			assert.Zero(t, p)
			assert.Contains(t, err.Error(), tc.msg)
			assert.NotErrorIs(t, err, ErrNoPrincipal)
			assert.NotContains(t, err.Error(), "s3cr3t")
		})
	}
}

func FuzzPrincipalFromRequest(f *testing.F) {
	for _, name := range []string{"principal-appservice-aad.json", "principal-appservice-github.json", "principal-staticwebapps.json"} {
		f.Add("id", "name", base64.StdEncoding.EncodeToString(golden(f, name)))
	}
	f.Add("", "", "")
	f.Add("x", "", "e30")
	f.Add("", "", base64.StdEncoding.EncodeToString([]byte(`{"claims":[{"typ":"a","val":1e400}]}`)))
	f.Add("", "", base64.StdEncoding.EncodeToString([]byte(`{"claims":[{"typ":"a","val":"\ud800"}],"userRoles":null}`)))
	f.Fuzz(func(t *testing.T, id, name, principal string) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		if id != "" {
			r.Header["X-Ms-Client-Principal-Id"] = []string{id}
		}
		if name != "" {
			r.Header["X-Ms-Client-Principal-Name"] = []string{name}
		}
		if principal != "" {
			r.Header["X-Ms-Client-Principal"] = []string{principal}
		}
		p, err := PrincipalFromRequest(r)
		if err != nil {
			assert.Zero(t, p)
			assert.True(t, strings.HasPrefix(err.Error(), "negotiate: "), err.Error())
			return
		}
		if id != "" {
			assert.Equal(t, strings.TrimSpace(id), p.ID)
		}
		for _, c := range p.Claims {
			assert.NotEmpty(t, c.Type)
		}
	})
}
