package signalr

import (
	"context"
	"time"

	"github.com/funcsignalr/funcsignalr/internal/service"
)

// The hooks give negotiate, trigger and the test host what they need from a Client's endpoints
// without making it API.
func init() {
	service.Endpoints = func(client any) []service.Endpoint {
		c := client.(*Client)
		if c.check() != nil {
			return nil
		}
		out := make([]service.Endpoint, len(c.endpoints))
		for i, e := range c.endpoints {
			out[i] = e.conn.serviceEndpoint(e.name)
		}
		return out
	}
	service.AccessKeys = func(client any, dst []string) []string {
		c := client.(*Client)
		if c.check() != nil {
			return dst
		}
		for _, e := range c.endpoints {
			if k := e.conn.accessKey; k != nil {
				dst = append(dst, k.current())
			}
		}
		return dst
	}
	service.Route = func(ctx context.Context, client any, hub string) (int, error) {
		c := client.(*Client)
		if err := c.check(); err != nil {
			return 0, err
		}
		return c.route(ctx, hub)
	}
	service.NewClientFromSettings = func(setting string, settings map[string]string, opts any) (any, error) {
		o, _ := opts.(*ClientOptions)
		c, err := newClientFromSettings(setting, settings, o)
		if err != nil {
			return nil, err // not a nil *Client in a non-nil any
		}
		return c, nil
	}
}

func (c *conn) serviceEndpoint(name string) service.Endpoint {
	e := service.Endpoint{
		Name:         name,
		URL:          c.url,
		ClientURL:    c.clientURL,
		AudienceBase: c.audience,
		Application:  c.application,
		TemporaryAccessKey: func(ctx context.Context) (string, string, error) {
			k, err := c.getTemporaryAccessKey(ctx)
			return k.KeyID, k.AccessKey, err
		},
		GenerateClientToken: func(ctx context.Context, hub, userID string, lifetime time.Duration) (string, error) {
			one := newMulti([]*endpoint{{name: name, typ: EndpointTypePrimary, conn: c}}, &ClientOptions{})
			h, err := one.Hub(hub)
			if err != nil {
				return "", err
			}
			resp, err := h.GenerateClientToken(ctx, &GenerateClientTokenOptions{UserID: userID, Lifetime: lifetime})
			return resp.Token, err
		},
	}
	if c.accessKey != nil {
		e.AccessKey = c.accessKey.current
	}
	return e
}
