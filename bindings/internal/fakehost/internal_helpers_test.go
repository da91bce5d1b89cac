package fakehost

import "github.com/funcsignalr/funcsignalr/bindings/internal/manifest"

func httpFunction() manifest.Function {
	return manifest.Function{Name: "f", Bindings: []manifest.Binding{
		{Type: manifest.TypeHTTPTrigger, Direction: manifest.DirectionIn, Name: "req", AuthLevel: manifest.AuthLevelFunction},
		{Type: manifest.TypeHTTP, Direction: manifest.DirectionOut, Name: "res"},
	}}
}
