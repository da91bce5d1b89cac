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
func NewClientFromEnvironment(setting string, opts *ClientOptions) (*Client, error) {
	return newClientFromLookup(setting, os.LookupEnv, opts)
}

// newClientFromLookup is NewClientFromEnvironment with the settings source injected.
func newClientFromLookup(setting string, lookup func(string) (string, bool), opts *ClientOptions) (*Client, error) {
	setting = strings.TrimSpace(setting)
	if setting == "" {
		setting = DefaultConnectionSetting
	}
	s := settingsReader{lookup: lookup}
	if cs, ok := s.get("ConnectionStrings:"+setting, "CUSTOMCONNSTR_"+setting, setting); ok {
		parsed, err := ParseConnectionString(cs)
		if err != nil {
			return nil, fmt.Errorf("signalr: setting %s: %w", s.found, err)
		}
		return NewClientFromParsedConnectionString(parsed, opts)
	}
	serviceURI, ok := s.get(setting + ":serviceUri")
	if !ok {
		return nil, fmt.Errorf("signalr: no Azure SignalR connection configured; set one of %s", strings.Join(s.tried, ", "))
	}
	uriName := s.found
	cs := &ConnectionString{AuthType: AuthTypeAzure}
	var err error
	if cs.Endpoint, err = parseBaseURL("serviceUri", serviceURI); err != nil {
		return nil, fmt.Errorf("signalr: setting %s: %w", uriName, err)
	}
	if v, ok := s.get(setting + ":serverEndpoint"); ok {
		if cs.ServerEndpoint, err = parseBaseURL("serverEndpoint", v); err != nil {
			return nil, fmt.Errorf("signalr: setting %s: %w", s.found, err)
		}
	}
	if v, ok := s.get(setting + ":clientEndpoint"); ok {
		if cs.ClientEndpoint, err = parseBaseURL("clientEndpoint", v); err != nil {
			return nil, fmt.Errorf("signalr: setting %s: %w", s.found, err)
		}
	}
	credKind, _ := s.get(setting + ":credential")
	clientID, _ := s.get(setting + ":clientId")
	tenantID, _ := s.get(setting + ":tenantId")
	secret, _ := s.get(setting + ":clientSecret")
	cred, err := identityCredential(strings.ToLower(credKind), clientID, tenantID, secret)
	if err != nil {
		return nil, fmt.Errorf("signalr: setting %s: %w", setting+"__credential", err)
	}
	return newClient(cs, nil, cred, opts)
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
