package signalr

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// AuthType values accepted in a connection string's AuthType key.
const (
	AuthTypeAzure    = "azure"     // DefaultAzureCredential
	AuthTypeAzureMSI = "azure.msi" // managed identity, optionally user-assigned with ClientId
	AuthTypeAzureApp = "azure.app" // service principal: ClientId + TenantId + ClientSecret or ClientCert
	AuthTypeAAD      = "aad"       // legacy spelling; the credential is chosen by which ids are present
)

// ConnectionString is a parsed Azure SignalR Service connection string.
//
// Its String method redacts AccessKey and ClientSecret, so a ConnectionString can be logged.
type ConnectionString struct {
	// Endpoint is the service endpoint, scheme://host[:port], without a trailing slash.
	Endpoint string
	// AccessKey signs access tokens; empty when AuthType selects Microsoft Entra ID.
	AccessKey string
	// Version is the connection string version, "1.0" when present.
	Version string
	// Port, when non-zero, overrides the port of Endpoint for every request.
	Port int
	// ClientEndpoint, when set, is the base URL handed to clients in place of Endpoint.
	ClientEndpoint string
	// ServerEndpoint, when set, is the base URL of REST calls in place of Endpoint.
	ServerEndpoint string
	// AuthType selects Microsoft Entra ID: one of the AuthType constants, lowercased.
	AuthType string
	// ClientID, TenantID, ClientSecret and ClientCert configure the Entra credential.
	ClientID     string
	TenantID     string
	ClientSecret string
	ClientCert   string
}

// versionPattern accepts the 1.x versions the service understands; unknown keys are ignored, as
// the .NET parser does, so newer connection strings keep working.
var versionPattern = regexp.MustCompile(`^1\.\d+(\.\d+)*$`)

// ParseConnectionString parses a connection string of ';'-separated key=value pairs.
//
// Keys are case-insensitive; values are split on the first '=' and trimmed. Errors name the
// offending key and the expected form and never echo secret values.
func ParseConnectionString(s string) (*ConnectionString, error) {
	values := map[string]string{}
	for i, segment := range strings.Split(s, ";") {
		if strings.TrimSpace(segment) == "" {
			continue
		}
		key, value, ok := strings.Cut(segment, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok || key == "" {
			// The segment itself is not echoed: a misplaced separator can put a key in it.
			return nil, fmt.Errorf("signalr: connection string segment %d is not key=value; expected Endpoint=…;AccessKey=…;Version=1.0;", i+1)
		}
		if _, dup := values[key]; dup {
			return nil, fmt.Errorf("signalr: connection string has key %s more than once", displayKey(key))
		}
		values[key] = strings.TrimSpace(value)
	}
	if len(values) == 0 {
		return nil, errors.New("signalr: connection string is empty; expected Endpoint=https://<name>.service.signalr.net;AccessKey=<key>;Version=1.0;")
	}

	cs := &ConnectionString{
		AccessKey:    values["accesskey"],
		Version:      values["version"],
		AuthType:     strings.ToLower(values["authtype"]),
		ClientID:     values["clientid"],
		TenantID:     values["tenantid"],
		ClientSecret: values["clientsecret"],
		ClientCert:   values["clientcert"],
	}
	endpoint, ok := values["endpoint"]
	if !ok || endpoint == "" {
		return nil, errors.New("signalr: connection string has no Endpoint; expected Endpoint=https://<name>.service.signalr.net")
	}
	var err error
	if cs.Endpoint, err = parseBaseURL("connection string Endpoint", endpoint); err != nil {
		return nil, err
	}
	if v, ok := values["clientendpoint"]; ok {
		if cs.ClientEndpoint, err = parseBaseURL("connection string ClientEndpoint", v); err != nil {
			return nil, err
		}
	}
	if v, ok := values["serverendpoint"]; ok {
		if cs.ServerEndpoint, err = parseBaseURL("connection string ServerEndpoint", v); err != nil {
			return nil, err
		}
	}
	if v, ok := values["port"]; ok {
		port, perr := strconv.Atoi(v)
		if perr != nil || port < 1 || port > 65535 {
			return nil, errors.New("signalr: connection string Port is not a number from 1 to 65535")
		}
		cs.Port = port
	}
	if cs.Version != "" && !versionPattern.MatchString(cs.Version) {
		return nil, errors.New("signalr: connection string Version is not supported; expected 1.0")
	}
	switch cs.AuthType {
	case "":
		if cs.AccessKey == "" {
			return nil, errors.New("signalr: connection string has no AccessKey; expected AccessKey=<key>, or AuthType=azure|azure.msi|azure.app for Microsoft Entra ID")
		}
	case AuthTypeAzure, AuthTypeAzureMSI, AuthTypeAAD:
	case AuthTypeAzureApp:
		if cs.ClientID == "" || cs.TenantID == "" || (cs.ClientSecret == "" && cs.ClientCert == "") {
			return nil, errors.New("signalr: connection string with AuthType=azure.app needs ClientId, TenantId and ClientSecret or ClientCert")
		}
	default:
		return nil, errors.New("signalr: connection string AuthType is not supported; expected azure, azure.msi or azure.app")
	}
	return cs, nil
}

// knownKeys spells the keys of a connection string as the documentation does.
var knownKeys = map[string]string{
	"endpoint": "Endpoint", "accesskey": "AccessKey", "version": "Version", "port": "Port",
	"clientendpoint": "ClientEndpoint", "serverendpoint": "ServerEndpoint", "authtype": "AuthType",
	"clientid": "ClientId", "tenantid": "TenantId", "clientsecret": "ClientSecret", "clientcert": "ClientCert",
}

// displayKey names a key in an error. Unknown keys are not echoed: a segment with a missing ';'
// can carry part of a secret in its key.
func displayKey(lower string) string {
	if k, ok := knownKeys[lower]; ok {
		return k
	}
	return "(an unknown key)"
}

// parseBaseURL checks that raw is an absolute http(s) URL with a plain host name and no query,
// and returns it without a trailing slash. Errors do not echo raw: a missing ';' can put the
// AccessKey into the Endpoint value.
func parseBaseURL(key, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" {
		return "", fmt.Errorf("signalr: %s is not an absolute http or https URL; expected https://<name>.service.signalr.net", key)
	}
	if u.User != nil {
		return "", fmt.Errorf("signalr: %s must not carry user information", key)
	}
	if !validHost(u.Hostname()) {
		return "", fmt.Errorf("signalr: %s has an invalid host name; expected https://<name>.service.signalr.net", key)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("signalr: %s must not have a query or fragment; expected https://<name>.service.signalr.net", key)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// validHost accepts IP addresses and DNS-style names (letters, digits, '-', '.', '_').
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

// withPort returns base with its port replaced by port, when port is non-zero.
func withPort(base string, port int) string {
	if port == 0 {
		return base
	}
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Host = u.Hostname() + ":" + strconv.Itoa(port)
	if strings.Contains(u.Hostname(), ":") { // IPv6 literal
		u.Host = "[" + u.Hostname() + "]:" + strconv.Itoa(port)
	}
	return strings.TrimRight(u.String(), "/")
}

// serverURL is the base URL of REST calls: ServerEndpoint, else Endpoint with Port applied.
func (cs *ConnectionString) serverURL() string {
	if cs.ServerEndpoint != "" {
		return cs.ServerEndpoint
	}
	return withPort(cs.Endpoint, cs.Port)
}

// clientURL is the base URL handed to clients: ClientEndpoint, else Endpoint with Port applied.
func (cs *ConnectionString) clientURL() string {
	if cs.ClientEndpoint != "" {
		return cs.ClientEndpoint
	}
	return withPort(cs.Endpoint, cs.Port)
}

// audienceBase is scheme://host/ of Endpoint, without port: the base of client token audiences,
// which the service compares without the port.
func (cs *ConnectionString) audienceBase() string {
	u, err := url.Parse(cs.Endpoint)
	if err != nil {
		return cs.Endpoint + "/"
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return u.Scheme + "://" + host + "/"
}

// UsesEntraID reports whether the connection string authenticates with Microsoft Entra ID.
func (cs *ConnectionString) UsesEntraID() bool { return cs.AuthType != "" }

// Credential builds the Microsoft Entra credential that AuthType selects. It returns an error for
// an access-key connection string.
func (cs *ConnectionString) Credential() (azcore.TokenCredential, error) {
	switch cs.AuthType {
	case "":
		return nil, errors.New("signalr: connection string uses an AccessKey, not Microsoft Entra ID")
	case AuthTypeAzure:
		return azidentity.NewDefaultAzureCredential(nil)
	case AuthTypeAzureMSI:
		return managedIdentity(cs.ClientID)
	case AuthTypeAzureApp:
		return appCredential(cs.TenantID, cs.ClientID, cs.ClientSecret, cs.ClientCert)
	case AuthTypeAAD:
		if cs.TenantID != "" && (cs.ClientSecret != "" || cs.ClientCert != "") {
			return appCredential(cs.TenantID, cs.ClientID, cs.ClientSecret, cs.ClientCert)
		}
		return managedIdentity(cs.ClientID)
	}
	return nil, fmt.Errorf("signalr: AuthType %q is not supported", cs.AuthType)
}

func managedIdentity(clientID string) (azcore.TokenCredential, error) {
	var opts azidentity.ManagedIdentityCredentialOptions
	if clientID != "" {
		opts.ID = azidentity.ClientID(clientID)
	}
	return azidentity.NewManagedIdentityCredential(&opts)
}

func appCredential(tenantID, clientID, secret, certPath string) (azcore.TokenCredential, error) {
	if secret != "" {
		return azidentity.NewClientSecretCredential(tenantID, clientID, secret, nil)
	}
	if certPath == "" {
		return nil, errors.New("signalr: a service principal needs ClientSecret or ClientCert")
	}
	return clientCertificateCredential(tenantID, clientID, certPath)
}

// String returns the connection string with AccessKey and ClientSecret redacted. It has a
// value receiver, so a ConnectionString value prints redacted as well as a pointer.
func (cs ConnectionString) String() string {
	var b strings.Builder
	add := func(key, value string) {
		if value != "" {
			b.WriteString(key + "=" + value + ";")
		}
	}
	add("Endpoint", cs.Endpoint)
	if cs.AccessKey != "" {
		add("AccessKey", "REDACTED")
	}
	add("Version", cs.Version)
	if cs.Port != 0 {
		add("Port", strconv.Itoa(cs.Port))
	}
	add("ClientEndpoint", cs.ClientEndpoint)
	add("ServerEndpoint", cs.ServerEndpoint)
	add("AuthType", cs.AuthType)
	add("ClientId", cs.ClientID)
	add("TenantId", cs.TenantID)
	if cs.ClientSecret != "" {
		add("ClientSecret", "REDACTED")
	}
	add("ClientCert", cs.ClientCert)
	return b.String()
}
