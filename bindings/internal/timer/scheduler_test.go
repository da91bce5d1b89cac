package timer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a manual clock: waiters wake when Set or Advance moves time to their deadline.
// early makes every wait end that much before its deadline, as a skewed clock would.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	early   time.Duration
	waiters map[*fakeWaiter]bool
	changed chan struct{} // closed and replaced whenever the set of waiters changes
}

type fakeWaiter struct {
	at time.Time
	ch chan struct{}
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waiters: map[*fakeWaiter]bool{}, changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) WaitUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if !c.now.Before(t.Add(-c.early)) {
		c.mu.Unlock()
		return ctx.Err()
	}
	w := &fakeWaiter{at: t.Add(-c.early), ch: make(chan struct{})}
	c.waiters[w] = true
	c.notify()
	c.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiters, w)
		c.notify()
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *fakeClock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Set moves the clock to t and wakes the waiters it reaches.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	for w := range c.waiters {
		if !c.now.Before(w.at) {
			delete(c.waiters, w)
			close(w.ch)
		}
	}
	c.notify()
}

// awaitWaiters blocks until n goroutines wait on the clock, and returns their deadlines.
func (c *fakeClock) awaitWaiters(t *testing.T, n int) []time.Time {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.waiters) == n {
			var at []time.Time
			for w := range c.waiters {
				at = append(at, w.at)
			}
			c.mu.Unlock()
			return at
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %d waiters", n)
		}
	}
}

type harness struct {
	clock   *fakeClock
	firings chan Firing
	cancel  context.CancelFunc
	done    chan error
	sched   *Scheduler
}

func startScheduler(t *testing.T, fns []Function, start time.Time, fire func(context.Context, Firing)) *harness {
	t.Helper()
	h := &harness{clock: newFakeClock(start), firings: make(chan Firing, 100), done: make(chan error, 1)}
	if fire == nil {
		fire = func(_ context.Context, f Firing) { h.firings <- f }
	}
	var err error
	h.sched, err = NewScheduler(fns, fire, &SchedulerOptions{Clock: h.clock, Location: time.UTC})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.sched.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return h
}

func (h *harness) next(t *testing.T) Firing {
	t.Helper()
	select {
	case f := <-h.firings:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no firing")
		return Firing{}
	}
}

func mustSchedule(t *testing.T, expr string) *Schedule {
	t.Helper()
	s, err := ParseSchedule(expr)
	require.NoError(t, err)
	return s
}

func TestSchedulerFiresOnSchedule(t *testing.T) {
	start := utc("2024-03-01T12:00:30Z")
	h := startScheduler(t, []Function{{Name: "everyMinute", Schedule: mustSchedule(t, "0 * * * * *"), UseMonitor: true}}, start, nil)

	assert.Equal(t, []time.Time{utc("2024-03-01T12:01:00Z")}, h.clock.awaitWaiters(t, 1))
	h.clock.Set(utc("2024-03-01T12:01:00Z"))
	f := h.next(t)
	assert.Equal(t, "everyMinute", f.Function)
	assert.Equal(t, utc("2024-03-01T12:01:00Z"), f.Time)
	assert.Empty(t, f.UnscheduledReason)
	// TimerListener.StartAsync: before the first run Last and LastUpdated are default(DateTime).
	assert.Equal(t, TimerInfo{Schedule: ScheduleInfo{AdjustForDST: true}, ScheduleStatus: &ScheduleStatus{Next: utc("2024-03-01T12:01:00Z")}}, f.Info)

	assert.Equal(t, []time.Time{utc("2024-03-01T12:02:00Z")}, h.clock.awaitWaiters(t, 1))
	h.clock.Set(utc("2024-03-01T12:02:00.25Z"))
	f = h.next(t)
	assert.Equal(t, utc("2024-03-01T12:02:00.25Z"), f.Time)
	assert.Equal(t, &ScheduleStatus{Last: utc("2024-03-01T12:01:00Z"), Next: utc("2024-03-01T12:02:00Z"), LastUpdated: utc("2024-03-01T12:01:00Z")}, f.Info.ScheduleStatus)

	// The next run counts from the time this one fired.
	assert.Equal(t, []time.Time{utc("2024-03-01T12:03:00Z")}, h.clock.awaitWaiters(t, 1))
}

func TestSchedulerRunOnStartup(t *testing.T) {
	start := utc("2024-03-01T12:00:30Z")
	h := startScheduler(t, []Function{{Name: "boot", Schedule: mustSchedule(t, "0 0 * * * *"), RunOnStartup: true, UseMonitor: true}}, start, nil)

	f := h.next(t)
	assert.Equal(t, "RunOnStartup", f.UnscheduledReason)
	assert.Equal(t, start, f.Time)
	assert.Equal(t, &ScheduleStatus{Next: utc("2024-03-01T13:00:00Z")}, f.Info.ScheduleStatus)

	assert.Equal(t, []time.Time{utc("2024-03-01T13:00:00Z")}, h.clock.awaitWaiters(t, 1))
	h.clock.Set(utc("2024-03-01T13:00:00Z"))
	f = h.next(t)
	assert.Empty(t, f.UnscheduledReason)
	// The startup run counts as the last one (TimerListener.InvokeJobFunction).
	assert.Equal(t, &ScheduleStatus{Last: start, Next: utc("2024-03-01T13:00:00Z"), LastUpdated: start}, f.Info.ScheduleStatus)
}

func TestSchedulerNeverOverlaps(t *testing.T) {
	start := utc("2024-03-01T12:00:00Z")
	var running, maxRunning atomic.Int32
	release := make(chan struct{})
	started := make(chan Firing, 10)
	fire := func(_ context.Context, f Firing) {
		n := running.Add(1)
		if n > maxRunning.Load() {
			maxRunning.Store(n)
		}
		started <- f
		<-release
		running.Add(-1)
	}
	h := startScheduler(t, []Function{{Name: "slow", Schedule: mustSchedule(t, "*/10 * * * * *"), UseMonitor: true}}, start, fire)

	h.clock.awaitWaiters(t, 1)
	h.clock.Set(utc("2024-03-01T12:00:10Z"))
	first := <-started
	assert.Equal(t, utc("2024-03-01T12:00:10Z"), first.Time)
	// The run takes 45 s: four occurrences pass while it runs, and nothing else starts.
	h.clock.Set(utc("2024-03-01T12:00:55Z"))
	// Nothing can prove a start will never come; a scheduler that overlapped runs would start
	// the next one at once, well within this wait.
	select {
	case f := <-started:
		t.Fatalf("a second run started while the first was running: %+v", f)
	case <-time.After(200 * time.Millisecond):
	}
	release <- struct{}{}
	// One catch-up run at once for the missed occurrences, then back on schedule.
	catchUp := <-started
	assert.Equal(t, utc("2024-03-01T12:00:55Z"), catchUp.Time)
	assert.Nil(t, catchUp.Info.ScheduleStatus, "a schedule of several runs a minute is not monitored")
	release <- struct{}{}
	assert.Equal(t, []time.Time{utc("2024-03-01T12:01:00Z")}, h.clock.awaitWaiters(t, 1))
	assert.Equal(t, int32(1), maxRunning.Load())
}

func TestSchedulerEarlyWakeDoesNotRepeat(t *testing.T) {
	// A timer that fires slightly early must not schedule the same occurrence again: the host
	// counts such a run from the occurrence it was due at.
	start := utc("2024-03-01T12:00:30Z")
	h := startScheduler(t, []Function{{Name: "skewed", Schedule: mustSchedule(t, "0 * * * * *"), UseMonitor: true}}, start, nil)
	h.clock.mu.Lock()
	h.clock.early = 300 * time.Millisecond
	h.clock.mu.Unlock()
	h.clock.awaitWaiters(t, 1)
	h.clock.Set(utc("2024-03-01T12:00:59.7Z"))
	f := h.next(t)
	assert.Equal(t, utc("2024-03-01T12:00:59.7Z"), f.Time)
	assert.Equal(t, []time.Time{utc("2024-03-01T12:01:59.7Z")}, h.clock.awaitWaiters(t, 1), "the next wait is for 12:02:00, less the skew")
	h.clock.Set(utc("2024-03-01T12:01:59.7Z"))
	f = h.next(t)
	assert.Equal(t, utc("2024-03-01T12:01:00Z"), f.Info.ScheduleStatus.Last)
	assert.Equal(t, utc("2024-03-01T12:02:00Z"), f.Info.ScheduleStatus.Next)
}

func TestSchedulerMonitoring(t *testing.T) {
	start := utc("2024-03-01T12:00:10Z")
	fns := []Function{
		{Name: "monitored", Schedule: mustSchedule(t, "0 * * * * *"), UseMonitor: true},
		{Name: "optedOut", Schedule: mustSchedule(t, "0 * * * * *"), UseMonitor: false},
		{Name: "frequent", Schedule: mustSchedule(t, "*/20 * * * * *"), UseMonitor: true},
		{Name: "shortInterval", Schedule: mustSchedule(t, "00:00:50"), UseMonitor: true},
		{Name: "longInterval", Schedule: mustSchedule(t, "00:00:50"), UseMonitor: true},
	}
	fns[4].Schedule = mustSchedule(t, "00:01:00")
	h := startScheduler(t, fns, start, nil)
	h.clock.awaitWaiters(t, len(fns))
	h.clock.Set(utc("2024-03-01T12:01:10Z"))
	got := map[string]Firing{}
	for len(got) < len(fns) {
		f := h.next(t)
		if _, seen := got[f.Function]; !seen {
			got[f.Function] = f
		}
	}
	assert.NotNil(t, got["monitored"].Info.ScheduleStatus)
	assert.Nil(t, got["optedOut"].Info.ScheduleStatus)
	assert.Nil(t, got["frequent"].Info.ScheduleStatus)
	assert.Nil(t, got["shortInterval"].Info.ScheduleStatus)
	require.NotNil(t, got["longInterval"].Info.ScheduleStatus)
	assert.False(t, got["longInterval"].Info.Schedule.AdjustForDST)
	assert.Equal(t, utc("2024-03-01T12:01:10Z"), got["longInterval"].Info.ScheduleStatus.Next)
}

func TestSchedulerTimerInfo(t *testing.T) {
	start := utc("2024-03-01T12:00:30Z")
	var h *harness
	fns := []Function{
		{Name: "Tick", Schedule: mustSchedule(t, "0 * * * * *"), UseMonitor: true},
		{Name: "Quiet", Schedule: mustSchedule(t, "0 * * * * *")},
	}
	sched, err := NewScheduler(fns, func(context.Context, Firing) {}, nil)
	require.NoError(t, err)
	info, ok := sched.TimerInfo("tick")
	require.True(t, ok)
	assert.Equal(t, TimerInfo{Schedule: ScheduleInfo{AdjustForDST: true}}, info, "before Run there is no stored status")

	h = startScheduler(t, fns, start, nil)
	h.clock.awaitWaiters(t, 2)
	// ScheduleMonitor.CheckPastDueAsync stores a first status at start, with LastUpdated set.
	info, ok = h.sched.TimerInfo("TICK")
	require.True(t, ok)
	assert.Equal(t, &ScheduleStatus{Next: utc("2024-03-01T12:01:00Z"), LastUpdated: start}, info.ScheduleStatus)
	assert.False(t, info.IsPastDue)

	h.clock.Set(utc("2024-03-01T12:01:00.5Z"))
	h.next(t)
	h.next(t)
	h.clock.awaitWaiters(t, 2)
	info, _ = h.sched.TimerInfo("Tick")
	assert.Equal(t, &ScheduleStatus{Last: utc("2024-03-01T12:01:00.5Z"), Next: utc("2024-03-01T12:02:00Z"), LastUpdated: utc("2024-03-01T12:01:00.5Z")}, info.ScheduleStatus)

	info, ok = h.sched.TimerInfo("Quiet")
	require.True(t, ok)
	assert.Nil(t, info.ScheduleStatus)
	_, ok = h.sched.TimerInfo("missing")
	assert.False(t, ok)
}

func TestSchedulerStops(t *testing.T) {
	start := utc("2024-03-01T12:00:30Z")
	entered := make(chan struct{})
	var sawCancel atomic.Bool
	fire := func(ctx context.Context, _ Firing) {
		close(entered)
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // Run must wait for this
		sawCancel.Store(true)
	}
	clock := newFakeClock(start)
	sched, err := NewScheduler([]Function{
		{Name: "busy", Schedule: mustSchedule(t, "0 * * * * *"), RunOnStartup: true},
		{Name: "idle", Schedule: mustSchedule(t, "0 0 0 1 1 *")},
	}, fire, &SchedulerOptions{Clock: clock})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	<-entered
	clock.awaitWaiters(t, 1) // "idle" waits for January
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	assert.True(t, sawCancel.Load(), "Run returned before the running invocation ended")
	assert.EqualError(t, sched.Run(context.Background()), "timer: Scheduler.Run called twice")
}

func TestSchedulerWithoutFunctionsWaitsForCancel(t *testing.T) {
	sched, err := NewScheduler(nil, func(context.Context, Firing) {}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	select {
	case <-done:
		t.Fatal("Run returned before its context was done")
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	require.NoError(t, <-done)
}

func TestSchedulerLocation(t *testing.T) {
	plus2 := time.FixedZone("X", 2*3600)
	clock := newFakeClock(utc("2024-03-01T05:00:00Z"))
	got := make(chan Firing, 1)
	sched, err := NewScheduler([]Function{{Name: "nine", Schedule: mustSchedule(t, "0 0 9 * * *")}},
		func(_ context.Context, f Firing) { got <- f }, &SchedulerOptions{Clock: clock, Location: plus2})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = sched.Run(ctx) }()
	at := clock.awaitWaiters(t, 1)
	assert.Equal(t, utc("2024-03-01T07:00:00Z"), at[0].UTC(), "09:00 in the scheduler's zone")
	clock.Set(at[0])
	f := <-got
	assert.Equal(t, plus2, f.Time.Location())
}

func TestNewSchedulerErrors(t *testing.T) {
	s := mustSchedule(t, "0 * * * * *")
	noop := func(context.Context, Firing) {}
	tests := []struct {
		fns  []Function
		fire func(context.Context, Firing)
		want string
	}{
		{nil, nil, "timer: NewScheduler needs a fire callback"},
		{[]Function{{Schedule: s}}, noop, "timer: a function has no name"},
		{[]Function{{Name: "a"}}, noop, `timer: function "a" has no schedule`},
		{[]Function{{Name: "a", Schedule: s}, {Name: "A", Schedule: s}}, noop, `timer: function "A" is declared twice (names compare without regard to case)`},
	}
	for _, tt := range tests {
		_, err := NewScheduler(tt.fns, tt.fire, nil)
		assert.EqualError(t, err, tt.want)
	}
}

func TestSystemClock(t *testing.T) {
	var c SystemClock
	ctx := context.Background()
	require.NoError(t, c.WaitUntil(ctx, time.Now().Add(-time.Second)))
	require.NoError(t, c.WaitUntil(ctx, c.Now().Add(5*time.Millisecond)))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, c.WaitUntil(cctx, time.Now().Add(time.Hour)), context.Canceled)
	assert.ErrorIs(t, c.WaitUntil(cctx, time.Now().Add(-time.Hour)), context.Canceled)
}
