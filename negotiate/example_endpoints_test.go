package negotiate_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// regionRouter sends a client to the endpoint its X-Region header names, else routes as
// DefaultRouter does.
type regionRouter struct{}

func (regionRouter) Route(ctx context.Context, hub string, endpoints []signalr.EndpointRef) (signalr.EndpointRef, error) {
	if r, ok := negotiate.RequestFromContext(ctx); ok {
		for _, e := range endpoints {
			if e.Online && strings.EqualFold(e.Name, r.Header.Get("X-Region")) {
				return e, nil
			}
		}
	}
	return negotiate.DefaultRouter{}.Route(ctx, hub, endpoints)
}

// twoRegions is a client over two service instances.
func twoRegions() *signalr.MultiEndpointClient {
	multi, err := signalr.NewMultiEndpointClientFromSettings("", map[string]string{
		"Azure__SignalR__Endpoints__us":            "Endpoint=https://us.service.signalr.net;AccessKey=a2V5;Version=1.0;",
		"Azure__SignalR__Endpoints__eu__secondary": "Endpoint=https://eu.service.signalr.net;AccessKey=a2V5;Version=1.0;",
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	return multi
}

func ExampleNewWithEndpoints() {
	multi := twoRegions()
	// In an app, multi.StartHealthChecks() (and defer multi.Close()) routes clients away from
	// endpoints that stop answering; this example reaches no service.
	h := negotiate.Handler(negotiate.NewWithEndpoints(multi, &negotiate.NegotiatorOptions{Router: regionRouter{}}), "chat", nil)

	for _, region := range []string{"eu", ""} {
		req := httptest.NewRequest(http.MethodPost, "/api/negotiate", nil)
		req.Header.Set("X-Region", region)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.Split(rec.Body.String(), `"accessToken"`)[0])
	}
	// Output:
	// 200 {"url":"https://eu.service.signalr.net/client/?hub=chat",
	// 200 {"url":"https://us.service.signalr.net/client/?hub=chat",
}

func ExampleNegotiator_NegotiateAll() {
	n := negotiate.NewWithEndpoints(twoRegions(), nil)
	neg, err := n.NegotiateAll(context.Background(), "chat", &negotiate.Options{UserID: "alice"})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range neg.Endpoints {
		fmt.Println(e.Name, e.EndpointType, e.Online, e.ConnectionInfo.URL)
	}
	fmt.Println(string(negotiate.AppendEndpointJSON(nil, n.Endpoints()[1])))
	// Output:
	// eu Secondary true https://eu.service.signalr.net/client/?hub=chat
	// us Primary true https://us.service.signalr.net/client/?hub=chat
	// {"endpointType":"Primary","name":"us","endpoint":"https://us.service.signalr.net","online":true}
}
