package negotiate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidIDToken is wrapped by every error ClaimsFromIDToken returns for a token it cannot
// read or verify; with verification, errors.Is also finds jwt/v5's cause (jwt.ErrTokenExpired…).
var ErrInvalidIDToken = errors.New("negotiate: invalid id token")

// IDTokenOptions configures ClaimsFromIDToken. A nil *IDTokenOptions means the token is read
// without verification and its source is not trusted, so the claims naming the user are
// renamed (see ClaimsFromIDToken).
type IDTokenOptions struct {
	// Keyfunc, when set, makes ClaimsFromIDToken verify the signature, exp and nbf with jwt/v5
	// before reading any claim. Without it the claims are read unverified: fine for display
	// names passed on to upstream handlers, never for deciding who the user is.
	Keyfunc jwt.Keyfunc
	// ParserOptions add checks when Keyfunc is set, such as jwt.WithAudience, jwt.WithIssuer or
	// jwt.WithValidMethods.
	ParserOptions []jwt.ParserOption
	// TrustedSource declares that the token was authenticated before it reached the
	// application, so its claims may name the user without Keyfunc. The case it is meant for is
	// App Service authentication's X-MS-TOKEN-AAD-ID-TOKEN header (HeaderAADIDToken): the
	// platform validates the sign-in, sets the header and removes any copy a client sent.
	// Anything a client can send itself (the Authorization header, a query parameter, that same
	// header on a host without App Service authentication) is not a trusted source.
	TrustedSource bool
}

// identityClaims are the claim types the service reads the user id from when a token has no
// asrs.s.uid: nameid, else the first sub (both mapped to ClaimTypes.NameIdentifier), also in
// the long form.
var identityClaims = []string{"nameid", "sub", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"}

// ClaimsFromIDToken returns the claims of a JWT whose types are in claimTypes (all claims when
// claimTypes is empty), in token order, with the names the service reserves (aud, exp, iss,
// asrs.s.*, a second sub, …) renamed to asrs.u.<name>, so a foreign token can never set system
// claims. It is the Functions binding's idToken + claimTypeList feature. A leading "Bearer " is
// accepted, so the Authorization header can be passed as is. Array claims become repeated
// claims; numbers and booleans keep their JSON text; objects become compact JSON; null values
// and claims with an empty name are skipped.
//
// Unless the token is verified (IDTokenOptions.Keyfunc) or comes from a trusted source
// (IDTokenOptions.TrustedSource), the claims that name the user (sub, nameid and the long
// nameidentifier type) are renamed asrs.u.<name>: they still reach upstream handlers, but never
// decide the user id. Why: the service takes the user id from nameid or sub when the token has
// no asrs.s.uid, and anyone can write an unsigned JWT saying sub=alice; copying it would let a
// caller receive alice's messages and act as alice. Every other claim of an unverified token is
// as trustworthy as whoever sent it.
func ClaimsFromIDToken(token string, claimTypes []string, opts *IDTokenOptions) ([]Claim, error) {
	token = strings.TrimSpace(token)
	if len(token) >= 6 && strings.EqualFold(token[:6], "bearer") && (len(token) == 6 || token[6] == ' ') {
		token = strings.TrimSpace(token[6:])
	}
	if token == "" {
		return nil, fmt.Errorf("%w: the token is empty", ErrInvalidIDToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: expected a JWT of three dot-separated parts, found %d", ErrInvalidIDToken, len(parts))
	}
	if opts != nil && opts.Keyfunc != nil {
		if _, err := jwt.NewParser(opts.ParserOptions...).Parse(token, opts.Keyfunc); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidIDToken, err)
		}
	}
	if _, err := decodeSegment(parts[0], "header"); err != nil {
		return nil, err
	}
	payload, err := decodeSegment(parts[1], "payload")
	if err != nil {
		return nil, err
	}
	claims, err := orderedClaims(payload)
	if err != nil {
		return nil, err
	}
	if len(claimTypes) > 0 {
		claims = slices.DeleteFunc(claims, func(c Claim) bool { return !slices.Contains(claimTypes, c.Type) })
	}
	claims = renameReservedClaims(claims)
	if opts == nil || (opts.Keyfunc == nil && !opts.TrustedSource) {
		for i, c := range claims {
			if slices.Contains(identityClaims, c.Type) {
				claims[i].Type = userClaimPrefix + c.Type
			}
		}
	}
	return claims, nil
}

// decodeSegment base64url-decodes a JWT segment (padding tolerated) that must hold a JSON object.
func decodeSegment(s, what string) ([]byte, error) {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("%w: the %s is not base64url", ErrInvalidIDToken, what)
	}
	if !json.Valid(data) || len(bytes.TrimSpace(data)) == 0 || bytes.TrimSpace(data)[0] != '{' {
		return nil, fmt.Errorf("%w: the %s is not a JSON object", ErrInvalidIDToken, what)
	}
	return data, nil
}

// orderedClaims walks a JSON object keeping key order and repeated keys, which a map would lose.
func orderedClaims(payload []byte) ([]Claim, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '{', checked by decodeSegment
		return nil, fmt.Errorf("%w: the payload is not a JSON object", ErrInvalidIDToken)
	}
	var claims []Claim
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: the payload is not a JSON object", ErrInvalidIDToken)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%w: the payload is not a JSON object", ErrInvalidIDToken)
		}
		if name == "" {
			continue // legal JSON, but no claim can be named ""
		}
		claims, err = appendClaimValues(claims, name, raw)
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%w: the payload is not a JSON object", ErrInvalidIDToken)
	}
	return claims, nil
}

// appendClaimValues adds one claim per value: arrays fan out, null adds nothing.
func appendClaimValues(claims []Claim, name string, raw json.RawMessage) ([]Claim, error) {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case 'n':
		return claims, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: claim %q is not valid JSON", ErrInvalidIDToken, truncate(name))
		}
		return append(claims, Claim{Type: name, Value: s}), nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%w: claim %q is not valid JSON", ErrInvalidIDToken, truncate(name))
		}
		for _, item := range items {
			item = bytes.TrimSpace(item)
			switch item[0] {
			case 'n':
			case '"':
				var s string
				if err := json.Unmarshal(item, &s); err != nil {
					return nil, fmt.Errorf("%w: claim %q is not valid JSON", ErrInvalidIDToken, truncate(name))
				}
				claims = append(claims, Claim{Type: name, Value: s})
			default:
				claims = append(claims, Claim{Type: name, Value: compactJSON(item)})
			}
		}
		return claims, nil
	default:
		return append(claims, Claim{Type: name, Value: compactJSON(raw)}), nil
	}
}

func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
