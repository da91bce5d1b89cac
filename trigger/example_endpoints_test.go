package trigger_test

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

type managedIdentity struct{}

func (managedIdentity) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, nil
}

// An application that reaches the service with Microsoft Entra ID holds no access key, yet the
// service signs every upstream request with its keys.
func ExampleNewRouter() {
	client, _ := signalr.NewClient("https://contoso.service.signalr.net", managedIdentity{}, nil)

	// With no key to verify signatures with, the router refuses to start...
	_, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{Client: client}})
	fmt.Println(err != nil)

	// ...until it gets the service's keys (say from Key Vault; both of a primary/secondary
	// pair, so they can be rotated one at a time), which keep verification on,
	r, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{
		Client:     client,
		AccessKeys: []string{"<primary key>", "<secondary key>"},
	}})
	fmt.Println(r != nil, err)

	// or is told explicitly that something else authenticates the webhook.
	r, err = trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{InsecureSkipSignature: true}})
	fmt.Println(r != nil, err)
	// Output:
	// true
	// true <nil>
	// true <nil>
}
