package negotiate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Headers App Service authentication (Easy Auth) and Static Web Apps put on requests they have
// authenticated. The platform strips client-sent copies, so they can be trusted behind it, and
// only there: without App Service authentication in front of the application (a container,
// local development, authentication turned off, another proxy) any client can send them and
// name any user. Authenticate requests yourself there (HandlerOptions.UserID), and strip these
// headers at the edge.
const (
	HeaderClientPrincipal     = "X-Ms-Client-Principal"
	HeaderClientPrincipalID   = "X-Ms-Client-Principal-Id"
	HeaderClientPrincipalName = "X-Ms-Client-Principal-Name"
	HeaderClientPrincipalIDP  = "X-Ms-Client-Principal-Idp"
	// HeaderAADIDToken carries the signed-in user's Microsoft Entra id token, set by App
	// Service authentication: a trusted source for ClaimsFromIDToken (IDTokenOptions.TrustedSource)
	// behind it, and nothing more than client input anywhere else.
	HeaderAADIDToken = "X-Ms-Token-Aad-Id-Token"
)

// ErrNoPrincipal is returned by PrincipalFromRequest for a request without authentication
// headers: an anonymous caller, or an app without App Service authentication.
var ErrNoPrincipal = errors.New("negotiate: the request has no App Service authentication headers (x-ms-client-principal*)")

// Principal is the user App Service authentication signed in.
type Principal struct {
	// ID is the user's id at the identity provider (x-ms-client-principal-id, or userId).
	ID string
	// Name is the display name (x-ms-client-principal-name, userDetails, or the name_typ claim).
	Name string
	// IdentityProvider names the provider: aad, github, google… (x-ms-client-principal-idp,
	// identityProvider, or auth_typ).
	IdentityProvider string
	// AuthType, NameClaimType and RoleClaimType are auth_typ, name_typ and role_typ.
	AuthType      string
	NameClaimType string
	RoleClaimType string
	// Roles are Static Web Apps' userRoles followed by the claims of type RoleClaimType.
	Roles []string
	// Claims are the provider's claims, in order, repeated types included.
	Claims []Claim
}

// String leaves out claims and roles, which may be personal data.
func (p Principal) String() string {
	return fmt.Sprintf("negotiate.Principal{ID: %q, IdentityProvider: %q, %d claims}", p.ID, p.IdentityProvider, len(p.Claims))
}

// wirePrincipal accepts both shapes of x-ms-client-principal: App Service's
// {auth_typ, name_typ, role_typ, claims} and Static Web Apps' {identityProvider, userId,
// userDetails, userRoles, claims}.
type wirePrincipal struct {
	AuthType         string      `json:"auth_typ"`
	NameType         string      `json:"name_typ"`
	RoleType         string      `json:"role_typ"`
	Claims           []wireClaim `json:"claims"`
	IdentityProvider string      `json:"identityProvider"`
	UserID           string      `json:"userId"`
	UserDetails      string      `json:"userDetails"`
	UserRoles        []string    `json:"userRoles"`
}

type wireClaim struct {
	Typ string     `json:"typ"`
	Val claimValue `json:"val"`
}

// claimValue is a claim value sent as a string, or as a number or boolean by some producers.
type claimValue string

func (v *claimValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = claimValue(s)
	case bytes.Equal(b, []byte("null")):
		*v = ""
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")), json.Valid(b) && len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*v = claimValue(b)
	default:
		return errors.New("claim val is not a string, number or boolean")
	}
	return nil
}

// PrincipalFromRequest reads the user from App Service authentication headers, which are
// trustworthy only behind App Service authentication (see HeaderClientPrincipal). It returns
// ErrNoPrincipal when there are none, and an error naming the header when one is malformed
// (repeated, not base64, not the expected JSON) rather than guessing.
func PrincipalFromRequest(r *http.Request) (Principal, error) {
	if r == nil {
		return Principal{}, errors.New("negotiate: PrincipalFromRequest got a nil request")
	}
	var p Principal
	var raw string
	var present bool
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{HeaderClientPrincipalID, &p.ID},
		{HeaderClientPrincipalName, &p.Name},
		{HeaderClientPrincipalIDP, &p.IdentityProvider},
		{HeaderClientPrincipal, &raw},
	} {
		values := r.Header.Values(f.name)
		switch len(values) {
		case 0:
			continue
		case 1:
		default:
			return Principal{}, fmt.Errorf("negotiate: header %s appears %d times; expected once", strings.ToLower(f.name), len(values))
		}
		present = true
		*f.dst = strings.TrimSpace(values[0])
	}
	if !present {
		return Principal{}, ErrNoPrincipal
	}
	if raw == "" {
		return p, nil
	}
	w, err := decodeClientPrincipal(raw)
	if err != nil {
		return Principal{}, err
	}
	p.AuthType, p.NameClaimType, p.RoleClaimType = w.AuthType, w.NameType, w.RoleType
	if p.ID == "" {
		p.ID = w.UserID
	}
	if p.IdentityProvider == "" {
		p.IdentityProvider = w.IdentityProvider
	}
	if p.IdentityProvider == "" {
		p.IdentityProvider = w.AuthType
	}
	if p.Name == "" {
		p.Name = w.UserDetails
	}
	p.Roles = append(p.Roles, w.UserRoles...)
	for i, c := range w.Claims {
		if c.Typ == "" {
			return Principal{}, fmt.Errorf("negotiate: header x-ms-client-principal claim %d has no typ", i)
		}
		p.Claims = append(p.Claims, Claim{Type: c.Typ, Value: string(c.Val)})
		if p.Name == "" && w.NameType != "" && c.Typ == w.NameType {
			p.Name = string(c.Val)
		}
		if w.RoleType != "" && c.Typ == w.RoleType {
			p.Roles = append(p.Roles, string(c.Val))
		}
	}
	return p, nil
}

// decodeClientPrincipal decodes the base64 JSON of x-ms-client-principal. Padded and unpadded,
// standard and URL-safe alphabets are all accepted: producers differ.
func decodeClientPrincipal(raw string) (wirePrincipal, error) {
	var data []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if data, err = enc.DecodeString(raw); err == nil {
			break
		}
	}
	if err != nil {
		return wirePrincipal{}, errors.New("negotiate: header x-ms-client-principal is not base64")
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return wirePrincipal{}, errors.New("negotiate: header x-ms-client-principal is not a base64 JSON object")
	}
	var w wirePrincipal
	if err := json.Unmarshal(data, &w); err != nil {
		return wirePrincipal{}, fmt.Errorf("negotiate: header x-ms-client-principal is not the App Service principal JSON {auth_typ, claims:[{typ, val}]}: %s", jsonErrorKind(err))
	}
	return w, nil
}

// jsonErrorKind describes a decoding error without quoting the input.
func jsonErrorKind(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s has the wrong type", typ.Field)
	}
	return "invalid value"
}
