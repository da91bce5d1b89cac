package bindingstest

import "github.com/funcsignalr/funcsignalr/bindings"

func httpFunction() bindings.Function {
	return bindings.Function{Name: "f", Bindings: []bindings.Binding{bindings.HTTPTrigger("req", nil), bindings.HTTPOutput("res")}}
}
