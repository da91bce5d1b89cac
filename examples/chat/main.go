// Command chat is a serverless chat on Azure SignalR Service, written as an Azure Functions
// custom handler: negotiate, chat to everyone, direct messages, groups, and hub methods that
// clients call through the service's upstream (a send and an invoke that returns a value).
//
//	go run ./examples/chat                      # local: emulator + fake Functions host on :7071
//	go run ./examples/chat -addr 127.0.0.1:0    # any free port; the URL to open is printed
//	go run ./examples/chat -endpoints 2         # two emulators as two service endpoints
//	go generate ./examples/chat                 # regenerate host.json and */function.json
//
// Under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT set) the same binary is the custom
// handler. See README.md next to this file.
package main

//go:generate go run . functionjson .

import (
	"embed"

	"github.com/funcsignalr/funcsignalr/examples/internal/localdev"
)

//go:embed static
var static embed.FS

func main() {
	localdev.Command("chat", newApp)
}
