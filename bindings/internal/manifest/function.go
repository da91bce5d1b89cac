package manifest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings/internal/route"
	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// Function is one function's declaration: its name (the function.json folder) and bindings.
type Function struct {
	Name     string
	Bindings []Binding
}

var (
	functionNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,127}$`)
	bindingNamePattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Trigger returns the function's trigger binding.
func (f Function) Trigger() (Binding, bool) {
	for _, b := range f.Bindings {
		if b.IsTrigger() {
			return b, true
		}
	}
	return Binding{}, false
}

// Find returns the first binding of type t and direction dir ("" for any direction).
func (f Function) Find(t string, dir Direction) (Binding, bool) {
	for _, b := range f.Bindings {
		if b.Is(t) && (dir == "" || b.Direction == dir) {
			return b, true
		}
	}
	return Binding{}, false
}

// FindName returns the binding named name, compared exactly, as the host reads outputs.
func (f Function) FindName(name string) (Binding, bool) {
	for _, b := range f.Bindings {
		if b.Name == name {
			return b, true
		}
	}
	return Binding{}, false
}

// RouteTemplate is the HTTP trigger's route, or the function name when it has none.
func (f Function) RouteTemplate() string {
	if t, ok := f.Find(TypeHTTPTrigger, DirectionIn); ok && t.Route != "" {
		return t.Route
	}
	return f.Name
}

// IsHTTPInAndOut reports whether the function has exactly one input, an HTTP trigger, and
// exactly one output, an http binding: the only functions the host forwards or proxies raw
// HTTP requests to.
func (f Function) IsHTTPInAndOut() bool {
	var in, out int
	var httpIn, httpOut bool
	for _, b := range f.Bindings {
		switch b.Direction {
		case DirectionIn:
			in++
			httpIn = b.Is(TypeHTTPTrigger)
		case DirectionOut:
			out++
			httpOut = b.Is(TypeHTTP)
		default:
			return false
		}
	}
	return in == 1 && out == 1 && httpIn && httpOut
}

// Validate reports what the Functions host or the SignalR extension would reject in f, or what
// would silently misbehave.
func (f Function) Validate() error {
	if !functionNamePattern.MatchString(f.Name) {
		return fmt.Errorf("bindings: function name %q is invalid; expected a letter then up to 127 letters, digits, _ or -", f.Name)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("bindings: function %q: "+format, append([]any{f.Name}, args...)...)
	}
	var triggers []Binding
	names := map[string]bool{}
	for i, b := range f.Bindings {
		if b.Type == "" {
			return fail("binding %d has no type", i)
		}
		switch b.Direction {
		case DirectionIn, DirectionOut, DirectionInOut:
		default:
			return fail("binding %q has direction %q; expected in, out or inout", b.Name, b.Direction)
		}
		if b.Name == ReturnBindingName {
			if b.Direction != DirectionOut {
				return fail("binding %q must be an output", b.Name)
			}
		} else if !bindingNamePattern.MatchString(b.Name) {
			return fail("binding name %q is invalid; expected a letter or _ then letters, digits or _ (or $return)", b.Name)
		}
		key := strings.ToLower(b.Name)
		if names[key] {
			return fail("two bindings are named %q", b.Name)
		}
		names[key] = true
		if b.IsTrigger() {
			if b.Direction != DirectionIn {
				return fail("trigger %q must have direction in", b.Name)
			}
			triggers = append(triggers, b)
		}
		if err := validateBinding(b); err != nil {
			return fail("%v", err)
		}
	}
	if len(triggers) != 1 {
		return fail("has %d triggers; expected exactly one", len(triggers))
	}
	trig := triggers[0]
	for _, b := range f.Bindings {
		switch {
		case b.Is(TypeHTTP) && !trig.Is(TypeHTTPTrigger):
			return fail("http output %q needs an httpTrigger, but the trigger is %s", b.Name, trig.Type)
		case (b.Is(TypeSignalRConnectionInfo) || b.Is(TypeSignalRNegotiation)) && !trig.Is(TypeHTTPTrigger) && usesRequestExpression(b):
			return fail("%s %q reads the request ({headers.…}/{query.…}) but the trigger is %s", b.Type, b.Name, trig.Type)
		case trig.Is(TypeSignalRTrigger) && b.Name == ReturnBindingName:
			return fail("a signalRTrigger function must not declare a $return binding: the return value would go there instead of to the invoke() caller")
		}
	}
	return nil
}

func usesRequestExpression(b Binding) bool {
	for _, s := range []string{b.UserID, b.IDToken} {
		ls := strings.ToLower(s)
		if strings.Contains(ls, "{headers.") || strings.Contains(ls, "{query.") {
			return true
		}
	}
	return false
}

var httpMethods = []string{"get", "post", "put", "delete", "patch", "head", "options", "trace"}

func validateBinding(b Binding) error {
	switch {
	case b.Is(TypeHTTPTrigger):
		switch b.AuthLevel {
		case "", AuthLevelAnonymous, AuthLevelFunction, AuthLevelAdmin:
		default:
			return fmt.Errorf("httpTrigger %q has authLevel %q; expected anonymous, function or admin", b.Name, b.AuthLevel)
		}
		for _, m := range b.Methods {
			if !containsFold(httpMethods, m) {
				return fmt.Errorf("httpTrigger %q has method %q; expected one of %s", b.Name, m, strings.Join(httpMethods, ", "))
			}
		}
		if _, err := route.Parse(b.Route); err != nil {
			return fmt.Errorf("httpTrigger %q: %v", b.Name, err)
		}
	case b.Is(TypeHTTP):
		if b.Direction != DirectionOut {
			return fmt.Errorf("http binding %q must be an output", b.Name)
		}
	case b.Is(TypeSignalRConnectionInfo), b.Is(TypeSignalRNegotiation), b.Is(TypeSignalREndpoints), b.Is(TypeSignalR), b.Is(TypeSignalRTrigger):
		if b.HubName == "" {
			return fmt.Errorf("%s %q has no hubName", b.Type, b.Name)
		}
		if !strings.ContainsAny(b.HubName, "{%") {
			if err := service.ValidateHubName(b.HubName); err != nil {
				return fmt.Errorf("%s %q: %v", b.Type, b.Name, err)
			}
		}
		if b.Is(TypeSignalR) && b.Direction != DirectionOut {
			return fmt.Errorf("signalR binding %q must be an output", b.Name)
		}
		if (b.Is(TypeSignalRConnectionInfo) || b.Is(TypeSignalRNegotiation) || b.Is(TypeSignalREndpoints)) && b.Direction != DirectionIn {
			return fmt.Errorf("%s binding %q must be an input", b.Type, b.Name)
		}
		if b.Is(TypeSignalREndpoints) && (b.UserID != "" || b.IDToken != "" || len(b.ClaimTypeList) > 0) {
			// The extension mints no token for this input, so these would be silently ignored.
			return fmt.Errorf("signalREndpoints binding %q has userId, idToken or claimTypeList, which only token-minting inputs (signalRConnectionInfo, signalRNegotiation) use", b.Name)
		}
		if b.Is(TypeSignalRTrigger) {
			return validateSignalRTrigger(b)
		}
	}
	return nil
}

func validateSignalRTrigger(b Binding) error {
	switch strings.ToLower(b.Category) {
	case trigger.CategoryConnections:
		if !strings.EqualFold(b.Event, trigger.EventConnected) && !strings.EqualFold(b.Event, trigger.EventDisconnected) {
			return fmt.Errorf("signalRTrigger %q: category connections has event %q; expected connected or disconnected", b.Name, b.Event)
		}
		if len(b.ParameterNames) > 0 {
			return fmt.Errorf("signalRTrigger %q: parameterNames only apply to the messages category", b.Name)
		}
	case trigger.CategoryMessages:
		if b.Event == "" {
			return fmt.Errorf("signalRTrigger %q has no event; expected the hub method name clients invoke", b.Name)
		}
	default:
		return fmt.Errorf("signalRTrigger %q has category %q; expected messages or connections", b.Name, b.Category)
	}
	seen := map[string]bool{}
	for _, p := range b.ParameterNames {
		if p == "" {
			return fmt.Errorf("signalRTrigger %q has an empty parameter name", b.Name)
		}
		if seen[strings.ToLower(p)] {
			return fmt.Errorf("signalRTrigger %q names parameter %q twice (names are compared ignoring case)", b.Name, p)
		}
		seen[strings.ToLower(p)] = true
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// ValidateApp checks what only the whole set of functions shows: duplicate names, HTTP routes
// that collide, and SignalR triggers competing for one event.
func ValidateApp(fns []Function) error {
	names := map[string]string{}
	triggers := map[string]string{}
	type routed struct {
		fn      string
		route   string
		methods []string
	}
	var routes []routed
	for _, f := range fns {
		if err := f.Validate(); err != nil {
			return err
		}
		key := strings.ToLower(f.Name)
		if other, dup := names[key]; dup {
			return fmt.Errorf("bindings: functions %q and %q have the same name (names are compared ignoring case)", other, f.Name)
		}
		names[key] = f.Name
		trig, _ := f.Trigger()
		switch {
		case trig.Is(TypeSignalRTrigger):
			k := strings.ToLower(trig.HubName + "/" + trig.Category + "/" + trig.Event)
			if other, dup := triggers[k]; dup {
				return fmt.Errorf("bindings: functions %q and %q both trigger on hub %q %s/%s", other, f.Name, trig.HubName, trig.Category, trig.Event)
			}
			triggers[k] = f.Name
		case trig.Is(TypeHTTPTrigger):
			r := routed{fn: f.Name, route: strings.ToLower(strings.Trim(f.RouteTemplate(), "/")), methods: trig.Methods}
			for _, o := range routes {
				if o.route == r.route && methodsOverlap(o.methods, r.methods) {
					return fmt.Errorf("bindings: functions %q and %q both serve route %q with the same method", o.fn, f.Name, f.RouteTemplate())
				}
			}
			routes = append(routes, r)
		}
	}
	return nil
}

func methodsOverlap(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, m := range a {
		if containsFold(b, m) {
			return true
		}
	}
	return false
}

// MatchRoute matches an HTTP request against the function's HTTP trigger: method, and path
// relative to the route prefix (unescaped, no leading slash). It returns the route values.
func (f Function) MatchRoute(method, path string) (map[string]string, bool) {
	trig, ok := f.Find(TypeHTTPTrigger, DirectionIn)
	if !ok {
		return nil, false
	}
	if len(trig.Methods) > 0 && !containsFold(trig.Methods, method) {
		return nil, false
	}
	t, err := route.Parse(f.RouteTemplate())
	if err != nil {
		return nil, false
	}
	return t.Match(path)
}
