package localsettings_test

import (
	"fmt"

	"github.com/funcsignalr/funcsignalr/bindings/internal/localsettings"
)

func ExampleParse() {
	f, err := localsettings.Parse("local.settings.json", []byte(`{
  // Core Tools accepts comments and trailing commas.
  "IsEncrypted": false,
  "Values": {
    "FUNCTIONS_WORKER_RUNTIME": "Custom",
    "Retries": 3,
  },
  "Host": {"LocalHttpPort": 7072, "CORS": "http://localhost:8080"},
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Values["Retries"], f.Host.LocalHTTPPort, f.Host.CORS)

	_, err = localsettings.Parse("local.settings.json", []byte(`{"Values": {"Azure": {"SignalR": "…"}}}`))
	fmt.Println(err)
	// Output:
	// 3 7072 [http://localhost:8080]
	// local.settings.json:1:22: Values["Azure"]: is an object; expected a string (an app setting is a string: nested settings are written as flat keys such as "Parent:Child" or "Parent__Child")
}

func ExampleMerge() {
	file := map[string]string{"Greeting": "from the file", "Name": "from the file"}
	m := localsettings.Merge(file, []string{"Greeting=from the environment"})
	fmt.Println(m.Settings["Greeting"], "/", m.Settings["Name"])
	fmt.Println(m.FromFile)
	fmt.Println(m.Warnings()[0])
	// Output:
	// from the environment / from the file
	// [Name]
	// Skipping "Greeting" from local settings as it's already defined in current environment variables.
}
