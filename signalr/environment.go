package signalr

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// DefaultConnectionSetting is the setting the Functions SignalR bindings read when
// connectionStringSetting is not given.
const DefaultConnectionSetting = "AzureSignalRConnectionString"

// NewClientFromEnvironment builds a client from app settings the way the Functions host resolves
// a binding's connectionStringSetting. For a setting name S it reads, in order:
//
//  1. a connection string in ConnectionStrings:S (also CUSTOMCONNSTR_S, App Service's form), then S;
//  2. identity-based settings: S:serviceUri with the optional S:serverEndpoint, S:clientEndpoint
//     and the credential keys S:credential ("managedidentity" or "workloadidentity"),
//     S:clientId, S:tenantId and S:clientSecret.
//
// Environment variables cannot always hold ':', so every name is also tried with "__" in its
// place (S__serviceUri), as the host does. The identity-based form uses a client secret credential
// when tenantId, clientId and clientSecret are set, the user-assigned managed identity clientId
// when only that is set, and azidentity's DefaultAzureCredential when no credential key is set. When nothing is set the
// error lists every name it looked for.
//
// NewClientFromEnvironment talks to one service. When Azure__SignalR__Endpoints__* settings exist
// it fails and names NewMultiEndpointClientFromEnvironment, rather than ignore them.
func NewClientFromEnvironment(setting string, opts *ClientOptions) (*Client, error) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if IsEndpointSetting(name) {
			return nil, fmt.Errorf("signalr: setting %s configures one of several endpoints, which a Client cannot reach; use NewMultiEndpointClientFromEnvironment", name)
		}
	}
	return newClientFromLookup(setting, os.LookupEnv, opts)
}

// newClientFromLookup is NewClientFromEnvironment with the settings source injected.
func newClientFromLookup(setting string, lookup func(string) (string, bool), opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	setting = strings.TrimSpace(setting)
	if setting == "" {
		setting = DefaultConnectionSetting
	}
	s := settingsReader{lookup: lookup}
	client, ok, err := clientFromSetting(setting, &s, opts)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("signalr: no Azure SignalR connection configured; set one of %s", strings.Join(s.tried, ", "))
	}
	return client, nil
}

// clientFromSetting builds the client a connection setting describes; ok is false when the
// setting is not configured in any form.
func clientFromSetting(setting string, s *settingsReader, opts *ClientOptions) (*Client, bool, error) {
	if cs, ok := s.get("ConnectionStrings:"+setting, "CUSTOMCONNSTR_"+setting, setting); ok {
		parsed, err := ParseConnectionString(cs)
		if err != nil {
			return nil, true, fmt.Errorf("signalr: setting %s: %w", s.found, err)
		}
		client, err := NewClientFromParsedConnectionString(parsed, opts)
		return client, true, err
	}
	return identityClient(setting, s, opts)
}

// identityClient builds a client from the identity-based settings under section (serviceUri and
// the optional keys); ok is false when section:serviceUri is not set.
func identityClient(section string, s *settingsReader, opts *ClientOptions) (client *Client, ok bool, err error) {
	serviceURI, ok := s.get(section + ":serviceUri")
	if !ok {
		return nil, false, nil
	}
	uriName := s.found
	cs := &ConnectionString{AuthType: AuthTypeAzure}
	if cs.Endpoint, err = parseBaseURL("serviceUri", serviceURI); err != nil {
		return nil, true, fmt.Errorf("signalr: setting %s: %w", uriName, err)
	}
	if v, ok := s.get(section + ":serverEndpoint"); ok {
		if cs.ServerEndpoint, err = parseBaseURL("serverEndpoint", v); err != nil {
			return nil, true, fmt.Errorf("signalr: setting %s: %w", s.found, err)
		}
	}
	if v, ok := s.get(section + ":clientEndpoint"); ok {
		if cs.ClientEndpoint, err = parseBaseURL("clientEndpoint", v); err != nil {
			return nil, true, fmt.Errorf("signalr: setting %s: %w", s.found, err)
		}
	}
	credKind, _ := s.get(section + ":credential")
	clientID, _ := s.get(section + ":clientId")
	tenantID, _ := s.get(section + ":tenantId")
	secret, _ := s.get(section + ":clientSecret")
	cred, err := identityCredential(strings.ToLower(credKind), clientID, tenantID, secret)
	if err != nil {
		return nil, true, fmt.Errorf("signalr: setting %s: %w", section+"__credential", err)
	}
	client, err = newClient(cs, nil, cred, opts)
	return client, true, err
}

// identityCredential follows the Functions host's choice of credential for identity-based
// connections (Microsoft.Extensions.Azure's ClientFactory).
func identityCredential(kind, clientID, tenantID, secret string) (azcore.TokenCredential, error) {
	switch kind {
	case "managedidentity":
		return managedIdentity(clientID)
	case "workloadidentity":
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientID: clientID, TenantID: tenantID})
	case "":
	default:
		return nil, fmt.Errorf("credential %q is not supported; expected managedidentity or workloadidentity, or none", kind)
	}
	if tenantID != "" && clientID != "" && secret != "" {
		return azidentity.NewClientSecretCredential(tenantID, clientID, secret, nil)
	}
	if secret != "" {
		return nil, errors.New("clientSecret needs both tenantId and clientId")
	}
	if clientID != "" {
		// The host hands clientId to DefaultAzureCredential as the managed identity to use; Go's
		// DefaultAzureCredential has no such option, so use that identity directly.
		return managedIdentity(clientID)
	}
	return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: tenantID})
}

// settingsReader looks names up in both separator forms and remembers what it tried.
type settingsReader struct {
	lookup func(string) (string, bool)
	tried  []string
	found  string // the name of the last value found
}

func (s *settingsReader) get(names ...string) (string, bool) {
	for _, name := range names {
		for _, candidate := range separatorForms(name) {
			s.tried = append(s.tried, candidate)
			if v, ok := s.lookup(candidate); ok && strings.TrimSpace(v) != "" {
				s.found = candidate
				return strings.TrimSpace(v), true
			}
		}
	}
	return "", false
}

// separatorForms returns name with ':' and with "__" as the section separator.
func separatorForms(name string) []string {
	if !strings.Contains(name, ":") {
		return []string{name}
	}
	return []string{name, strings.ReplaceAll(name, ":", "__")}
}
