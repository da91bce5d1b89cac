package bindings

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/admin"
	"github.com/funcsignalr/funcsignalr/bindings/internal/corelog"
	"github.com/funcsignalr/funcsignalr/bindings/internal/fakehost"
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/bindings/internal/timer"
)

// typeTimerTrigger is the binding type of a timer trigger.
const typeTimerTrigger = timer.TriggerType

// timerFunctions reads every timer trigger of m, resolving %AppSetting% references in
// schedules with lookup; a schedule the host would refuse stops the start.
func timerFunctions(m *manifest.Manifest, lookup func(string) (string, bool)) ([]timer.Function, error) {
	var out []timer.Function
	for _, fn := range m.Functions {
		b, ok := fn.Trigger()
		if !ok || !b.Is(typeTimerTrigger) {
			continue
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("bindings: function %q: %w", fn.Name, err)
		}
		var props map[string]any
		if err := json.Unmarshal(raw, &props); err != nil {
			return nil, fmt.Errorf("bindings: function %q: %w", fn.Name, err)
		}
		tf, err := timer.FromBinding(fn.Name, props, lookup)
		if err != nil {
			return nil, fmt.Errorf("bindings: %w", err)
		}
		out = append(out, tf)
	}
	return out, nil
}

// adminLookup lists m's functions for the admin endpoint.
func adminLookup(m *manifest.Manifest) admin.Lookup {
	fns := make([]admin.Function, 0, len(m.Functions))
	for _, fn := range m.Functions {
		b, _ := fn.Trigger()
		fns = append(fns, admin.Function{Name: fn.Name, HTTPTriggered: b.Is(manifest.TypeHTTPTrigger)})
	}
	return admin.Functions(fns...)
}

// notRunError is a run the admin endpoint accepted but could not start; unlike a run's own
// failure, it is not in the log yet.
type notRunError struct{ err error }

func (e *notRunError) Error() string { return e.err.Error() }
func (e *notRunError) Unwrap() error { return e.err }

// runByAdmin runs a function for the admin endpoint, with input as its trigger value: a timer
// function gets the TimerInfo the host binds for a run outside the schedule (the input is
// ignored, as by the host), any other trigger the input as a string.
func (s *localServer) runByAdmin(timerInfo func(string) (timer.TimerInfo, bool)) admin.Invoke {
	return func(ctx context.Context, name, input string) error {
		fn, ok := s.host.Function(name)
		if !ok {
			return &notRunError{fmt.Errorf("no function is named %q", name)}
		}
		trig, _ := fn.Trigger()
		value := fakehost.StringTrigger(input)
		switch {
		case trig.Is(typeTimerTrigger) && timerInfo != nil:
			info, ok := timerInfo(fn.Name)
			if ok {
				value, _ = info.MarshalJSON()
			}
		case trig.Is(manifest.TypeSignalRTrigger):
			return &notRunError{fmt.Errorf("function %q is triggered by SignalR clients through the service's upstream: connect a client and call hub method %q (the admin endpoint cannot make a SignalR invocation context)", fn.Name, trig.Event)}
		}
		return s.host.Run(ctx, fn.Name, value, corelog.ReasonHostCall)
	}
}

// adminFailed logs a run the admin endpoint accepted and could not start, as the host logs a
// run that fails at once; runs that started are in the log already.
func (s *localServer) adminFailed(name string, err error) {
	var http *admin.HTTPFunctionError
	var notRun *notRunError
	if errors.As(err, &http) || errors.As(err, &notRun) {
		s.log.Start(name, corelog.ReasonHostCall, newInvocationID()).End(err)
	}
}

// newInvocationID makes an id for a run that never reached the host.
func newInvocationID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", time.Now().UnixNano()&0xffffffffffff)
}

// rootFallback serves what is outside the route prefix: / leads to the page when the App has
// one, and /favicon.ico answers 204 so browsers stop asking.
func rootFallback(page string) http.Handler {
	mux := http.NewServeMux()
	if page != "" {
		mux.Handle("GET /{$}", http.RedirectHandler(page, http.StatusFound))
	}
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// openURL is the URL to open: the host name asked for (a browser cannot open 0.0.0.0) with the
// port actually bound.
func openURL(asked, bound string) string {
	host, _, err := net.SplitHostPort(asked)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	port := ""
	if u, err := url.Parse(bound); err == nil {
		port = u.Port()
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// printStartup says what runs where, as func start lists the functions.
func (s *localServer) printStartup(out io.Writer, m *manifest.Manifest, timers []timer.Function, services []localService, webhook, page string) {
	base := strings.TrimSuffix(s.url, "/")
	var b strings.Builder
	b.WriteString("\nFunctions:\n\n")
	schedules := map[string]timer.Function{}
	for _, t := range timers {
		schedules[t.Name] = t
	}
	hasTrigger, hasHTTP, adminOnly := false, false, 0
	for _, fn := range m.Functions {
		trig, _ := fn.Trigger()
		fmt.Fprintf(&b, "\t%s: ", fn.Name)
		switch {
		case trig.Is(manifest.TypeHTTPTrigger):
			hasHTTP = true
			if len(trig.Methods) > 0 {
				fmt.Fprintf(&b, "[%s] ", strings.ToUpper(strings.Join(trig.Methods, ",")))
			}
			route := fn.RouteTemplate()
			if m.Host.RoutePrefix != "" {
				route = m.Host.RoutePrefix + "/" + route
			}
			b.WriteString(base + "/" + route)
		case trig.Is(typeTimerTrigger):
			t := schedules[fn.Name]
			fmt.Fprintf(&b, "timerTrigger, %s", t.Schedule)
			if next := t.Schedule.Next(time.Now()); !next.IsZero() {
				fmt.Fprintf(&b, ", next at %s", next.Format(time.DateTime))
			}
			if t.RunOnStartup {
				b.WriteString(", and once now (runOnStartup)")
			}
		case trig.Is(manifest.TypeSignalRTrigger):
			hasTrigger = true
			fmt.Fprintf(&b, "signalRTrigger, hub %s, %s %s", trig.HubName, trig.Category, trig.Event)
		default:
			adminOnly++
			fmt.Fprintf(&b, "%s, runnable through /admin/functions only", trig.Type)
		}
		b.WriteString("\n\n")
	}
	if adminOnly > 0 || len(timers) > 0 {
		fmt.Fprintf(&b, "Run a function that is not HTTP-triggered: POST %s%s<name> with {\"input\":\"…\"}\n\n", base, admin.Prefix)
	}
	for _, e := range s.emulators {
		fmt.Fprintf(&b, "SignalR Service for %s: emulator at %s, live trace at %s/trace/\n", e.setting, e.server.URL, e.server.URL)
	}
	remote := false
	for _, svc := range services {
		for _, e := range svc.remote {
			remote = true
			fmt.Fprintf(&b, "SignalR Service for %s: %s\n", endpointSettingName(svc.setting, e.Name), e.Endpoint)
		}
	}
	if hasTrigger {
		fmt.Fprintf(&b, "SignalR upstream: %s\n", webhook)
		if remote {
			b.WriteString("The service reaches the SignalR triggers only through an upstream URL it can call; this one is local, so expose it with a tunnel and set it in the service's upstream settings.\n")
		}
	}
	if page != "" {
		fmt.Fprintf(&b, "Page: %s%s\n", base, page)
	}
	if hasHTTP {
		b.WriteString("Sign-in: ?user=<name> (or an X-User header) signs a user in, unverified, as App Service authentication would\n")
	}
	fmt.Fprintf(&b, "Listening on %s (Ctrl+C to stop)\n", s.url)
	_, _ = io.WriteString(out, b.String())
}

// traceEvent is what the -v lines show of an event of the emulator's live trace.
type traceEvent struct {
	Kind         string  `json:"kind"`
	Hub          string  `json:"hub"`
	ConnectionID string  `json:"connectionId"`
	UserID       string  `json:"userId"`
	Transport    string  `json:"transport"`
	Protocol     string  `json:"protocol"`
	Reason       string  `json:"reason"`
	Method       string  `json:"method"`
	Path         string  `json:"path"`
	Status       int     `json:"status"`
	DurationMs   float64 `json:"durationMs"`
	Category     string  `json:"category"`
	Event        string  `json:"event"`
	Error        string  `json:"error"`
}

// traceKinds are the events -v shows.
const traceKinds = "connected,disconnected,rest,upstream"

// followTrace logs an emulator's connections, REST calls and upstream calls until ctx is done,
// reading its live trace as the /trace/ page does; it reconnects after the emulator drops a
// slow reader, going on from the last event seen.
func followTrace(ctx context.Context, emulatorURL string, log *corelog.Logger) {
	client := &http.Client{}
	lastID := ""
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, emulatorURL+"/trace/events?kind="+traceKinds, nil)
		if err != nil {
			return
		}
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		if resp, err := client.Do(req); err == nil {
			if resp.StatusCode == http.StatusOK {
				lastID = readTrace(resp.Body, lastID, log)
			}
			_ = resp.Body.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// readTrace logs the events of one Server-Sent Events stream and returns the last event id.
func readTrace(r io.Reader, lastID string, log *corelog.Logger) string {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 256<<10)
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			lastID = id
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev traceEvent
		if json.Unmarshal([]byte(data), &ev) != nil {
			continue
		}
		if msg := ev.line(); msg != "" {
			log.Print(msg)
		}
	}
	return lastID
}

// line renders an event as one log line, "" for kinds -v does not show.
func (ev traceEvent) line() string {
	user := ""
	if ev.UserID != "" {
		user = ", user " + ev.UserID
	}
	switch ev.Kind {
	case "connected":
		return fmt.Sprintf("SignalR: client %s connected to hub %s (%s, %s%s)", ev.ConnectionID, ev.Hub, ev.Transport, ev.Protocol, user)
	case "disconnected":
		why := ""
		if ev.Reason != "" {
			why = ": " + ev.Reason
		}
		return fmt.Sprintf("SignalR: client %s disconnected from hub %s%s%s", ev.ConnectionID, ev.Hub, user, why)
	case "rest":
		return fmt.Sprintf("SignalR REST: %s %s %d (%s)", ev.Method, ev.Path, ev.Status, duration(ev.DurationMs))
	case "upstream":
		status := strconv.Itoa(ev.Status)
		if ev.Error != "" {
			status = ev.Error
		}
		return fmt.Sprintf("SignalR upstream: hub %s, %s %s: %s (%s)", ev.Hub, ev.Category, ev.Event, status, duration(ev.DurationMs))
	}
	return ""
}

func duration(ms float64) string {
	return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
}
