package timer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Clock is the scheduler's source of time; tests substitute a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// WaitUntil blocks until the clock reads t or later, or until ctx is done, in which case
	// it returns ctx's error. It returns at once when t has passed.
	WaitUntil(ctx context.Context, t time.Time) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// WaitUntil sleeps until t or until ctx is done.
func (SystemClock) WaitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Firing is one scheduled run of a timer function.
type Firing struct {
	// Function is the function's name.
	Function string
	// Info is the trigger value for Data[<trigger name>].
	Info TimerInfo
	// Time is when the timer fired, in the scheduler's location: the host logs it as the
	// reason, "Timer fired at <Time>".
	Time time.Time
	// UnscheduledReason is "RunOnStartup" for the run at startup, empty for a scheduled run.
	// The host logs it as the trigger detail UnscheduledInvocationReason.
	UnscheduledReason string
}

// SchedulerOptions configures a Scheduler; the zero value is the real clock in time.Local.
type SchedulerOptions struct {
	// Clock is the time source; nil means SystemClock.
	Clock Clock
	// Location is the zone schedules are read in; nil means time.Local. The host reads them in
	// the machine's zone under func start, and in UTC (or WEBSITE_TIME_ZONE) in Azure.
	Location *time.Location
}

// Scheduler runs timer functions on their schedules, like the host's TimerListener
// (azure-webjobs-sdk-extensions Timers/Listener/TimerListener.cs): the next run is computed
// when a run ends, so two runs of one function never overlap; a run that overran its next
// occurrence is followed at once by one catch-up run, not by one per missed occurrence; a
// RunOnStartup function runs once at start. It is safe for concurrent use.
type Scheduler struct {
	clock   Clock
	loc     *time.Location
	fire    func(context.Context, Firing)
	entries []*entry
	byName  map[string]*entry

	mu      sync.Mutex
	started bool
}

type entry struct {
	fn        Function
	monitored bool
	stored    *ScheduleStatus // the status a monitor would hold; guarded by Scheduler.mu
}

// NewScheduler checks fns and returns a scheduler that calls fire for each run. Names must be
// unique without regard to case, as function names are in the host.
func NewScheduler(fns []Function, fire func(ctx context.Context, f Firing), o *SchedulerOptions) (*Scheduler, error) {
	if fire == nil {
		return nil, errors.New("timer: NewScheduler needs a fire callback")
	}
	if o == nil {
		o = &SchedulerOptions{}
	}
	s := &Scheduler{clock: o.Clock, loc: o.Location, fire: fire, byName: map[string]*entry{}}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	for _, fn := range fns {
		if fn.Name == "" {
			return nil, errors.New("timer: a function has no name")
		}
		if fn.Schedule == nil {
			return nil, fmt.Errorf("timer: function %q has no schedule", fn.Name)
		}
		key := strings.ToLower(fn.Name)
		if _, dup := s.byName[key]; dup {
			return nil, fmt.Errorf("timer: function %q is declared twice (names compare without regard to case)", fn.Name)
		}
		e := &entry{fn: fn}
		s.entries = append(s.entries, e)
		s.byName[key] = e
	}
	return s, nil
}

// Run runs every function on its schedule until ctx is done, then waits for the runs in
// progress to return (they see ctx done) and returns nil. It may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("timer: Scheduler.Run called twice")
	}
	s.started = true
	now := s.now()
	for _, e := range s.entries {
		e.monitored = e.fn.UseMonitor && !e.fn.Schedule.frequent(now)
		if e.monitored {
			// ScheduleMonitor.CheckPastDueAsync records a first status at start.
			e.stored = &ScheduleStatus{Next: e.fn.Schedule.Next(now), LastUpdated: now}
		}
	}
	s.mu.Unlock()

	var wg sync.WaitGroup
	for _, e := range s.entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop(ctx, e, now)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

func (s *Scheduler) now() time.Time { return s.clock.Now().In(s.loc) }

func (s *Scheduler) loop(ctx context.Context, e *entry, start time.Time) {
	sched := e.fn.Schedule
	// TimerListener.StartAsync: with no stored status, Last and LastUpdated are
	// default(DateTime) and Next the first occurrence after start.
	status := ScheduleStatus{Next: sched.Next(start)}
	startup := e.fn.RunOnStartup
	for {
		due := status.Next
		if startup {
			due = start
		}
		if due.IsZero() {
			<-ctx.Done()
			return
		}
		if err := s.clock.WaitUntil(ctx, due); err != nil || ctx.Err() != nil {
			return
		}
		fired := s.now()
		f := Firing{Function: e.fn.Name, Time: fired, Info: TimerInfo{Schedule: ScheduleInfo{AdjustForDST: sched.AdjustForDST()}}}
		if e.monitored {
			st := status
			f.Info.ScheduleStatus = &st
		}
		if startup {
			f.UnscheduledReason = "RunOnStartup"
		}
		s.fire(ctx, f)

		// TimerListener.InvokeJobFunction: a run that fired early (clock skew) counts from the
		// occurrence it was due at, so the same occurrence is not scheduled twice.
		at := fired
		if !startup && status.Next.After(fired) {
			at = status.Next
		}
		status = ScheduleStatus{Last: at, Next: sched.Next(at), LastUpdated: at}
		startup = false
		if e.monitored {
			s.mu.Lock()
			st := status
			e.stored = &st
			s.mu.Unlock()
		}
	}
}

// TimerInfo returns the trigger value the host binds when a timer function is invoked outside
// its schedule, through the admin endpoint: TimerTriggerBinding.BindAsync gets no TimerInfo
// then and builds one from the monitor's stored status (nil when unmonitored or before Run),
// never past due. The name matches without regard to case.
func (s *Scheduler) TimerInfo(name string) (TimerInfo, bool) {
	e, ok := s.byName[strings.ToLower(name)]
	if !ok {
		return TimerInfo{}, false
	}
	info := TimerInfo{Schedule: ScheduleInfo{AdjustForDST: e.fn.Schedule.AdjustForDST()}}
	s.mu.Lock()
	if e.stored != nil {
		st := *e.stored
		info.ScheduleStatus = &st
	}
	s.mu.Unlock()
	return info, true
}
