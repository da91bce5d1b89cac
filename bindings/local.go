package bindings

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/admin"
	"github.com/funcsignalr/funcsignalr/bindings/internal/apphooks"
	"github.com/funcsignalr/funcsignalr/bindings/internal/corelog"
	"github.com/funcsignalr/funcsignalr/bindings/internal/fakehost"
	"github.com/funcsignalr/funcsignalr/bindings/internal/localsettings"
	"github.com/funcsignalr/funcsignalr/bindings/internal/timer"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// EmulatorConnectionString is the value of a SignalR connection setting that asks the local
// runner (the start command of App.Main) for an embedded SignalR Service emulator, like
// UseDevelopmentStorage=true for Azurite. An unset connection setting means the same when no
// Azure__SignalR__Endpoints__<name> setting exists; with such settings, each one holding this
// value gets an emulator of its own:
//
//	"Azure__SignalR__Endpoints__east": "UseEmulator=true",
//	"Azure__SignalR__Endpoints__west": "UseEmulator=true"
//
// runs two emulators as two service endpoints. Azure refuses the value, as it is no connection
// string, so it cannot reach production unnoticed.
const EmulatorConnectionString = "UseEmulator=true"

// localPortDefault is the port the local runner listens on when neither -addr nor
// local.settings.json's Host.LocalHttpPort says otherwise: the port of func start, so URLs in
// tutorials work unchanged.
const localPortDefault = 7071

// environmentSetting names the Functions environment, which func start sets to Development
// and Azure to Production.
const environmentSetting = "AZURE_FUNCTIONS_ENVIRONMENT"

// localState is what the local runner needs to know of an App beyond its declarations.
type localState struct {
	// page is the URL path of the first Page, where / leads.
	page string
	// settings are the connection settings functions read in the App itself rather than
	// through a binding (NegotiateOptions.Mint): function name and setting.
	settings [][2]string
}

// usesSetting notes that function reads a connection setting without a binding, so the runner
// checks it and starts an emulator for it as for a binding's.
func (a *App) usesSetting(function, setting string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.local.settings = append(a.local.settings, [2]string{function, setting})
}

// localEnv is what a local run reads and writes outside the App: the process's by default,
// substitutes in tests.
type localEnv struct {
	stdout, stderr io.Writer
	// dir is the working directory, where local.settings.json is read.
	dir string
	// environ is the environment in os.Environ's form.
	environ []string
	// setenv publishes a setting to the process environment.
	setenv func(key, value string) error
}

func processEnv() localEnv {
	dir, err := os.Getwd()
	if err != nil {
		dir = "."
	}
	return localEnv{stdout: os.Stdout, stderr: os.Stderr, dir: dir, environ: os.Environ(), setenv: os.Setenv}
}

// localConfig is the start command's flags.
type localConfig struct {
	addr    string // "" means localhost and Host.LocalHttpPort, else localPortDefault
	verbose bool
}

// startUsage is the start command's synopsis.
const startUsage = "usage: start [-addr host:port] [-v]"

// parseStartFlags reads the flags of the start command. -h prints the usage on stdout and
// returns flag.ErrHelp; a mistake returns a *usageError saying what was expected.
func parseStartFlags(args []string, stdout io.Writer) (localConfig, error) {
	var cfg localConfig
	fs := flag.NewFlagSet("start", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.addr, "addr", "", "`host:port` to serve the functions on (default localhost and Host.LocalHttpPort of local.settings.json, else "+strconv.Itoa(localPortDefault)+"; port 0 picks a free one)")
	fs.BoolVar(&cfg.verbose, "v", false, "also log SignalR client connections, REST calls and upstream calls")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, startUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return cfg, err
		}
		return cfg, &usageError{"start: " + err.Error() + "; " + startUsage}
	}
	if fs.NArg() > 0 {
		return cfg, &usageError{fmt.Sprintf("start: unexpected argument %q; %s", fs.Arg(0), startUsage)}
	}
	return cfg, nil
}

// runLocal runs the App locally until ctx is done.
func (a *App) runLocal(ctx context.Context, cfg localConfig, env localEnv) error {
	s, err := a.startLocal(cfg, env)
	if err != nil {
		return err
	}
	<-ctx.Done()
	fmt.Fprintln(env.stdout, "Stopping.")
	s.Close()
	return nil
}

// localServer is a running local environment: the fake Functions host in front of the App,
// the emulators behind it, the timers and the admin endpoint.
type localServer struct {
	// url is the host's address to open, such as http://localhost:7071/.
	url       string
	host      *fakehost.Host
	emulators []*localEmulator
	log       *corelog.Logger
	admin     *admin.Handler
	// timerInfo gives the TimerInfo of a timer function run outside its schedule.
	timerInfo func(name string) (timer.TimerInfo, bool)
	// runCtx is the context of invocations the runner starts itself (timers, the admin
	// endpoint); cancel ends it and every background task.
	runCtx     context.Context
	cancel     context.CancelFunc
	stopTimers context.CancelFunc
	timers     sync.WaitGroup // the scheduler
	wg         sync.WaitGroup // background tasks: trace readers, health checks
	closeOnce  sync.Once
}

// localEmulator is one embedded emulator and the setting it stands behind.
type localEmulator struct {
	setting string
	server  *signalrtest.Server
}

// drainTimeout bounds how long Close lets runs in progress finish before cancelling them.
const drainTimeout = 5 * time.Second

// Close stops the timers, lets the runs in progress finish (up to drainTimeout), then stops the
// host (letting requests in flight finish) and the emulators.
func (s *localServer) Close() {
	s.closeOnce.Do(func() {
		if s.stopTimers != nil {
			s.stopTimers()
		}
		drained := make(chan struct{})
		go func() {
			s.timers.Wait()
			if s.admin != nil {
				s.admin.Wait()
			}
			close(drained)
		}()
		select {
		case <-drained:
		case <-time.After(drainTimeout):
		}
		s.cancel()
		if s.host != nil {
			s.host.Close()
		}
		<-drained
		s.wg.Wait()
		for _, e := range s.emulators {
			e.server.Close()
		}
	})
}

// startLocal starts everything a local run needs and prints what it started.
func (a *App) startLocal(cfg localConfig, env localEnv) (_ *localServer, err error) {
	m := a.manifest()
	file := &localsettings.File{}
	if env.dir != "" { // "" only from bindingstest.StartLocal without a Dir
		if file, err = localsettings.Load(env.dir); err != nil {
			return nil, fmt.Errorf("bindings: %w", err)
		}
	}
	for _, w := range file.Warnings {
		fmt.Fprintln(env.stdout, "Warning:", w)
	}
	merged := localsettings.Merge(file.Settings(), env.environ)
	for _, w := range merged.Warnings() {
		fmt.Fprintln(env.stdout, "Warning:", w)
	}
	settings := merged.Settings
	// The settings the process environment lacks: the file's, and the emulators' below.
	publish := map[string]string{}
	for _, k := range merged.FromFile {
		publish[k] = settings[k]
	}
	if settings[environmentSetting] == "" {
		settings[environmentSetting] = "Development"
		publish[environmentSetting] = "Development"
	}

	ctx, cancel := context.WithCancel(context.Background())
	s := &localServer{runCtx: ctx, cancel: cancel}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	level := slog.LevelWarn
	if cfg.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	// The emulators' own debug lines would repeat what the -v trace lines say.
	emuLogger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a.mu.RLock()
	extra := slices.Clone(a.local.settings)
	a.mu.RUnlock()
	services, err := s.resolveServices(m, extra, settings, publish, emuLogger)
	if err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(publish) {
		if err := env.setenv(k, publish[k]); err != nil {
			fmt.Fprintf(env.stdout, "Warning: setting %s could not be put in the environment (%v); read it from the settings file instead.\n", k, err)
		}
	}

	timers, err := timerFunctions(m, localsettings.Lookup(settings))
	if err != nil {
		return nil, err
	}
	var sched *timer.Scheduler
	if len(timers) > 0 {
		if sched, err = timer.NewScheduler(timers, s.fireTimer, nil); err != nil {
			return nil, fmt.Errorf("bindings: %w", err)
		}
		s.timerInfo = sched.TimerInfo
	}

	addr := cfg.addr
	if addr == "" {
		port := file.Host.LocalHTTPPort
		if port == 0 {
			port = localPortDefault
		}
		addr = net.JoinHostPort("localhost", strconv.Itoa(port))
	}
	s.log = corelog.New(env.stdout, nil)
	// The admin endpoint needs the host, which needs the endpoint: it is bound once both exist.
	var adminHandler http.Handler = http.NotFoundHandler()
	var adminReady sync.WaitGroup
	adminReady.Add(1)
	hooks := fakehost.Hooks{
		Log:            s.log,
		DiscardRecords: true,
		Front:          signIn,
		Admin: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			adminReady.Wait()
			adminHandler.ServeHTTP(w, r)
		}),
	}
	page := a.pagePath()
	host, err := fakehost.NewWithHooks(a, &fakehost.Options{
		Addr:            addr,
		Settings:        settings,
		CORS:            file.Host.CORS,
		CORSCredentials: file.Host.CORSCredentials,
		Fallback:        rootFallback(page),
		Logger:          logger,
	}, hooks)
	if err != nil {
		adminReady.Done()
		return nil, fmt.Errorf("bindings: starting the local Functions host on %s: %w (choose another address with -addr host:port)", addr, err)
	}
	s.host = host
	s.admin = admin.NewHandler(adminLookup(m), s.runByAdmin(s.timerInfo), &admin.Options{
		BaseContext: ctx,
		OnError:     s.adminFailed,
	})
	adminHandler = s.admin
	adminReady.Done()
	s.url = openURL(addr, host.URL)
	webhook := strings.TrimSuffix(s.url, "/") + fakehost.WebhookPath
	for _, e := range s.emulators {
		// The emulator calls the host's webhook, the upstream a deployed app sets in the portal.
		e.server.SetUpstream([]signalrtest.UpstreamTemplate{{UrlTemplate: host.URL + fakehost.WebhookPath, HubPattern: "*", CategoryPattern: "*", EventPattern: "*"}})
	}

	if sched != nil {
		// The scheduler stops first on Close; the runs it started go on in runCtx.
		timersCtx, stop := context.WithCancel(ctx)
		s.stopTimers = stop
		s.timers.Add(1)
		go func() {
			defer s.timers.Done()
			_ = sched.Run(timersCtx)
		}()
	}
	if cfg.verbose && len(s.emulators) == 0 && len(services) > 0 {
		fmt.Fprintln(env.stdout, "Note: -v shows the SignalR traffic of emulators only; a real service keeps its own logs.")
	}
	if cfg.verbose {
		for _, e := range s.emulators {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				followTrace(ctx, e.server.URL, s.log)
			}()
		}
	}
	for _, svc := range services {
		if svc.client == nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			checkService(ctx, svc, s.isEmulator, env.stdout)
		}()
	}

	s.printStartup(env.stdout, m, timers, services, webhook, page)
	return s, nil
}

// fireTimer runs a timer function when its schedule says so, as the host's TimerListener does.
func (s *localServer) fireTimer(_ context.Context, f timer.Firing) {
	info, _ := f.Info.MarshalJSON()
	var details []corelog.Detail
	if f.UnscheduledReason != "" {
		details = append(details, corelog.Detail{Name: "UnscheduledInvocationReason", Value: f.UnscheduledReason})
	}
	// The scheduler's ctx ends first on Close; the run goes on in runCtx. Its failure is in the
	// log already (Executed … Failed).
	_ = s.host.Run(s.runCtx, f.Function, info, corelog.TimerReason(f.Time), details...)
}

func init() {
	// bindingstest.StartLocal runs an App as the start command does, in a test's process.
	apphooks.StartLocal = func(h http.Handler, cfg apphooks.LocalConfig) (*apphooks.LocalServer, error) {
		a, ok := h.(*App)
		if !ok || a == nil {
			return nil, errors.New("bindingstest: StartLocal needs a *bindings.App")
		}
		out := cfg.Output
		if out == nil {
			out = io.Discard
		}
		env := localEnv{stdout: out, stderr: out, dir: cfg.Dir, setenv: func(string, string) error { return nil }}
		for _, k := range sortedKeys(cfg.Settings) {
			env.environ = append(env.environ, k+"="+cfg.Settings[k])
		}
		addr := cfg.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		s, err := a.startLocal(localConfig{addr: addr, verbose: cfg.Verbose}, env)
		if err != nil {
			return nil, err
		}
		ls := &apphooks.LocalServer{URL: s.url, Close: s.Close}
		for _, e := range s.emulators {
			ls.Emulators = append(ls.Emulators, e.server)
		}
		return ls, nil
	}
}
