package jsclient_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// Conformance tests loop over every transport × protocol pair the official client supports.
func ExampleCombinations() {
	for _, c := range jsclient.Combinations() {
		fmt.Println(c.Name())
	}
	// Output:
	// WebSockets/json
	// WebSockets/messagepack
	// ServerSentEvents/json
	// LongPolling/json
	// LongPolling/messagepack
}

// Byte strings cross the JSON-lines boundary as {"$binary": base64}; the driver turns them
// into Uint8Array arguments, which MessagePack sends as bin.
func ExampleBinary() {
	b, _ := json.Marshal([]any{"file", jsclient.Binary("hi!")})
	fmt.Println(string(b))
	// Output: ["file",{"$binary":"aGkh"}]
}

// A test connects the official client, makes the server send, and waits for what the client
// received.
func ExampleStart() {
	_ = func(t *testing.T, hubURL, token string) {
		c := jsclient.Start(t, jsclient.Config{
			URL:         hubURL, // e.g. srv.URL + "/client/?hub=chat"
			Transport:   jsclient.WebSockets,
			Protocol:    jsclient.MessagePack,
			AccessToken: token,
			Targets:     []string{"newMessage"},
		})
		// … send to the connection through the server …
		ev, err := c.WaitFor(t.Context(), jsclient.IsMessage("newMessage"))
		if err != nil {
			t.Fatal(err)
		}
		var text string
		if err := ev.Arg(0, &text); err != nil {
			t.Fatal(err)
		}
	}
}
