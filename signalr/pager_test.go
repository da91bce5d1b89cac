package signalr

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListGroupConnectionsPager(t *testing.T) {
	var f *fakeService
	f = newFakeService(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("continuationToken") {
		case "":
			fmt.Fprintf(w, `{"value":[{"connectionId":"c1","userId":"u1"},{"connectionId":"c2"}],"nextLink":"%s/api/hubs/chat/groups/g%%201/connections?continuationToken=p2&maxpagesize=2&api-version=%s"}`, f.URL, DefaultAPIVersion)
		case "p2":
			// A relative link without api-version: resolved against the server, version added.
			fmt.Fprint(w, `{"value":[{"connectionId":"c3","userId":"u3"}],"nextLink":"/api/hubs/chat/groups/g%201/connections?continuationToken=p3"}`)
		default:
			fmt.Fprint(w, `{"value":[]}`)
		}
	})
	pager := hubOf(t, newTestClient(t, f, nil), "chat").NewListGroupConnectionsPager("g 1", &ListGroupConnectionsOptions{MaxPageSize: 2, Top: 10})
	var members []GroupMember
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		require.NoError(t, err)
		members = append(members, page.Value...)
		pages++
	}
	assert.Equal(t, 3, pages)
	assert.Equal(t, []GroupMember{{"c1", "u1"}, {"c2", ""}, {"c3", "u3"}}, members)

	reqs := f.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, url.Values{"api-version": {DefaultAPIVersion}, "maxpagesize": {"2"}, "top": {"10"}}, reqs[0].Query)
	assert.Equal(t, "p2", reqs[1].Query.Get("continuationToken"))
	assert.Equal(t, DefaultAPIVersion, reqs[2].Query.Get("api-version"))
	for _, r := range reqs {
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Equal(t, "/api/hubs/chat/groups/g%201/connections", r.Path)
		verifyToken(t, f, r, testKey)
	}
}

func TestListGroupConnectionsPagerErrors(t *testing.T) {
	t.Run("nextLink to another host is refused", func(t *testing.T) {
		f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			fmt.Fprint(w, `{"value":[{"connectionId":"c1"}],"nextLink":"https://attacker.example/api/hubs/chat/groups/g/connections?continuationToken=x"}`)
		})
		pager := hubOf(t, newTestClient(t, f, nil), "chat").NewListGroupConnectionsPager("g", nil)
		_, err := pager.NextPage(context.Background())
		require.NoError(t, err)
		require.True(t, pager.More())
		_, err = pager.NextPage(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "nextLink that does not point at the client's server URL")
		assert.Len(t, f.requests(), 1)
	})
	t.Run("service error", func(t *testing.T) {
		f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("x-ms-error-code", "Warning.Group.NotExisted")
			w.WriteHeader(http.StatusNotFound)
		})
		_, err := hubOf(t, newTestClient(t, f, nil), "chat").NewListGroupConnectionsPager("g", nil).NextPage(context.Background())
		var re *azcore.ResponseError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "Warning.Group.NotExisted", re.ErrorCode)
	})
	t.Run("creating a pager does no I/O", func(t *testing.T) {
		f := newFakeService(t, nil)
		_ = hubOf(t, newTestClient(t, f, nil), "chat").NewListGroupConnectionsPager("g", nil)
		assert.Empty(t, f.requests())
	})
}
