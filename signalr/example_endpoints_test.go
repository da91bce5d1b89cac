package signalr_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// quietService is a fake service that accepts every request; failing makes it refuse them.
func quietService(failing bool) (connectionString string, closeFn func()) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	return "Endpoint=http://127.0.0.1;Port=" + port + ";AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;", srv.Close
}

func ExampleNewClientWithEndpoints() {
	var endpoints []signalr.Endpoint
	for _, name := range []string{"westeurope", "northeurope"} {
		cs, stop := quietService(false)
		defer stop()
		client, err := signalr.NewClientFromConnectionString(cs, nil)
		if err != nil {
			log.Fatal(err)
		}
		endpoints = append(endpoints, signalr.Endpoint{Name: name, Client: client})
	}
	client, err := signalr.NewClientWithEndpoints(endpoints, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}

	// One call, sent to both endpoints concurrently.
	resp, err := hub.SendToAll(context.Background(), signalr.Message{Target: "newMessage", Arguments: []any{"hi"}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range resp.Endpoints {
		fmt.Println(r.Endpoint.Name, r.Err)
	}
	// Only where the message says.
	resp, err = hub.SendToAll(context.Background(), signalr.Message{
		Target: "newMessage", Endpoints: []signalr.EndpointRef{{Name: "northeurope"}},
	}, nil)
	fmt.Println(len(resp.Endpoints), resp.Endpoints[0].Endpoint.Name, err)
	// Output:
	// westeurope <nil>
	// northeurope <nil>
	// 1 northeurope <nil>
}

// A failure on one endpoint fails the call and names that endpoint.
func ExampleEndpointError() {
	good, stopGood := quietService(false)
	defer stopGood()
	bad, stopBad := quietService(true)
	defer stopBad()
	var endpoints []signalr.Endpoint
	noRetry := &signalr.ClientOptions{ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}
	for name, cs := range map[string]string{"east": good, "west": bad} {
		client, err := signalr.NewClientFromConnectionString(cs, noRetry)
		if err != nil {
			log.Fatal(err)
		}
		endpoints = append(endpoints, signalr.Endpoint{Name: name, Client: client})
	}
	client, err := signalr.NewClientWithEndpoints(endpoints, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := hub.AddUserToGroup(context.Background(), "admins", "alice", nil)
	var ee *signalr.EndpointError
	var re *azcore.ResponseError
	fmt.Println(errors.As(err, &ee), ee.Name, errors.As(err, &re), re.StatusCode)
	fmt.Println(len(resp.Endpoints)) // both were tried
	// Output:
	// true west true 503
	// 2
}

// The same app settings the Functions extension reads: the connection setting is the unnamed
// primary endpoint, and Azure__SignalR__Endpoints__<name>[__secondary] add named ones.
func ExampleNewClientFromEnvironment() {
	main, stopMain := quietService(false)
	defer stopMain()
	backup, stopBackup := quietService(false)
	defer stopBackup()
	for k, v := range map[string]string{
		"AzureSignalRConnectionString":                 main,
		"Azure__SignalR__Endpoints__backup__secondary": backup,
	} {
		os.Setenv(k, v)
		defer os.Unsetenv(k)
	}

	client, err := signalr.NewClientFromEnvironment("AzureSignalRConnectionString", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close() // stops the health checks Endpoints starts
	for _, e := range client.Endpoints() {
		fmt.Printf("%q %s\n", e.Name, e.EndpointType)
	}
	// Output:
	// "" Primary
	// "backup" Secondary
}
