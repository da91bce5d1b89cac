package signalr

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// EndpointsSection is the configuration section of named endpoints, as the Functions extension
// reads it: Azure:SignalR:Endpoints:<name>[:primary|:secondary] = connection string, or the
// identity-based keys Azure:SignalR:Endpoints:<name>:serviceUri, :type, :serverEndpoint,
// :clientEndpoint and the credential keys. Environment variables write "__" for ':'.
const EndpointsSection = "Azure:SignalR:Endpoints"

// endpointIdentityKeys are the keys of an identity-based endpoint, lowercased.
var endpointIdentityKeys = []string{"serviceuri", "type", "serverendpoint", "clientendpoint", "credential", "clientid", "tenantid", "clientsecret"}

// IsEndpointSetting reports whether an app setting name belongs to EndpointsSection, in the ':'
// or "__" form (without case).
func IsEndpointSetting(name string) bool {
	_, ok := endpointSettingRest(name)
	return ok
}

// endpointSettingRest returns what follows the section in name, with ':' as the separator.
func endpointSettingRest(name string) (string, bool) {
	norm := strings.ReplaceAll(name, "__", ":")
	prefix := EndpointsSection + ":"
	if len(norm) <= len(prefix) || !strings.EqualFold(norm[:len(prefix)], prefix) {
		return "", false
	}
	return norm[len(prefix):], true
}

// endpointSetting is one parsed setting name of EndpointsSection.
type endpointSetting struct {
	name string       // as written
	typ  EndpointType // from a :primary or :secondary suffix
	key  string       // lowercased identity key; "" for a connection string
}

// parseEndpointSetting splits a setting name of EndpointsSection. ok is false for names outside
// the section.
func parseEndpointSetting(full string) (es endpointSetting, ok bool, err error) {
	rest, ok := endpointSettingRest(full)
	if !ok {
		return endpointSetting{}, false, nil
	}
	parts := strings.Split(rest, ":")
	es.name = strings.TrimSpace(parts[0])
	if es.name == "" {
		return endpointSetting{}, true, fmt.Errorf("signalr: setting %s has no endpoint name; expected %s:<name>", full, EndpointsSection)
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
	return endpointSetting{}, true, fmt.Errorf("signalr: setting %s is nested too deeply; expected %s:<name>[:primary|:secondary|:<identity key>]", full, EndpointsSection)
}

// NewMultiEndpointClientFromEnvironment builds a MultiEndpointClient from environment
// variables; see NewMultiEndpointClientFromSettings.
func NewMultiEndpointClientFromEnvironment(setting string, opts *MultiEndpointClientOptions) (*MultiEndpointClient, error) {
	settings := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			settings[k] = v
		}
	}
	return NewMultiEndpointClientFromSettings(setting, settings, opts)
}

// NewMultiEndpointClientFromSettings builds a MultiEndpointClient from app settings the way the
// Functions extension reads multiple endpoints: the connection setting (see
// NewClientFromEnvironment; "" means AzureSignalRConnectionString), when set, is an unnamed
// primary endpoint, and every endpoint of EndpointsSection is added in name order. An endpoint
// is either a connection string, whose :primary or :secondary suffix sets its type, or
// identity-based settings whose :type key does. Names in EndpointsSection match without case
// and in either separator form. It fails when nothing is configured, and names the setting at fault otherwise.
func NewMultiEndpointClientFromSettings(setting string, settings map[string]string, opts *MultiEndpointClientOptions) (*MultiEndpointClient, error) {
	if opts == nil {
		opts = &MultiEndpointClientOptions{}
	}
	setting = strings.TrimSpace(setting)
	if setting == "" {
		setting = DefaultConnectionSetting
	}
	var endpoints []Endpoint
	reader := settingsReader{lookup: func(k string) (string, bool) { v, ok := settings[k]; return v, ok }}
	def, ok, err := clientFromSetting(setting, &reader, &opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	if ok {
		endpoints = append(endpoints, Endpoint{Type: EndpointTypePrimary, Client: def})
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
		norm[lowerKeyPath(EndpointsSection+":"+lname+":"+es.key)] = settings[full]
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
			client, err := NewClientFromParsedConnectionString(cs, &opts.ClientOptions)
			if err != nil {
				return nil, fmt.Errorf("signalr: setting %s: %w", g.conns[0], err)
			}
			typ := g.connType
			if typ == "" {
				typ = EndpointTypePrimary
			}
			endpoints = append(endpoints, Endpoint{Name: g.name, Type: typ, Client: client})
		default:
			section := EndpointsSection + ":" + lname
			client, ok, err := identityClient(section, &normReader, &opts.ClientOptions)
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
			endpoints = append(endpoints, Endpoint{Name: g.name, Type: typ, Client: client})
		}
	}
	if len(endpoints) == 0 {
		return nil, errors.New("signalr: no Azure SignalR endpoint configured; set " + setting + " (or its identity-based keys) or " + EndpointsSection + ":<name> settings (Azure__SignalR__Endpoints__<name> in the environment)")
	}
	return NewClientWithEndpoints(endpoints, opts)
}

// lowerKeyPath normalises a setting name to lowercase with ':' separators.
func lowerKeyPath(k string) string {
	return strings.ToLower(strings.ReplaceAll(k, "__", ":"))
}
