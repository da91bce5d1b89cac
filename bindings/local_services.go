package bindings

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// localService is one connection setting the functions name, and the services behind it.
type localService struct {
	// setting is the connection setting, such as AzureSignalRConnectionString.
	setting string
	// functions name the functions whose bindings read it.
	functions []string
	// remote are the endpoints that are not embedded emulators, checked at startup.
	remote []signalr.EndpointRef
	// client reaches remote, for the health check; nil when every endpoint is an emulator.
	client *signalr.Client
}

// healthTimeout bounds the startup health check of a service.
const healthTimeout = 10 * time.Second

// maxEmulators bounds the emulators one run starts, each being a server in this process.
const maxEmulators = 16

// isEmulatorValue reports whether a setting's value asks for an emulator.
func isEmulatorValue(v string) bool {
	v = strings.TrimSuffix(strings.TrimSpace(v), ";")
	k, val, ok := strings.Cut(v, "=")
	return ok && strings.EqualFold(strings.TrimSpace(k), "UseEmulator") && strings.EqualFold(strings.TrimSpace(val), "true")
}

// connectionSettings returns, in order of first use, every connection setting the SignalR
// bindings of m read, then those of extra (function and setting), with the functions reading
// each.
func connectionSettings(m *manifest.Manifest, extra [][2]string) ([]string, map[string][]string) {
	var order []string
	users := map[string][]string{}
	use := func(fn, name string) {
		if _, seen := users[name]; !seen {
			order = append(order, name)
		}
		if fns := users[name]; len(fns) == 0 || fns[len(fns)-1] != fn {
			users[name] = append(fns, fn)
		}
	}
	for _, fn := range m.Functions {
		for _, b := range fn.Bindings {
			switch {
			case b.Is(manifest.TypeSignalRConnectionInfo), b.Is(manifest.TypeSignalRNegotiation), b.Is(manifest.TypeSignalREndpoints),
				b.Is(manifest.TypeSignalR), b.Is(manifest.TypeSignalRTrigger):
			default:
				continue
			}
			use(fn.Name, b.Setting())
		}
	}
	for _, e := range extra {
		use(e[0], e[1])
	}
	return order, users
}

// configured reports whether a connection setting is set in one of the forms the host reads
// (signalr.NewClientFromEnvironment lists them).
func configured(setting string, settings map[string]string) bool {
	for _, name := range []string{"ConnectionStrings:" + setting, "CUSTOMCONNSTR_" + setting, setting,
		setting + ":serviceUri", setting + "__serviceUri"} {
		if strings.TrimSpace(settings[name]) != "" {
			return true
		}
	}
	return false
}

// resolveServices decides what stands behind every connection setting of m, starting the
// emulators asked for, and checks every setting now, so a bad one stops the start with its
// name rather than failing the first request. Emulators' connection strings are written into
// settings and publish.
func (s *localServer) resolveServices(m *manifest.Manifest, extra [][2]string, settings, publish map[string]string, emuLogger *slog.Logger) ([]localService, error) {
	order, users := connectionSettings(m, extra)
	if len(order) == 0 {
		return nil, nil
	}
	start := func(setting string) error {
		if len(s.emulators) >= maxEmulators {
			return fmt.Errorf("bindings: setting %s asks for an emulator, but %d already run; expected at most %d settings set to %s", setting, len(s.emulators), maxEmulators, EmulatorConnectionString)
		}
		emu := signalrtest.NewServer(&signalrtest.Options{Logger: emuLogger})
		s.emulators = append(s.emulators, &localEmulator{setting: setting, server: emu})
		settings[setting] = emu.ConnectionString()
		publish[setting] = emu.ConnectionString()
		return nil
	}
	hasEndpoints := false
	for _, k := range sortedKeys(settings) {
		if !service.IsEndpointSetting(k) {
			continue
		}
		if isEmulatorValue(settings[k]) {
			if err := start(k); err != nil {
				return nil, err
			}
		}
		hasEndpoints = hasEndpoints || strings.TrimSpace(settings[k]) != ""
	}
	services := make([]localService, 0, len(order))
	for _, setting := range order {
		svc := localService{setting: setting, functions: users[setting]}
		if isEmulatorValue(settings[setting]) || (!configured(setting, settings) && !hasEndpoints) {
			if err := start(setting); err != nil {
				return nil, err
			}
		}
		// Only the startup health check uses this client: one try says enough.
		c, err := service.NewClientFromSettings(setting, settings, &signalr.ClientOptions{
			ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}},
		})
		if err != nil {
			// The inner error names the setting too, unless it is about a named endpoint.
			why := strings.TrimPrefix(err.Error(), "signalr: setting "+setting+": ")
			return nil, fmt.Errorf("bindings: setting %s, the SignalR Service of %s, is not valid: %s\nLeave it unset, or set it to %s, to use the local emulator",
				setting, functionList(svc.functions), why, EmulatorConnectionString)
		}
		client := c.(*signalr.Client)
		for _, e := range client.Endpoints() {
			if !s.isEmulator(e.Endpoint) {
				svc.remote = append(svc.remote, e)
			}
		}
		if len(svc.remote) > 0 {
			svc.client = client
		} else {
			_ = client.Close()
		}
		services = append(services, svc)
	}
	return services, nil
}

// isEmulator reports whether a service endpoint is one of the embedded emulators.
func (s *localServer) isEmulator(endpoint string) bool {
	endpoint = strings.TrimSuffix(endpoint, "/")
	for _, e := range s.emulators {
		if strings.EqualFold(endpoint, strings.TrimSuffix(e.server.URL, "/")) {
			return true
		}
	}
	return false
}

// checkService asks each remote endpoint of svc whether it is healthy and warns about those
// that do not answer: the start goes on, as the service may come up later, but the first
// failing request then has an explanation.
func checkService(ctx context.Context, svc localService, emulator func(string) bool, out io.Writer) {
	defer svc.client.Close()
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	resp, err := svc.client.Health(ctx, nil)
	if ctx.Err() == context.Canceled {
		return // stopped before the answer
	}
	reported := false
	for _, e := range resp.Endpoints {
		if e.Err == nil || emulator(e.Endpoint.Endpoint) {
			continue
		}
		reported = true
		fmt.Fprintf(out, "Warning: the SignalR Service at %s (%s) did not pass its health check: %v; functions using it fail until it does.\n",
			e.Endpoint.Endpoint, endpointSettingName(svc.setting, e.Endpoint.Name), e.Err)
	}
	if err != nil && !reported {
		fmt.Fprintf(out, "Warning: the SignalR Service of setting %s did not pass its health check: %v; functions using it fail until it does.\n", svc.setting, err)
	}
}

// endpointSettingName is the setting behind an endpoint: the connection setting for the
// unnamed one, Azure__SignalR__Endpoints__<name> for the others.
func endpointSettingName(setting, endpoint string) string {
	if endpoint == "" {
		return setting
	}
	return "Azure__SignalR__Endpoints__" + endpoint
}

// functionList names up to three functions, then counts the rest.
func functionList(fns []string) string {
	if len(fns) <= 3 {
		return strings.Join(fns, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(fns[:3], ", "), len(fns)-3)
}
