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

// regionRouter sends a client to the online endpoint its X-Region header names, else to the
// first online primary one.
type regionRouter struct{}

func (regionRouter) Route(ctx context.Context, hub string, endpoints []signalr.EndpointRef) (signalr.EndpointRef, error) {
	if r, ok := negotiate.RequestFromContext(ctx); ok {
		for _, e := range endpoints {
			if e.Online && strings.EqualFold(e.Name, r.Header.Get("X-Region")) {
				return e, nil
			}
		}
	}
	for _, e := range endpoints {
		if e.Online && e.EndpointType == signalr.EndpointTypePrimary {
			return e, nil
		}
	}
	return signalr.EndpointRef{}, signalr.ErrNoEndpointOnline
}

// twoRegions is a client over two service instances, fakes that answer every health check.
func twoRegions(opts *signalr.ClientOptions) (client *signalr.Client, stop func()) {
	var endpoints []signalr.Endpoint
	var servers []*httptest.Server
	for _, region := range []string{"us", "eu"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		servers = append(servers, srv)
		c, err := signalr.NewClientFromConnectionString("Endpoint="+srv.URL+";AccessKey=a2V5;Version=1.0;", nil)
		if err != nil {
			log.Fatal(err)
		}
		typ := signalr.EndpointTypePrimary
		if region == "eu" {
			typ = signalr.EndpointTypeSecondary
		}
		endpoints = append(endpoints, signalr.Endpoint{Name: region, Type: typ, Client: c})
	}
	client, err := signalr.NewClientWithEndpoints(endpoints, opts)
	if err != nil {
		log.Fatal(err)
	}
	return client, func() {
		_ = client.Close() // stops the health checks
		for _, srv := range servers {
			srv.Close()
		}
	}
}

// With several endpoints, the client's Router chooses where each client connects; it sees the
// negotiate request.
func ExampleHandler_severalEndpoints() {
	client, stop := twoRegions(&signalr.ClientOptions{Router: regionRouter{}})
	defer stop()
	n, err := negotiate.New(client, nil)
	if err != nil {
		log.Fatal(err)
	}
	h, err := negotiate.Handler(n, "chat", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, region := range []string{"eu", ""} {
		req := httptest.NewRequest(http.MethodPost, "/api/negotiate", nil)
		req.Header.Set("X-Region", region)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		for _, e := range client.Endpoints() {
			if strings.Contains(rec.Body.String(), `"url":"`+e.Endpoint+"/client/?hub=chat") {
				fmt.Println(rec.Code, e.Name)
			}
		}
	}
	// Output:
	// 200 eu
	// 200 us
}

func ExampleNegotiator_NegotiateAll() {
	client, stop := twoRegions(nil)
	defer stop()
	n, err := negotiate.New(client, nil)
	if err != nil {
		log.Fatal(err)
	}
	neg, err := n.NegotiateAll(context.Background(), "chat", &negotiate.Options{UserID: "alice"})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range neg.Endpoints {
		fmt.Println(e.Name, e.EndpointType, e.Online, e.ConnectionInfo.URL == e.Endpoint+"/client/?hub=chat")
	}
	// Output:
	// us Primary true true
	// eu Secondary true true
}
