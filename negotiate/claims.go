package negotiate

import (
	"errors"
	"fmt"
	"strconv"
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

// renameReservedClaims returns claims with the names the service reserves (aud, exp, iat, nbf,
// iss, actort, acr, azp, c_hash, jti, nonce, and every "sub" after the first) renamed to
// asrs.u.<name>, as the service SDK does when it mints a token; Negotiate applies the same rule.
// It also renames the service's own asrs.s.* names, which Negotiate refuses, so claims copied
// from a foreign token (ClaimsFromIDToken, a principal) can never set the user id or other
// system claims.
func renameReservedClaims(claims []Claim) []Claim {
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

// validateClaims checks the user id, custom claims and roles without allocating; errors name
// the claim type but never its value.
func validateClaims(userID string, claims []Claim, roles []string) error {
	if err := checkClaimValue(ClaimUserID, "Options.UserID", userID); err != nil {
		return err
	}
	size := 0
	for _, c := range claims {
		if c.Type == "" {
			return errors.New("negotiate: a claim has an empty Type; expected a claim name such as \"name\"")
		}
		if strings.HasPrefix(c.Type, systemClaimPrefix) {
			return fmt.Errorf("negotiate: claim %q uses the service's reserved asrs.s. prefix; set Options.UserID, DiagnosticClient or CloseOnAuthenticationExpiration instead", truncate(c.Type))
		}
		if err := checkClaimType(c.Type); err != nil {
			return err
		}
		if err := checkClaimValue(c.Type, "the value of claim "+strconv.Quote(truncate(c.Type)), c.Value); err != nil {
			return err
		}
		size += len(c.Type) + len(c.Value)
	}
	for _, r := range roles {
		if err := checkClaimValue(ClaimRole, "a role in Options.Roles", r); err != nil {
			return err
		}
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

// The service hands a connection's claims to upstream handlers in one header,
// X-ASRS-User-Claims: "type: value" per claim, joined with ", ", without any escaping
// (Microsoft's emulator adds the "type: value" strings as header values, which .NET joins with
// ", "). The Functions extension splits that header at every ',' and then at ": ", and keeps
// the first value of each type (SignalRTriggerUtils.GetClaimDictionary). A claim value holding
// ", role: admin" therefore reaches every upstream handler as a separate role claim, and since
// the first value wins it hides the genuine one. checkClaimType and checkClaimValue refuse what
// would be read as another claim, so the header of a token minted here splits into exactly its
// claims (trigger's parser relies on that: a part without ": " continues the previous value).

// checkClaimType refuses a claim type that the header could not carry as one type.
func checkClaimType(typ string) error {
	switch {
	case strings.ContainsAny(typ, ","):
		return fmt.Errorf("negotiate: claim type %q contains ','; upstream handlers split the X-ASRS-User-Claims header at ',', so it would arrive as parts of two claims", truncate(typ))
	case strings.Contains(typ, ": "):
		return fmt.Errorf("negotiate: claim type %q contains \": \", which separates a claim's type from its value in the X-ASRS-User-Claims header; use a type without it", truncate(typ))
	case strings.TrimSpace(typ) != typ:
		return fmt.Errorf("negotiate: claim type %q starts or ends with a space; upstream handlers trim it, so it would arrive as another type", truncate(typ))
	case hasControl(typ):
		return fmt.Errorf("negotiate: claim type %q contains a control character; expected printable text", truncate(typ))
	}
	return nil
}

// checkClaimValue refuses a value that would add a claim to the X-ASRS-User-Claims header: a
// ": " after a ','. A ',' alone is accepted ("Doe, John"); upstream handlers that split at
// every ',' (the C# extension) see only the part before it, trigger sees all of it. what names
// the value in the error; the value itself, possibly personal data, is never quoted.
func checkClaimValue(typ, what, value string) error {
	if hasControl(value) {
		return fmt.Errorf("negotiate: %s contains a control character, which an HTTP header cannot carry; expected printable text", what)
	}
	comma := strings.IndexByte(value, ',')
	if comma >= 0 && strings.Contains(value[comma:], ": ") {
		return fmt.Errorf("negotiate: %s contains \": \" after a ','; the service sends claims to upstream handlers as \"type: value, type: value\" (X-ASRS-User-Claims), so this value would arrive as a second claim besides %q; remove the ',' or the \": \"", what, truncate(typ))
	}
	return nil
}

// hasControl reports whether s holds an ASCII control character other than a tab: none is
// allowed in an HTTP header value, and CR or LF would end the header line.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}
