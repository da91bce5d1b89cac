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

// BenchmarkFloorHMAC only HMACs the signing input of the same tokens with a keyed crypto/hmac
// reused through Reset, as a pooled minter does: the cost no minting can avoid, so
// BenchmarkNegotiateAccessKey / BenchmarkFloorHMAC is the overhead of everything else (options,
// JSON, base64, the token string).
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

// BenchmarkNegotiateOverFloor reports BenchmarkNegotiateAccessKey / BenchmarkFloorHMAC from
// one run, alternating batches of the two loops: on a machine whose cores are shared, load
// shifts between two separate benchmarks but falls alike on neighbouring batches, so this ratio
// is steadier than one computed from the two benchmarks. One op is a batch of each.
func BenchmarkNegotiateOverFloor(b *testing.B) {
	const batch = 64
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			n := newTestNegotiator(b, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
			ctx := context.Background()
			info, err := n.Negotiate(ctx, "chat", bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			input := []byte(info.AccessToken[:strings.LastIndexByte(info.AccessToken, '.')])
			mac := hmac.New(sha256.New, []byte(testKey))
			sum := make([]byte, 0, sha256.Size)
			var negotiate, floor time.Duration
			for b.Loop() {
				start := time.Now()
				for range batch {
					if _, err := n.Negotiate(ctx, "chat", bc.opts); err != nil {
						b.Fatal(err)
					}
				}
				mid := time.Now()
				for range batch {
					mac.Reset()
					mac.Write(input)
					sum = mac.Sum(sum[:0])
				}
				negotiate += mid.Sub(start)
				floor += time.Since(mid)
			}
			ops := float64(b.N * batch)
			b.ReportMetric(float64(negotiate)/ops, "negotiate-ns")
			b.ReportMetric(float64(floor)/ops, "floor-ns")
			b.ReportMetric(float64(negotiate)/float64(floor), "x-floor")
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
