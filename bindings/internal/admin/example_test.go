package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings/internal/admin"
)

func Example() {
	h := admin.NewHandler(
		admin.Functions(admin.Function{Name: "cleanup"}, admin.Function{Name: "negotiate", HTTPTriggered: true}),
		func(_ context.Context, name, input string) error {
			fmt.Printf("running %s with %q\n", name, input)
			return nil
		},
		&admin.Options{OnError: func(name string, err error) { fmt.Println("failed:", err) }},
	)

	for _, path := range []string{"/admin/functions/Cleanup", "/admin/functions/negotiate", "/admin/functions/missing"} {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"input":"2024-01-01"}`))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		h.Wait() // the runs happen after the answer; wait so the output is in order
		fmt.Println(w.Code)
	}
	// Output:
	// running cleanup with "2024-01-01"
	// 202
	// failed: function "negotiate" is HTTP-triggered and an HttpRequest is required: the admin endpoint runs only non-HTTP functions; call the function's route instead
	// 202
	// 404
}
