// Command chat is a serverless chat on Azure SignalR Service, written as an Azure Functions
// custom handler: negotiate, chat to everyone, direct messages, groups, and hub methods that
// clients call through the service's upstream (a send and an invoke that returns a value).
//
//	go run ./examples/chat                            # local: emulator + Functions host on :7071
//	go run ./examples/chat start -addr 127.0.0.1:0    # any free port; the URL to open is printed
//	go run ./examples/chat start -v                   # also log SignalR connections and calls
//	go generate ./examples/chat                       # regenerate host.json and */function.json
//
// Two emulators as two service endpoints:
//
//	AzureSignalRConnectionString=UseEmulator=true Azure__SignalR__Endpoints__second=UseEmulator=true go run ./examples/chat
//
// main is app.Main (see bindings.App.Main): under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT
// set) the same binary is the custom handler. See README.md next to this file.
package main

//go:generate go run . functionjson .

import (
	"embed"
	"log"
)

//go:embed static
var static embed.FS

func main() {
	app, err := newApp()
	if err != nil {
		log.Fatal(err)
	}
	app.Main()
}
