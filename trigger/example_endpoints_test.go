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

func ExampleNewRouterForEndpoints() {
	client, _ := signalr.NewClient("https://contoso.service.signalr.net", managedIdentity{}, nil)
	endpoints := []signalr.Endpoint{{Name: "main", Client: client}}

	// An identity-based endpoint brings no key: the router refuses to start...
	_, err := trigger.NewRouterForEndpoints(trigger.RouterOptions{}, endpoints...)
	fmt.Println(err != nil)

	// ...until it gets the service's keys (say from Key Vault), which keep verification on,
	r, err := trigger.NewRouterForEndpoints(trigger.RouterOptions{AccessKeys: []string{"<primary key>"}}, endpoints...)
	fmt.Println(r != nil, err)

	// or is told explicitly that something else authenticates the webhook.
	r, err = trigger.NewRouterForEndpoints(trigger.RouterOptions{InsecureSkipSignature: true}, endpoints...)
	fmt.Println(r != nil, err)
	// Output:
	// true
	// true <nil>
	// true <nil>
}
