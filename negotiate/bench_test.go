package negotiate

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// benchCases are the option sets the minting benchmarks run with: the DESIGN example (a user id)
// and a token carrying a few claims, one of them renamed, and a role.
var benchCases = []struct {
	name string
	opts *Options
}{
	{"user", &Options{UserID: "alice@contoso.com"}},
	{"claims", &Options{
		UserID: "alice@contoso.com",
		Claims: []Claim{{Type: "name", Value: "Alice Example"}, {Type: "email", Value: "alice@contoso.com"}, {Type: "iss", Value: "https://login.example.com"}},
		Roles:  []string{"admin"},
	}},
}

// BenchmarkNegotiateAccessKey is the hot path: a cached hub and an access key.
func BenchmarkNegotiateAccessKey(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			n := newTestNegotiator(b, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.Negotiate(ctx, "chat", bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFloorHMAC only HMACs the signing input of the same tokens: the cost no minting can
// avoid, so BenchmarkNegotiateAccessKey / BenchmarkFloorHMAC is the overhead ratio.
func BenchmarkFloorHMAC(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			n := newTestNegotiator(b, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
			info, err := n.Negotiate(context.Background(), "chat", bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			input := []byte(info.AccessToken[:strings.LastIndexByte(info.AccessToken, '.')])
			mac := hmac.New(sha256.New, []byte(testKey))
			sum := make([]byte, 0, sha256.Size)
			b.ReportAllocs()
			for b.Loop() {
				mac.Reset()
				mac.Write(input)
				sum = mac.Sum(sum[:0])
			}
		})
	}
}

// BenchmarkJWTLibrary mints the "claims" token with jwt/v5 and MapClaims, for reference.
func BenchmarkJWTLibrary(b *testing.B) {
	key := []byte(testKey)
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		_, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"aud": testAudience, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix(),
			"asrs.s.uid": "alice@contoso.com", "name": "Alice Example", "email": "alice@contoso.com",
			"asrs.u.iss": "https://login.example.com", "role": "admin",
		}).SignedString(key)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNegotiateWithEndpoints is the hot path of a client of three endpoints under the
// default routing: the routing and health lookup come on top of BenchmarkNegotiateAccessKey.
func BenchmarkNegotiateWithEndpoints(b *testing.B) {
	var endpoints []signalr.Endpoint
	for _, name := range []string{"a", "b", "c"} {
		client, err := signalr.NewClientFromConnectionString("Endpoint=https://"+name+".service.signalr.net;AccessKey="+testKey, nil)
		if err != nil {
			b.Fatal(err)
		}
		endpoints = append(endpoints, signalr.Endpoint{Name: name, Client: client})
	}
	multi, err := signalr.NewClientWithEndpoints(endpoints, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = multi.Close() })
	n := mustNew(b, multi, nil)
	ctx := context.Background()
	opts := benchCases[0].opts
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Negotiate(ctx, "chat", opts); err != nil {
			b.Fatal(err)
		}
	}
}
