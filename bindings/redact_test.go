package bindings

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStringsRedactSecrets(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	req := &HTTPRequest{
		URL: "http://h/api/x?code=" + secret + "&name=go", Method: "GET",
		Headers: map[string][]string{"Authorization": {"Bearer " + secret}, "x-functions-key": {secret}, "Accept": {"a"}},
		Body:    []byte(secret),
	}
	var resp invokeResponse
	require.NoError(t, resp.setHTTP("res", 200, nil, map[string]string{"accessToken": secret}))
	resp.setReturn(secret)
	payload := loadPayload(t, "negotiate.json")

	for _, v := range []any{req, payload, resp, &resp, resp.Outputs["res"]} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(format, v)
			assert.NotContains(t, out, secret, format)
			assert.NotContains(t, out, "eyJ", format)
		}
	}
	assert.Equal(t, "bindings.HTTPRequest{GET http://h/api/x?code=REDACTED&name=go, Headers: [Accept Authorization(REDACTED) x-functions-key(REDACTED)], Body: 12 bytes}", req.String())
	assert.Equal(t, "{Data: [connectionInfo, req], Metadata: [Headers, Query, negotiateVersion, sys]}", payload.String())
	assert.Equal(t, "{Outputs: [res], Logs: 0, ReturnValue: set}", resp.String())
	assert.Equal(t, "{StatusCode: 200, Headers: [Content-Type], Body: 30 bytes}", fmt.Sprint(resp.Outputs["res"]))
	assert.Equal(t, "bindings.HTTPRequest{GET (unparsable URL), Headers: [], Body: 0 bytes}", (&HTTPRequest{Method: "GET", URL: "http://[::1"}).String())
}
