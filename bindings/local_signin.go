package bindings

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/bindings/internal/fakehost"
	"github.com/funcsignalr/funcsignalr/negotiate"
)

// maxLocalUserLength bounds the names a local run signs in.
const maxLocalUserLength = 64

// localIdentityProvider is the x-ms-client-principal-idp of users a local run signs in.
const localIdentityProvider = "local"

// signIn plays App Service authentication for a local run. It drops the x-ms-client-principal
// headers a client sends, as the platform does, and signs in the user a page names with
// ?user= (or an X-User header), unverified, by adding the headers the platform adds for a
// signed-in user; negotiate.PrincipalFromRequest reads them under the Functions host in Azure
// as here. The service's upstream calls pass untouched.
func signIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), fakehost.WebhookPath) {
			next.ServeHTTP(w, r)
			return
		}
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-ms-client-principal") {
				delete(r.Header, k)
			}
		}
		user := r.URL.Query().Get("user")
		if user == "" {
			user = r.Header.Get("X-User")
		}
		if user != "" {
			if err := checkLocalUser(user); err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
				return
			}
			r.Header.Set(negotiate.HeaderClientPrincipalID, user)
			r.Header.Set(negotiate.HeaderClientPrincipalName, user)
			r.Header.Set(negotiate.HeaderClientPrincipalIDP, localIdentityProvider)
		}
		next.ServeHTTP(w, r)
	})
}

// checkLocalUser refuses a name that is too long, blank, padded with spaces or not printable.
func checkLocalUser(user string) error {
	switch {
	case len(user) > maxLocalUserLength:
		return fmt.Errorf("user name is longer than %d bytes", maxLocalUserLength)
	case strings.TrimSpace(user) == "":
		return errors.New("user name is blank; expected a name with letters or digits")
	case strings.TrimSpace(user) != user:
		return errors.New("user name must not start or end with spaces")
	}
	for _, r := range user {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return errors.New("user name must be printable UTF-8 text")
		}
	}
	return nil
}
