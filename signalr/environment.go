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

// NewClientFromEnvironment builds a client from app settings the way the Functions host and
// its SignalR extension read them: one or several endpoints, from environment variables.
//
// For a connection setting name S ("" means DefaultConnectionSetting) it reads, in order:
//
//  1. a connection string in ConnectionStrings:S (also CUSTOMCONNSTR_S, App Service's form), then S;
//  2. identity-based settings: S:serviceUri with the optional S:serverEndpoint, S:clientEndpoint
//     and the credential keys S:credential ("managedidentity" or "workloadidentity"),
//     S:clientId, S:tenantId and S:clientSecret.
//
// The identity-based form uses a client secret credential when tenantId, clientId and
// clientSecret are set, the user-assigned managed identity clientId when only that is set, and
// azidentity's DefaultAzureCredential when no credential key is set.
//
// S, when set, is the unnamed primary endpoint. Every endpoint of the section
// Azure:SignalR:Endpoints is added after it, in name order: Azure:SignalR:Endpoints:<name> is a
// connection string whose :primary or :secondary suffix sets its type, or the same
// identity-based keys under Azure:SignalR:Endpoints:<name> plus :type. A single endpoint makes
// a one-endpoint client.
//
// Environment variables cannot always hold ':', so every name is also tried with "__" in its
// place (S__serviceUri, Azure__SignalR__Endpoints__east), as the host does; names in the
// endpoints section match without case. When nothing is set the error lists every name it
// looked for, and otherwise it names the setting at fault.
func NewClientFromEnvironment(setting string, opts *ClientOptions) (*Client, error) {
	settings := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			settings[k] = v
		}
	}
	return newClientFromSettings(setting, settings, opts)
}

// clientFromSetting builds the client a connection setting describes; ok is false when the
// setting is not configured in any form.
func clientFromSetting(setting string, s *settingsReader, opts *ClientOptions) (*Client, bool, error) {
	if cs, ok := s.get("ConnectionStrings:"+setting, "CUSTOMCONNSTR_"+setting, setting); ok {
		parsed, err := ParseConnectionString(cs)
		if err != nil {
			return nil, true, fmt.Errorf("signalr: setting %s: %w", s.found, err)
		}
		client, err := newClientFromParsed(parsed, opts)
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
