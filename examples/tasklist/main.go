// Command tasklist is a live task list on Azure SignalR Service, written as an Azure Functions
// custom handler: HTTP functions change the list and broadcast a taskUpdate event through the
// signalR output binding, and every open page re-renders without reloading.
//
//	go run ./examples/tasklist                    # local: emulator + fake Functions host on :7071
//	go run ./examples/tasklist -addr 127.0.0.1:0  # any free port; the URL to open is printed
//	go generate ./examples/tasklist               # regenerate host.json and */function.json
//
// Under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT set) the same binary is the custom
// handler. The list lives in memory (Store); a deployment with more than one instance would
// put a database behind the same interface.
package main

//go:generate go run . functionjson .

import (
	"embed"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/examples/internal/localdev"
)

//go:embed static
var static embed.FS

func main() {
	localdev.Command("tasklist", func() (*bindings.App, error) { return newApp(newMemoryStore()) })
}
