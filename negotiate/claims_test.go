package negotiate

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The service sends a connection's claims upstream as "type: value, type: value" in
// X-ASRS-User-Claims, unescaped, and the Functions extension splits that header at ',' then
// ": ", the first value of a type winning (azure-functions-signalrservice-extension,
// SignalRTriggerUtils.GetClaimDictionary). A value must never be able to add a claim there.
func TestClaimsThatWouldForgeUpstreamClaimsAreRefused(t *testing.T) {
	const forgedRole = "Bob, http://schemas.microsoft.com/ws/2008/06/identity/claims/role: admin"
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey+";Version=1.0;", nil)
	for _, tc := range []struct {
		name string
		opts Options
		want string // "" when accepted
	}{
		{"a comma alone", Options{UserID: "Doe, John", Claims: []Claim{{"name", "Doe, John"}}, Roles: []string{"a,b"}}, ""},
		{"a colon without a comma", Options{Claims: []Claim{{"note", "time: 12:00"}, {"urn:x:y", "v"}}}, ""},
		{"a tab", Options{Claims: []Claim{{"name", "a\tb"}}}, ""},
		{"forged role in a claim", Options{Claims: []Claim{{"name", forgedRole}}}, `the value of claim "name" contains ": " after a ','`},
		{"forged claim later in the value", Options{Claims: []Claim{{"name", "a: b, c, role: admin"}}}, `": " after a ','`},
		{"forged claim without a space", Options{Claims: []Claim{{"name", "Bob,role: admin"}}}, `": " after a ','`},
		{"forged claim in the user id", Options{UserID: forgedRole}, `Options.UserID contains ": " after a ','`},
		{"forged claim in a role", Options{Roles: []string{"reader, role: admin"}}, `a role in Options.Roles contains ": " after a ','`},
		{"comma in a type", Options{Claims: []Claim{{"name, role", "admin"}}}, `claim type "name, role" contains ','`},
		{"separator in a type", Options{Claims: []Claim{{"role: admin, name", "x"}}}, `claim type`},
		{"colon space in a type", Options{Claims: []Claim{{"role: x", "y"}}}, `contains ": "`},
		{"space around a type", Options{Claims: []Claim{{" role", "admin"}}}, "starts or ends with a space"},
		{"newline in a value", Options{Claims: []Claim{{"name", "a\r\nX-Evil: 1"}}}, "control character"},
		{"newline in the user id", Options{UserID: "a\nb"}, "Options.UserID contains a control character"},
		{"control character in a type", Options{Claims: []Claim{{"na\x00me", "v"}}}, "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			info, err := n.Negotiate(context.Background(), "chat", &opts)
			if tc.want == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, info.AccessToken)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "Bob", "the error does not quote a claim value")
		})
	}
}
