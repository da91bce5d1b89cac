package negotiate

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
)

// ConnectionInfo is what a negotiate endpoint returns to a client: the service URL and an access
// token. The JSON names are the ones the official SignalR clients follow as a negotiate redirect.
type ConnectionInfo struct {
	// URL is the client endpoint of the service: <base>/client/?hub=<hub>.
	URL string `json:"url"`
	// AccessToken is the JWT the client presents to the service.
	AccessToken string `json:"accessToken"`
	// TokenLifetime is how long AccessToken stays valid. It is sent as tokenLifetimeSeconds, as
	// the newest Functions extension does, and omitted when zero: Negotiate sets it only when
	// Options.Lifetime was set, so by default the JSON is exactly {url, accessToken}.
	TokenLifetime time.Duration `json:"-"`
}

// String redacts the access token.
func (c ConnectionInfo) String() string {
	return "negotiate.ConnectionInfo{URL: " + c.URL + ", AccessToken: REDACTED}"
}

// MarshalJSON writes {"url":…,"accessToken":…[,"tokenLifetimeSeconds":n]}.
func (c ConnectionInfo) MarshalJSON() ([]byte, error) {
	return c.appendJSON(make([]byte, 0, len(c.URL)+len(c.AccessToken)+64)), nil
}

// appendJSON is MarshalJSON without the allocation, for the negotiate handler.
func (c ConnectionInfo) appendJSON(b []byte) []byte {
	b = append(b, `{"url":`...)
	b = jsonwire.AppendString(b, c.URL)
	b = append(b, `,"accessToken":`...)
	b = jsonwire.AppendString(b, c.AccessToken)
	if secs := lifetimeSeconds(c.TokenLifetime); secs > 0 {
		b = append(b, `,"tokenLifetimeSeconds":`...)
		b = strconv.AppendInt(b, secs, 10)
	}
	return append(b, '}')
}

// lifetimeSeconds rounds up, so a lifetime below a second is not reported as absent.
func lifetimeSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// UnmarshalJSON reads the shape MarshalJSON writes. tokenLifetimeSeconds may be absent, null or
// a whole number of seconds; unknown fields are ignored, as the SignalR clients do.
func (c *ConnectionInfo) UnmarshalJSON(data []byte) error {
	var wire struct {
		URL                  string       `json:"url"`
		AccessToken          string       `json:"accessToken"`
		TokenLifetimeSeconds *json.Number `json:"tokenLifetimeSeconds"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return errors.New(`negotiate: connection info is not {"url":"…","accessToken":"…"}: ` + err.Error())
	}
	info := ConnectionInfo{URL: wire.URL, AccessToken: wire.AccessToken}
	if wire.TokenLifetimeSeconds != nil {
		secs, err := wire.TokenLifetimeSeconds.Int64()
		if err != nil || secs < 0 || secs > math.MaxInt64/int64(time.Second) {
			return errors.New("negotiate: connection info tokenLifetimeSeconds is not a non-negative whole number of seconds")
		}
		info.TokenLifetime = time.Duration(secs) * time.Second
	}
	*c = info
	return nil
}
