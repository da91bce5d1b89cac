package negotiate

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawJWT builds an unsigned-looking JWT around an exact payload, to control key order and
// repeated keys.
func rawJWT(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature"))
}

func TestClaimsFromIDTokenUnverified(t *testing.T) {
	token := rawJWT(`{"iss":"https://login.example.com","sub":"u1","aud":"app","exp":1700000000,"name":"Alice","roles":["admin","reader"],"email_verified":true,"ver":2.0,"address":{"country": "NL"},"nothing":null,"sub":"u2"}`)
	all := []Claim{
		{"asrs.u.iss", "https://login.example.com"}, {"asrs.u.sub", "u1"}, {"asrs.u.aud", "app"}, {"asrs.u.exp", "1700000000"},
		{"name", "Alice"}, {"roles", "admin"}, {"roles", "reader"}, {"email_verified", "true"}, {"ver", "2.0"},
		{"address", `{"country":"NL"}`}, {"asrs.u.sub", "u2"},
	}
	cases := []struct {
		name   string
		token  string
		types  []string
		claims []Claim
	}{
		{"all claims in order", token, nil, all},
		{"Bearer prefix", "Bearer " + token, nil, all},
		{"lowercase bearer and spaces", "  bearer   " + token + " ", nil, all},
		{"filtered by claim type list", token, []string{"name", "roles", "exp"}, []Claim{{"asrs.u.exp", "1700000000"}, {"name", "Alice"}, {"roles", "admin"}, {"roles", "reader"}}},
		{"no matching type", token, []string{"missing"}, []Claim{}},
		{"empty names are skipped", rawJWT(`{"":"x","a":"b"}`), nil, []Claim{{"a", "b"}}},
		{"system claims cannot be injected", rawJWT(`{"asrs.s.uid":"mallory"}`), nil, []Claim{{"asrs.u.asrs.s.uid", "mallory"}}},
		{"user-naming claims cannot be injected", rawJWT(`{"nameid":"alice","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier":"alice","sub":"alice","name":"Mallory"}`), nil,
			[]Claim{{"asrs.u.nameid", "alice"}, {"asrs.u.http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", "alice"}, {"asrs.u.sub", "alice"}, {"name", "Mallory"}}},
		{"asking for sub does not make it trusted", token, []string{"sub", "name"}, []Claim{{"asrs.u.sub", "u1"}, {"name", "Alice"}, {"asrs.u.sub", "u2"}}},
		{"padded segments", strings.Replace(rawJWT(`{"a":"b"}`), ".", "==.", 1), nil, []Claim{{"a", "b"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := ClaimsFromIDToken(tc.token, tc.types, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.claims, claims)
		})
	}
}

func TestClaimsFromIDTokenVerified(t *testing.T) {
	secret := []byte("id-token-secret")
	now := time.Now()
	sign := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		require.NoError(t, err)
		return s
	}
	keyfunc := func(*jwt.Token) (any, error) { return secret, nil }
	valid := sign(jwt.MapClaims{"sub": "alice", "name": "Alice", "aud": "my-app", "exp": now.Add(time.Hour).Unix()})

	claims, err := ClaimsFromIDToken("Bearer "+valid, []string{"sub", "name"}, &IDTokenOptions{
		Keyfunc:       keyfunc,
		ParserOptions: []jwt.ParserOption{jwt.WithAudience("my-app"), jwt.WithValidMethods([]string{"HS256"})},
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []Claim{{"sub", "alice"}, {"name", "Alice"}}, claims)

	cases := []struct {
		name  string
		token string
		opts  *IDTokenOptions
		is    error
	}{
		{"wrong key", valid, &IDTokenOptions{Keyfunc: func(*jwt.Token) (any, error) { return []byte("other"), nil }}, jwt.ErrTokenSignatureInvalid},
		{"expired", sign(jwt.MapClaims{"sub": "a", "exp": now.Add(-time.Hour).Unix()}), &IDTokenOptions{Keyfunc: keyfunc}, jwt.ErrTokenExpired},
		{"wrong audience", valid, &IDTokenOptions{Keyfunc: keyfunc, ParserOptions: []jwt.ParserOption{jwt.WithAudience("other")}}, jwt.ErrTokenInvalidAudience},
		{"unsigned token", rawJWT(`{"sub":"a"}`), &IDTokenOptions{Keyfunc: keyfunc}, jwt.ErrTokenSignatureInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := ClaimsFromIDToken(tc.token, nil, tc.opts)
			require.Error(t, err)
			assert.Nil(t, claims)
			assert.ErrorIs(t, err, ErrInvalidIDToken)
			assert.ErrorIs(t, err, tc.is)
		})
	}
}

func TestClaimsFromIDTokenMalformed(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	cases := []struct {
		name  string
		token string
		msg   string
	}{
		{"empty", "", "empty"},
		{"bearer only", "Bearer ", "empty"},
		{"one part", "abc", "three dot-separated parts, found 1"},
		{"encrypted (five parts)", "a.b.c.d.e", "found 5"},
		{"header not base64", "!!!." + enc([]byte(`{}`)) + ".sig", "header is not base64url"},
		{"header not JSON", enc([]byte("hdr")) + "." + enc([]byte(`{}`)) + ".sig", "header is not a JSON object"},
		{"payload not base64", enc([]byte(`{}`)) + ".%%%.sig", "payload is not base64url"},
		{"payload an array", enc([]byte(`{}`)) + "." + enc([]byte(`["a"]`)) + ".sig", "payload is not a JSON object"},
		{"payload truncated", enc([]byte(`{}`)) + "." + enc([]byte(`{"a":`)) + ".sig", "payload is not a JSON object"},
		{"payload with trailing data", enc([]byte(`{}`)) + "." + enc([]byte(`{"a":1} {}`)) + ".sig", "payload is not a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := ClaimsFromIDToken(tc.token, nil, nil)
			require.Error(t, err)
			assert.Nil(t, claims)
			assert.ErrorIs(t, err, ErrInvalidIDToken)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func FuzzClaimsFromIDToken(f *testing.F) {
	f.Add(rawJWT(`{"sub":"u1","name":"Alice","roles":["a","b"],"exp":1}`))
	f.Add("Bearer " + rawJWT(`{"a":{"b":[1,null,"c"]},"n":null}`))
	f.Add(rawJWT(`{"a":"\ud800","a":[[],{}]}`))
	f.Add("a.b.c")
	f.Add("Bearer")
	f.Add("..")
	f.Add(rawJWT(`{"asrs.s.uid":"mallory","sub":"a","sub":"b"}`))
	n := newTestNegotiator(f, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := ClaimsFromIDToken(token, nil, nil)
		if err != nil {
			assert.Nil(t, claims)
			assert.ErrorIs(t, err, ErrInvalidIDToken)
			return
		}
		for _, c := range claims {
			assert.False(t, isReservedClaim(c.Type), "reserved claim %q not renamed", c.Type)
		}
		// Every readable token's claims can be minted, unless there are too many.
		_, err = n.Negotiate(context.Background(), "chat", &Options{Claims: claims})
		if err != nil {
			assert.ErrorIs(t, err, ErrTokenTooLong)
		}
	})
}

// A token from a trusted source (App Service authentication's X-MS-TOKEN-AAD-ID-TOKEN) or a
// verified one may name the user; an unverified one never does, and the token Negotiate mints
// from its claims carries no claim the service would read the user id from.
func TestIDTokenIdentityClaimsNeedTrust(t *testing.T) {
	idToken := rawJWT(`{"sub":"alice","nameid":"alice","name":"Alice"}`)
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey+";Version=1.0;", nil)
	for _, tc := range []struct {
		name     string
		opts     *IDTokenOptions
		identity bool
	}{
		{"no options", nil, false},
		{"unverified", &IDTokenOptions{}, false},
		{"trusted source", &IDTokenOptions{TrustedSource: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := ClaimsFromIDToken(idToken, nil, tc.opts)
			require.NoError(t, err)
			info, err := n.Negotiate(context.Background(), "chat", &Options{Claims: claims})
			require.NoError(t, err)
			_, minted := parseToken(t, info.AccessToken, testKey, "https://x.service.signalr.net/client/?hub=chat")
			assert.Equal(t, "Alice", minted["name"])
			if tc.identity {
				assert.Equal(t, "alice", minted["sub"])
				assert.Equal(t, "alice", minted["nameid"])
				return
			}
			for _, typ := range []string{"sub", "nameid", ClaimUserID} {
				assert.NotContains(t, minted, typ, "an unverified id token must not name the user")
			}
			assert.Equal(t, "alice", minted["asrs.u.sub"], "the value still reaches upstream handlers, renamed")
		})
	}
}
