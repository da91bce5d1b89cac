package signalr

import (
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// clientCertificateCredential loads a PEM or PKCS#12 certificate file for a service principal.
func clientCertificateCredential(tenantID, clientID, path string) (azcore.TokenCredential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signalr: reading ClientCert: %w", err)
	}
	certs, key, err := azidentity.ParseCertificates(data, nil)
	if err != nil {
		return nil, fmt.Errorf("signalr: ClientCert %q holds no usable certificate and private key: %w", path, err)
	}
	return azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key, nil)
}
