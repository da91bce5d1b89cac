package signalr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/funcsignalr/funcsignalr/internal/service"
)

// endpointIdentityKeys are the keys of an identity-based endpoint, lowercased.
var endpointIdentityKeys = []string{"serviceuri", "type", "serverendpoint", "clientendpoint", "credential", "clientid", "tenantid", "clientsecret"}

// endpointSetting is one parsed setting name of service.EndpointsSection.
type endpointSetting struct {
	name string       // as written
	typ  EndpointType // from a :primary or :secondary suffix
	key  string       // lowercased identity key; "" for a connection string
}

// parseEndpointSetting splits a setting name of service.EndpointsSection. ok is false for names
// outside the section.
func parseEndpointSetting(full string) (es endpointSetting, ok bool, err error) {
	rest, ok := service.EndpointSettingRest(full)
	if !ok {
		return endpointSetting{}, false, nil
	}
	parts := strings.Split(rest, ":")
	es.name = strings.TrimSpace(parts[0])
	if es.name == "" {
		return endpointSetting{}, true, fmt.Errorf("signalr: setting %s has no endpoint name; expected %s:<name>", full, service.EndpointsSection)
	}
	switch len(parts) {
	case 1:
		return es, true, nil
	case 2:
		sub := strings.ToLower(strings.TrimSpace(parts[1]))
		switch {
		case sub == "primary":
			es.typ = EndpointTypePrimary
		case sub == "secondary":
			es.typ = EndpointTypeSecondary
		case slices.Contains(endpointIdentityKeys, sub):
			es.key = sub
		default:
			return endpointSetting{}, true, fmt.Errorf("signalr: setting %s: %q is not an endpoint key; expected primary, secondary, serviceUri, type, serverEndpoint, clientEndpoint, credential, clientId, tenantId or clientSecret", full, parts[1])
		}
		return es, true, nil
	}
	return endpointSetting{}, true, fmt.Errorf("signalr: setting %s is nested too deeply; expected %s:<name>[:primary|:secondary|:<identity key>]", full, service.EndpointsSection)
}

// newClientFromSettings builds a client from app settings; see NewClientFromEnvironment.
func newClientFromSettings(setting string, settings map[string]string, opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	setting = strings.TrimSpace(setting)
	if setting == "" {
		setting = DefaultConnectionSetting
	}
	var endpoints []*endpoint
	reader := settingsReader{lookup: func(k string) (string, bool) { v, ok := settings[k]; return v, ok }}
	def, ok, err := clientFromSetting(setting, &reader, opts)
	if err != nil {
		return nil, err
	}
	if ok {
		endpoints = append(endpoints, &endpoint{typ: EndpointTypePrimary, conn: def.endpoints[0].conn})
	}

	type group struct {
		name     string
		conns    []string // names of connection-string settings
		connType EndpointType
		identity bool
	}
	groups := map[string]*group{}
	norm := map[string]string{} // lowercased ':' names of identity keys -> value
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	slices.Sort(names) // deterministic errors
	for _, full := range names {
		es, ok, err := parseEndpointSetting(full)
		if !ok {
			continue
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(settings[full]) == "" {
			continue // empty values count as unset, as for the connection setting
		}
		lname := strings.ToLower(es.name)
		g := groups[lname]
		if g == nil {
			g = &group{name: es.name}
			groups[lname] = g
		}
		if es.key == "" {
			g.conns = append(g.conns, full)
			g.connType = es.typ
			continue
		}
		g.identity = true
		norm[lowerKeyPath(service.EndpointsSection+":"+lname+":"+es.key)] = settings[full]
	}
	order := make([]string, 0, len(groups))
	for k := range groups {
		order = append(order, k)
	}
	slices.Sort(order)
	normReader := settingsReader{lookup: func(k string) (string, bool) {
		v, ok := norm[lowerKeyPath(k)]
		return v, ok
	}}
	for _, lname := range order {
		g := groups[lname]
		switch {
		case len(g.conns) > 1:
			return nil, fmt.Errorf("signalr: endpoint %q has %d connection strings (%s); expected one", g.name, len(g.conns), strings.Join(g.conns, ", "))
		case len(g.conns) == 1 && g.identity:
			return nil, fmt.Errorf("signalr: endpoint %q has both a connection string (%s) and identity-based keys; expected one or the other", g.name, g.conns[0])
		case len(g.conns) == 1:
			cs, err := ParseConnectionString(settings[g.conns[0]])
			if err != nil {
				return nil, fmt.Errorf("signalr: setting %s: %w", g.conns[0], err)
			}
			client, err := newClientFromParsed(cs, opts)
			if err != nil {
				return nil, fmt.Errorf("signalr: setting %s: %w", g.conns[0], err)
			}
			typ := g.connType
			if typ == "" {
				typ = EndpointTypePrimary
			}
			endpoints = append(endpoints, &endpoint{name: g.name, typ: typ, conn: client.endpoints[0].conn})
		default:
			section := service.EndpointsSection + ":" + lname
			client, ok, err := identityClient(section, &normReader, opts)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("signalr: endpoint %q has identity-based keys but no %s:serviceUri", g.name, section)
			}
			typ := EndpointTypePrimary
			if v, ok := norm[lowerKeyPath(section+":type")]; ok {
				switch {
				case strings.EqualFold(strings.TrimSpace(v), string(EndpointTypePrimary)):
				case strings.EqualFold(strings.TrimSpace(v), string(EndpointTypeSecondary)):
					typ = EndpointTypeSecondary
				default:
					return nil, fmt.Errorf("signalr: setting %s:type is %q; expected primary or secondary", section, v)
				}
			}
			endpoints = append(endpoints, &endpoint{name: g.name, typ: typ, conn: client.endpoints[0].conn})
		}
	}
	if len(endpoints) == 0 {
		return nil, fmt.Errorf("signalr: no Azure SignalR connection configured; set one of %s, or %s:<name> settings (Azure__SignalR__Endpoints__<name> in the environment)",
			strings.Join(reader.tried, ", "), service.EndpointsSection)
	}
	return newMulti(endpoints, opts), nil
}

// lowerKeyPath normalises a setting name to lowercase with ':' separators.
func lowerKeyPath(k string) string {
	return strings.ToLower(strings.ReplaceAll(k, "__", ":"))
}
