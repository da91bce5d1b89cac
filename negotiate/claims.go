package negotiate

import (
	"errors"
	"fmt"
	"strings"
)

// Claim is one claim of a client token. A type may repeat: repeated types become a JSON array in
// the token, in the order given. The JSON names are those of App Service's x-ms-client-principal.
type Claim struct {
	Type  string `json:"typ"`
	Value string `json:"val"`
}

// String shows the claim type only: claim values may be personal data.
func (c Claim) String() string { return "negotiate.Claim(" + c.Type + ")" }

// Claim types the service and the Functions extension give a meaning to.
const (
	// ClaimUserID carries the user id of a client token (asrs.s.uid).
	ClaimUserID = "asrs.s.uid"
	// ClaimRole carries a role, passed through to upstream claims.
	ClaimRole = "role"

	systemClaimPrefix = "asrs.s."
	userClaimPrefix   = "asrs.u."
	claimDiagnostic   = "asrs.s.dc"
	claimCloseOnAuth  = "asrs.s.coae"
	claimAuthExpires  = "asrs.s.aeo"
)

// isReservedClaim reports whether a custom claim named typ would collide with a claim the
// service or the JWT format owns, so it must travel as asrs.u.<typ>. A second "sub" is handled
// by the caller, since only duplicates of it are renamed.
func isReservedClaim(typ string) bool {
	switch typ {
	case "aud", "exp", "iat", "nbf", "iss", "actort", "acr", "azp", "c_hash", "jti", "nonce":
		return true
	}
	return false
}

// RenameReservedClaims returns claims with the names the service reserves (aud, exp, iat, nbf,
// iss, actort, acr, azp, c_hash, jti, nonce, and every "sub" after the first) renamed to
// asrs.u.<name>, as the service SDK does when it mints a token; Negotiate applies the same rule.
// It also renames the service's own asrs.s.* names, which Negotiate refuses, so claims copied
// from a foreign token (ClaimsFromIDToken, a principal) can never set the user id or other
// system claims.
func RenameReservedClaims(claims []Claim) []Claim {
	out := make([]Claim, len(claims))
	seenSub := false
	for i, c := range claims {
		out[i] = c
		if isReservedClaim(c.Type) || strings.HasPrefix(c.Type, systemClaimPrefix) || (c.Type == "sub" && seenSub) {
			out[i].Type = userClaimPrefix + c.Type
		}
		if c.Type == "sub" {
			seenSub = true
		}
	}
	return out
}

// maxTokenLength is the longest token the service accepts (longer ones get 413/414).
const maxTokenLength = 4096

// ErrTokenTooLong is returned when the minted token would exceed the service's 4096-character
// limit, almost always because of too many or too long claims.
var ErrTokenTooLong = errors.New("negotiate: the access token would be longer than the service's 4096-character limit; send fewer or shorter claims")

// validateClaims checks custom claims and roles without allocating; errors name the claim type
// but never its value.
func validateClaims(claims []Claim, roles []string) error {
	size := 0
	for _, c := range claims {
		if c.Type == "" {
			return errors.New("negotiate: a claim has an empty Type; expected a claim name such as \"name\"")
		}
		if strings.HasPrefix(c.Type, systemClaimPrefix) {
			return fmt.Errorf("negotiate: claim %q uses the service's reserved asrs.s. prefix; set Options.UserID, DiagnosticClient or CloseOnAuthenticationExpiration instead", truncate(c.Type))
		}
		size += len(c.Type) + len(c.Value)
	}
	for _, r := range roles {
		size += len(r)
	}
	if len(claims)+len(roles) > maxClaimCount {
		return ErrTokenTooLong
	}
	// Base64 only grows the payload, so raw claim data past the limit can never fit.
	if size > maxTokenLength {
		return ErrTokenTooLong
	}
	return nil
}

// truncate shortens a caller-supplied name for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
