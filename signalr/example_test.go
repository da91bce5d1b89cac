package signalr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// fakeService stands in for Azure SignalR Service: it prints each request and answers 202, or
// 404 with a "not existed" code for existence checks.
func fakeService() (connectionString string, closeFn func()) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		path, _ := url.PathUnescape(r.URL.EscapedPath())
		fmt.Println(strings.TrimSpace(r.Method + " " + path + " " + string(body)))
		if r.Method == http.MethodHead {
			w.Header().Set("x-ms-error-code", "Warning.User.NotExisted")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	return "Endpoint=http://127.0.0.1;Port=" + port + ";AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;", srv.Close
}

func ExampleParseConnectionString() {
	cs, err := signalr.ParseConnectionString("Endpoint=https://contoso.service.signalr.net;AccessKey=c2VjcmV0;Version=1.0;ClientEndpoint=https://gateway.contoso.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cs.Endpoint)
	fmt.Println(cs.ClientEndpoint)
	fmt.Println(cs) // secrets are redacted
	// Output:
	// https://contoso.service.signalr.net
	// https://gateway.contoso.com
	// Endpoint=https://contoso.service.signalr.net;AccessKey=REDACTED;Version=1.0;ClientEndpoint=https://gateway.contoso.com;
}

func ExampleNewClientFromConnectionString() {
	connectionString, stop := fakeService()
	defer stop()

	client, err := signalr.NewClientFromConnectionString(connectionString, nil)
	if err != nil {
		log.Fatal(err)
	}
	hub, err := client.Hub("Chat") // hub names are lowercased; an invalid one is an error
	if err != nil {
		log.Fatal(err)
	}
	_, err = hub.SendToAll(context.Background(), signalr.Message{
		Target:    "newMessage",
		Arguments: []any{map[string]string{"sender": "alice", "text": "hello"}},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// POST /api/hubs/chat/:send {"target":"newMessage","arguments":[{"sender":"alice","text":"hello"}]}
}

func ExampleNewClient() {
	// Microsoft Entra ID: the identity needs the SignalR REST API Owner role.
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		log.Fatal(err)
	}
	client, err := signalr.NewClient("https://contoso.service.signalr.net", cred, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.Endpoints()[0].Endpoint)
	// Output:
	// https://contoso.service.signalr.net
}

func ExampleNewAccessKeyCredential() {
	key := signalr.NewAccessKeyCredential("primary-key")
	client, err := signalr.NewClientWithAccessKey("https://contoso.service.signalr.net", key, &signalr.ClientOptions{
		ApplicationName: "shop", // hubs become shop_<hub>
	})
	if err != nil {
		log.Fatal(err)
	}
	// After rotating keys in the portal, later requests are signed with the new key.
	key.Update("secondary-key")
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hub.Name(), key)
	// Output:
	// chat signalr.AccessKeyCredential(REDACTED)
}

func ExampleHubClient_AddUserToGroup() {
	connectionString, stop := fakeService()
	defer stop()
	client, err := signalr.NewClientFromConnectionString(connectionString, nil)
	if err != nil {
		log.Fatal(err)
	}
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := hub.AddUserToGroup(ctx, "room 1", "alice", &signalr.AddUserToGroupOptions{TTL: time.Hour}); err != nil {
		log.Fatal(err)
	}
	if _, err := hub.SendToGroup(ctx, "room 1", signalr.Message{Target: "joined", Arguments: []any{"alice"}}, nil); err != nil {
		log.Fatal(err)
	}
	// Output:
	// PUT /api/hubs/chat/users/alice/groups/room 1
	// POST /api/hubs/chat/groups/room 1/:send {"target":"joined","arguments":["alice"]}
}

func ExampleHubClient_UserExists() {
	connectionString, stop := fakeService()
	defer stop()
	client, err := signalr.NewClientFromConnectionString(connectionString, nil)
	if err != nil {
		log.Fatal(err)
	}
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	online, err := hub.UserExists(context.Background(), "bob", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bob online:", online)
	// Output:
	// HEAD /api/hubs/chat/users/bob
	// bob online: false
}

func ExampleHubClient_Apply() {
	connectionString, stop := fakeService()
	defer stop()
	client, err := signalr.NewClientFromConnectionString(connectionString, nil)
	if err != nil {
		log.Fatal(err)
	}
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	// Items as a custom handler's signalR output binding carries them, routed as the binding
	// routes them: by connection, else user, else group, else everyone.
	var join signalr.GroupAction
	if err := json.Unmarshal([]byte(`{"action":"add","groupName":"room1","connectionId":"c1"}`), &join); err != nil {
		log.Fatal(err)
	}
	items := []signalr.Action{
		join,
		signalr.Message{Target: "joined", Arguments: []any{"c1"}, GroupName: "room1"},
		&signalr.Message{Target: "welcome", UserID: "alice"},
	}
	if err := hub.Apply(context.Background(), items...); err != nil {
		log.Fatal(err)
	}
	// Output:
	// PUT /api/hubs/chat/groups/room1/connections/c1
	// POST /api/hubs/chat/groups/room1/:send {"target":"joined","arguments":["c1"]}
	// POST /api/hubs/chat/users/alice/:send {"target":"welcome","arguments":[]}
}

func ExampleHubClient_SendToConnection_errors() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-error-code", "Error.Request.Invalid")
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	client, err := signalr.NewClientWithAccessKey(srv.URL, signalr.NewAccessKeyCredential("key"), nil)
	if err != nil {
		log.Fatal(err)
	}
	hub, err := client.Hub("chat")
	if err != nil {
		log.Fatal(err)
	}
	_, err = hub.SendToConnection(context.Background(), "c1", signalr.Message{Target: "t"}, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, re.ErrorCode)
	}
	// Output:
	// 400 Error.Request.Invalid
}
