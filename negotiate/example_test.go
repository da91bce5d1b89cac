package negotiate_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// The connection string of the local emulator; a real one comes from the app's settings.
const connectionString = "Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;"

func ExampleNegotiator_Negotiate() {
	client, err := signalr.NewClientFromConnectionString(connectionString, nil)
	if err != nil {
		log.Fatal(err)
	}
	n, err := negotiate.New(client, nil)
	if err != nil {
		log.Fatal(err)
	}
	info, err := n.Negotiate(context.Background(), "Chat", &negotiate.Options{
		UserID: "alice",
		Claims: []negotiate.Claim{{Type: "name", Value: "Alice"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.URL)

	// Decode the token (it is signed with the access key) to show its claims.
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithAudience("http://localhost/client/?hub=chat")).ParseWithClaims(info.AccessToken, claims,
		func(*jwt.Token) (any, error) { return []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"), nil })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims["aud"], claims["asrs.s.uid"], claims["name"])
	// Output:
	// http://localhost:8888/client/?hub=chat
	// http://localhost/client/?hub=chat alice Alice
}

func ExampleHandler() {
	client, err := signalr.NewClientFromConnectionString(connectionString, nil)
	if err != nil {
		log.Fatal(err)
	}
	n, err := negotiate.New(client, nil)
	if err != nil {
		log.Fatal(err)
	}
	h, err := negotiate.Handler(n, "chat", &negotiate.HandlerOptions{
		AllowedOrigins: []string{"http://localhost:8080"},
		RequireUser:    true,
	})
	if err != nil {
		log.Fatal(err) // a wildcard origin or an invalid hub name is refused here
	}
	mux := http.NewServeMux()
	// The JavaScript client is given withUrl("<app>/api") and POSTs to /api/negotiate.
	mux.Handle("/api/negotiate", h)

	// App Service authentication adds the signed-in user's headers.
	req := httptest.NewRequest(http.MethodPost, "/api/negotiate?negotiateVersion=1", nil)
	req.Header.Set("Origin", "http://localhost:8080")
	req.Header.Set("X-MS-CLIENT-PRINCIPAL-ID", "alice")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	fmt.Println(strings.Contains(rec.Body.String(), `"url":"http://localhost:8888/client/?hub=chat"`))

	// Without a user the endpoint answers 401 with an error the client shows.
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/negotiate", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 http://localhost:8080
	// true
	// 401 {"error":"negotiate: this hub requires a signed-in user and the request has none"}
}

func ExamplePrincipalFromRequest() {
	req := httptest.NewRequest(http.MethodPost, "/api/negotiate", nil)
	req.Header.Set("X-MS-CLIENT-PRINCIPAL-ID", "1234567")
	req.Header.Set("X-MS-CLIENT-PRINCIPAL-IDP", "github")
	req.Header.Set("X-MS-CLIENT-PRINCIPAL", base64.StdEncoding.EncodeToString([]byte(
		`{"auth_typ":"github","claims":[{"typ":"urn:github:login","val":"octocat"}],"name_typ":"urn:github:login","role_typ":"roles"}`)))
	p, err := negotiate.PrincipalFromRequest(req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID, p.Name, p.IdentityProvider)
	// Output: 1234567 octocat github
}

func ExampleClaimsFromIDToken() {
	// An id token as the browser sends it; without IDTokenOptions.Keyfunc it is read unverified.
	idToken, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "alice", "name": "Alice", "exp": time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
	}).SignedString([]byte("identity provider key"))

	claims, err := negotiate.ClaimsFromIDToken("Bearer "+idToken, []string{"name", "exp"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range claims {
		fmt.Println(c.Type, "=", c.Value)
	}
	// Output:
	// asrs.u.exp = 1893456000
	// name = Alice
}

func ExampleConnectionInfo() {
	info := negotiate.ConnectionInfo{URL: "https://x.service.signalr.net/client/?hub=chat", AccessToken: "eyJ..."}
	fmt.Println(info)
	// Output: negotiate.ConnectionInfo{URL: https://x.service.signalr.net/client/?hub=chat, AccessToken: REDACTED}
}
