package negotiate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
)

// signingKey is a key plus the encoded JWT header that names it, built once per key so minting
// only encodes the payload.
type signingKey struct {
	secret string
	header string // base64url(header JSON) + "."
}

func newSigningKey(kid, secret string) *signingKey {
	h := []byte(`{"alg":"HS256",`)
	if kid != "" {
		h = append(h, `"kid":`...)
		h = jsonwire.AppendString(h, kid)
		h = append(h, ',')
	}
	h = append(h, `"typ":"JWT"}`...)
	return &signingKey{secret: secret, header: base64.RawURLEncoding.EncodeToString(h) + "."}
}

// localKeyHeader is the header of tokens signed with a connection-string access key. The service
// ignores kid for those keys and tries each of its keys, so none is sent.
var localKeyHeader = newSigningKey("", "").header

// minter holds the reusable state of one minting: an HMAC-SHA256 keyed with the last secret it
// signed with, and the payload and token buffers. Minters are pooled per Negotiator, and a minter
// belongs to one goroutine between Get and Put, so the keyed hash needs no lock and a steady
// stream of negotiations allocates only the token string.
//
// Keeping the crypto/hmac keyed saves deriving the ipad and opad blocks and hashing them for each
// token: Reset restores the keyed state, so a token costs hashing its signing input and two
// finalisations. The secret is a connection string's access key or the service's temporary
// key under Microsoft Entra ID; the latter rotates about hourly, so each minter re-keys once per
// rotation.
type minter struct {
	secret  string
	mac     hash.Hash // crypto/hmac over SHA-256, keyed with secret; nil before the first mint
	sum     []byte
	payload []byte
	token   []byte
}

// maxPooledBuffer keeps a rare huge claim set from pinning memory in the pool.
const maxPooledBuffer = 16 << 10

// claimsPlan is everything a token carries besides aud, which comes with the hub.
type claimsPlan struct {
	userID          string
	claims          []Claim
	roles           []string
	diagnostic      bool
	closeOnAuth     bool
	authExpiresUnix int64
	issuedUnix      int64
	expiresUnix     int64
}

// mint returns header.payload.signature. It appends JSON by hand instead of marshalling a claims
// map: no reflection and no per-claim allocation on this hot path. The payload starts with the
// hub's precomputed {"aud":…, prefix, already base64-encoded.
func (m *minter) mint(header, secret string, h *hubInfo, p *claimsPlan) (string, error) {
	if m.mac == nil || m.secret != secret {
		m.mac = hmac.New(sha256.New, []byte(secret))
		m.secret = secret
	}
	b := append(m.payload[:0], `"exp":`...)
	b = strconv.AppendInt(b, p.expiresUnix, 10)
	b = append(b, `,"iat":`...)
	iat := len(b)
	b = strconv.AppendInt(b, p.issuedUnix, 10)
	digits := len(b) - iat
	b = append(b, `,"nbf":`...)
	b = append(b, b[iat:iat+digits]...) // nbf = iat
	if p.userID != "" {
		b = append(b, `,"`+ClaimUserID+`":`...)
		b = jsonwire.AppendString(b, p.userID)
	}
	b = appendCustomClaims(b, p.claims, p.roles)
	if p.diagnostic {
		b = append(b, `,"`+claimDiagnostic+`":"true"`...)
	}
	if p.closeOnAuth {
		b = append(b, `,"`+claimCloseOnAuth+`":"true","`+claimAuthExpires+`":"`...)
		b = strconv.AppendInt(b, p.authExpiresUnix, 10)
		b = append(b, '"')
	}
	b = append(b, '}')
	m.payload = b

	t := append(m.token[:0], header...)
	t = append(t, h.prefixB64...)
	t = base64.RawURLEncoding.AppendEncode(t, b)
	m.token = t
	// 43 characters of signature plus the dot follow.
	if len(t)+44 > maxTokenLength {
		return "", ErrTokenTooLong
	}
	m.mac.Reset()
	m.mac.Write(t)
	m.sum = m.mac.Sum(m.sum[:0])
	t = append(t, '.')
	t = base64.RawURLEncoding.AppendEncode(t, m.sum)
	m.token = t
	return string(t), nil
}

// release trims oversized buffers before the minter goes back to the pool.
func (m *minter) release() {
	if cap(m.payload) > maxPooledBuffer {
		m.payload = nil
	}
	if cap(m.token) > maxPooledBuffer {
		m.token = nil
	}
}

// maxClaimCount bounds the quadratic grouping below; a token holding more claims than this
// cannot fit in 4096 characters anyway.
const maxClaimCount = 700

// appendCustomClaims writes custom claims followed by roles (as "role" claims). Claims sharing a
// name become one JSON array in first-seen order; reserved names and every "sub" after the first
// are written as asrs.u.<name>.
func appendCustomClaims(b []byte, claims []Claim, roles []string) []byte {
	n := len(claims) + len(roles)
	if n == 0 {
		return b
	}
	var flagsBuf [32]bool
	renamed := flagsBuf[:0]
	if n > len(flagsBuf) {
		renamed = make([]bool, 0, n)
	}
	seenSub := false
	for i := 0; i < n; i++ {
		typ, _ := claimAt(claims, roles, i)
		renamed = append(renamed, isReservedClaim(typ) || (typ == "sub" && seenSub))
		if typ == "sub" {
			seenSub = true
		}
	}
	for i := 0; i < n; i++ {
		typ, val := claimAt(claims, roles, i)
		dup := false
		for j := 0; j < i && !dup; j++ {
			t, _ := claimAt(claims, roles, j)
			dup = sameName(renamed[i], typ, renamed[j], t)
		}
		if dup {
			continue
		}
		count := 1
		for j := i + 1; j < n; j++ {
			t, _ := claimAt(claims, roles, j)
			if sameName(renamed[i], typ, renamed[j], t) {
				count++
			}
		}
		b = append(b, ',')
		start := len(b)
		b = jsonwire.AppendString(b, typ)
		if renamed[i] {
			// Insert the prefix after the opening quote, without building the name.
			b = append(b, userClaimPrefix...)
			copy(b[start+1+len(userClaimPrefix):], b[start+1:len(b)-len(userClaimPrefix)])
			copy(b[start+1:], userClaimPrefix)
		}
		b = append(b, ':')
		if count == 1 {
			b = jsonwire.AppendString(b, val)
			continue
		}
		b = append(b, '[')
		b = jsonwire.AppendString(b, val)
		for j := i + 1; j < n; j++ {
			t, v := claimAt(claims, roles, j)
			if sameName(renamed[i], typ, renamed[j], t) {
				b = append(b, ',')
				b = jsonwire.AppendString(b, v)
			}
		}
		b = append(b, ']')
	}
	return b
}

// claimAt indexes claims followed by roles as one list.
func claimAt(claims []Claim, roles []string, i int) (typ, val string) {
	if i < len(claims) {
		return claims[i].Type, claims[i].Value
	}
	return ClaimRole, roles[i-len(claims)]
}

// sameName compares the names two claims are written under, prefix included.
func sameName(renamedA bool, a string, renamedB bool, b string) bool {
	switch {
	case renamedA == renamedB:
		return a == b
	case renamedA:
		return len(b) == len(userClaimPrefix)+len(a) && b[:len(userClaimPrefix)] == userClaimPrefix && b[len(userClaimPrefix):] == a
	default:
		return len(a) == len(userClaimPrefix)+len(b) && a[:len(userClaimPrefix)] == userClaimPrefix && a[len(userClaimPrefix):] == b
	}
}
