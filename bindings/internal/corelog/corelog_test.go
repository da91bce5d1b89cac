package corelog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepClock returns the given times in turn, then the last one.
func stepClock(times ...time.Time) func() time.Time {
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := times[0]
		if len(times) > 1 {
			times = times[1:]
		}
		return t
	}
}

var t0 = time.Date(2024, 10, 7, 21, 8, 50, 40_000_000, time.UTC)

const id = "9113238c-28cc-4e95-8e40-ca6ed1c49f18"

func TestInvocation(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		details []Detail
		logs    []string
		elapsed time.Duration
		err     error
		want    string
	}{
		{
			name:    "a successful HTTP call with handler logs",
			reason:  ReasonHostCall,
			logs:    []string{"first line", "second line"},
			elapsed: 242*time.Millisecond + 900*time.Microsecond,
			want: "[2024-10-07T21:08:50.040Z] Executing 'Functions.fn' (Reason='This function was programmatically called via the host APIs.', Id=" + id + ")\n" +
				"[2024-10-07T21:08:50.040Z] first line\n" +
				"[2024-10-07T21:08:50.040Z] second line\n" +
				"[2024-10-07T21:08:50.282Z] Executed 'Functions.fn' (Succeeded, Id=" + id + ", Duration=242ms)\n",
		},
		{
			name:    "a timer run at startup with its trigger detail",
			reason:  TimerReason(time.Date(2024, 10, 7, 14, 8, 50, 20_398_100, time.FixedZone("PDT", -7*3600))),
			details: []Detail{{"UnscheduledInvocationReason", "RunOnStartup"}},
			want: "[2024-10-07T21:08:50.040Z] Executing 'Functions.fn' (Reason='Timer fired at 2024-10-07T14:08:50.0203981-07:00', Id=" + id + ")\n" +
				"[2024-10-07T21:08:50.040Z] Trigger Details: UnscheduledInvocationReason: RunOnStartup\n" +
				"[2024-10-07T21:08:50.040Z] Executed 'Functions.fn' (Succeeded, Id=" + id + ", Duration=0ms)\n",
		},
		{
			name:    "several trigger details",
			reason:  ReasonNone,
			details: []Detail{{"A", "1"}, {"B", "2"}},
			want: "[2024-10-07T21:08:50.040Z] Executing 'Functions.fn' (Reason='(null)', Id=" + id + ")\n" +
				"[2024-10-07T21:08:50.040Z] Trigger Details: A: 1, B: 2\n" +
				"[2024-10-07T21:08:50.040Z] Executed 'Functions.fn' (Succeeded, Id=" + id + ", Duration=0ms)\n",
		},
		{
			name:    "a failure",
			reason:  ReasonNone,
			elapsed: 26 * time.Millisecond,
			err:     errors.New("Response status code does not indicate success: 500 (Internal Server Error)"),
			want: "[2024-10-07T21:08:50.040Z] Executing 'Functions.fn' (Reason='(null)', Id=" + id + ")\n" +
				"[2024-10-07T21:08:50.066Z] Executed 'Functions.fn' (Failed, Id=" + id + ", Duration=26ms)\n" +
				"[2024-10-07T21:08:50.066Z] Exception while executing function: Functions.fn. Response status code does not indicate success: 500 (Internal Server Error).\n",
		},
		{
			name:    "a failure whose text ends a sentence and spans lines",
			reason:  ReasonHostCall,
			elapsed: 3 * time.Second,
			err:     errors.New("first\nsecond."),
			want: "[2024-10-07T21:08:50.040Z] Executing 'Functions.fn' (Reason='This function was programmatically called via the host APIs.', Id=" + id + ")\n" +
				"[2024-10-07T21:08:53.040Z] Executed 'Functions.fn' (Failed, Id=" + id + ", Duration=3000ms)\n" +
				"[2024-10-07T21:08:53.040Z] Exception while executing function: Functions.fn. first\\nsecond.\n",
		},
		{
			name:    "a clock that goes back",
			reason:  ReasonHostCall,
			elapsed: -time.Second,
			want: "[2024-10-07T21:08:50.040Z] Executing 'Functions.fn' (Reason='This function was programmatically called via the host APIs.', Id=" + id + ")\n" +
				"[2024-10-07T21:08:49.040Z] Executed 'Functions.fn' (Succeeded, Id=" + id + ", Duration=0ms)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			end := t0.Add(tt.elapsed)
			times := []time.Time{t0}
			for range tt.logs {
				times = append(times, t0)
			}
			times = append(times, end)
			l := New(&buf, &Options{Now: stepClock(times...)})
			inv := l.Start("fn", tt.reason, id, tt.details...)
			inv.Logs(tt.logs...)
			inv.End(tt.err)
			inv.End(errors.New("again")) // only the first End writes
			assert.Equal(t, tt.want, buf.String())
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"tab\tkept", "tab\tkept"},
		{"a\nb", `a\nb`},
		{"a\r\nb", `a\r\nb`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"nel\u0085ls\u2028ps\u2029", `nel\u0085ls\u2028ps\u2029`},
		{"rlo\u202etxt\u2066iso\u2069", `rlo\u202etxt\u2066iso\u2069`},
		{"é 😀 日本 C:\\path", "é 😀 日本 C:\\path"},
		{"", ""},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		New(&buf, &Options{Now: stepClock(t0)}).Print(tt.in)
		assert.Equal(t, "[2024-10-07T21:08:50.040Z] "+tt.want+"\n", buf.String(), "%q", tt.in)
	}
}

func TestForgedLine(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, &Options{Now: stepClock(t0)})
	inv := l.Start("fn", ReasonHostCall, id)
	inv.Logs("done\n[2024-10-07T21:08:50.041Z] Executed 'Functions.fn' (Succeeded, Id=x, Duration=1ms)\r\x1b[2K")
	inv.End(errors.New("boom"))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, `[2024-10-07T21:08:50.040Z] done\n[2024-10-07T21:08:50.041Z] Executed 'Functions.fn' (Succeeded, Id=x, Duration=1ms)\r\x1b[2K`, lines[1])
	assert.Equal(t, 1, strings.Count(buf.String(), "(Failed"))
}

func TestLineLength(t *testing.T) {
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{strings.Repeat("a", 25)}, strings.Repeat("a", 20) + "… (5 more bytes)"},
		{[]string{strings.Repeat("a", 20)}, strings.Repeat("a", 20)},
		// An escape is never cut in half.
		{[]string{strings.Repeat("a", 19) + "\nb"}, strings.Repeat("a", 19) + "… (2 more bytes)"},
		{[]string{strings.Repeat("a", 17) + "😀"}, strings.Repeat("a", 17) + "… (4 more bytes)"},
		{[]string{"0123456789", "0123456789", "rest", "more"}, "01234567890123456789… (8 more bytes)"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		New(&buf, &Options{Now: stepClock(t0), MaxLineBytes: 20}).Print(tt.parts...)
		assert.Equal(t, "[2024-10-07T21:08:50.040Z] "+tt.want+"\n", buf.String())
	}
	// The default bound holds for a huge message.
	var buf bytes.Buffer
	New(&buf, nil).Print(strings.Repeat("x", 1<<20))
	assert.Less(t, buf.Len(), 8192+100)
	assert.True(t, strings.HasSuffix(buf.String(), fmt.Sprintf("… (%d more bytes)\n", 1<<20-8192)))
}

func TestMaxLogLines(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, &Options{Now: stepClock(t0), MaxLogLines: 2})
	inv := l.Start("fn", ReasonHostCall, id)
	inv.Logs("1", "2", "3")
	inv.Logs("4", "5")
	inv.End(nil)
	assert.Equal(t, "[2024-10-07T21:08:50.040Z] Executing 'Functions.fn' (Reason='This function was programmatically called via the host APIs.', Id="+id+")\n"+
		"[2024-10-07T21:08:50.040Z] 1\n"+
		"[2024-10-07T21:08:50.040Z] 2\n"+
		"[2024-10-07T21:08:50.040Z] … 3 more log lines from the handler were left out\n"+
		"[2024-10-07T21:08:50.040Z] Executed 'Functions.fn' (Succeeded, Id="+id+", Duration=0ms)\n", buf.String())
}

func TestReasons(t *testing.T) {
	pdt := time.FixedZone("PDT", -7*3600)
	at := time.Date(2019, 10, 21, 21, 1, 30, 1_676_900, pdt)
	// As logged by the host: "Timer fired at 2019-10-21T21:01:30.0016769-07:00".
	assert.Equal(t, "Timer fired at 2019-10-21T21:01:30.0016769-07:00", TimerReason(at))
	assert.Equal(t, "Timer fired at 2024-11-07T14:30:00.0000000+00:00", TimerReason(time.Date(2024, 11, 7, 14, 30, 0, 0, time.UTC)))
	tests := []struct{ trigger, want string }{
		{"httpTrigger", ReasonHostCall},
		{"HTTPTRIGGER", ReasonHostCall},
		{"timerTrigger", "Timer fired at 2019-10-21T21:01:30.0016769-07:00"},
		{"signalRTrigger", "(null)"},
		{"queueTrigger", "(null)"},
		{"", "(null)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, TriggerReason(tt.trigger, at), tt.trigger)
	}
}

// lockedBuffer records each Write as one unit.
type lockedBuffer struct {
	mu     sync.Mutex
	writes []string
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, string(p))
	return len(p), nil
}

func TestConcurrentLines(t *testing.T) {
	var buf lockedBuffer
	l := New(&buf, nil)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				inv := l.Start(fmt.Sprintf("f%d", g), ReasonHostCall, fmt.Sprint(i))
				inv.Logs(strings.Repeat("x", 100))
				inv.End(nil)
			}
		}()
	}
	wg.Wait()
	require.Len(t, buf.writes, 8*50*3)
	for _, w := range buf.writes {
		assert.Equal(t, 1, strings.Count(w, "\n"))
		assert.True(t, strings.HasPrefix(w, "["), w)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreIgnored(t *testing.T) {
	l := New(failingWriter{}, nil)
	assert.NotPanics(t, func() {
		inv := l.Start("fn", ReasonHostCall, id)
		inv.Logs("x")
		inv.End(errors.New("y"))
	})
}

func FuzzSanitize(f *testing.F) {
	for _, seed := range []string{"plain", "a\nb\r\n", "\x1b[2J", "\xff\xfe", "\u2028\u202e", "😀é", strings.Repeat("\n", 100)} {
		f.Add(seed, 64)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 1<<16 {
			max = 64
		}
		var buf bytes.Buffer
		New(&buf, &Options{Now: stepClock(t0), MaxLineBytes: max}).Print(s)
		out := buf.String()
		require.True(t, strings.HasSuffix(out, "\n"))
		line := strings.TrimSuffix(out, "\n")
		require.True(t, utf8.ValidString(line))
		for _, r := range line {
			require.False(t, r != '\t' && (r < 0x20 || r == 0x7f || needsEscape(r)), "raw %U in %q", r, line)
		}
		const prefix = len("[2024-10-07T21:08:50.040Z] ")
		require.LessOrEqual(t, len(line), prefix+max+len("… ( more bytes)")+20)
	})
}
