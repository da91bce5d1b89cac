package negotiate

import "time"

// ConnectionInfo is what a negotiate endpoint returns to a client: the service URL and an access
// token. The JSON names are the ones the official SignalR clients follow as a negotiate redirect.
type ConnectionInfo struct {
	// URL is the client endpoint of the service: <base>/client/?hub=<hub>.
	URL string `json:"url"`
	// AccessToken is the JWT the client presents to the service.
	AccessToken string `json:"accessToken"`
	// TokenLifetime is how long AccessToken stays valid; it is sent as tokenLifetimeSeconds,
	// omitted when zero.
	TokenLifetime time.Duration `json:"-"`
}

// String redacts the access token.
func (c ConnectionInfo) String() string {
	return "negotiate.ConnectionInfo{URL: " + c.URL + ", AccessToken: REDACTED}"
}
