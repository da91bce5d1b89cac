package examples_test

import (
	"bufio"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// program is a built app started with `start -addr 127.0.0.1:0`, as a newcomer starts it.
type program struct {
	// URL is the address the program printed on its "Listening on" line.
	URL     string
	printed syncBuilder     // stdout so far
	stderr  strings.Builder // read only after the program exited
	exited  chan error
	scanned chan struct{} // closed once stdout is read to its end
	cmd     *exec.Cmd
}

var listeningRE = regexp.MustCompile(`^Listening on (http://127\.0\.0\.1:\d+/)`)

// startProgram starts bin in dir with the environment cleanEnv gives, and returns once it
// prints the address it listens on. The program is killed when the test ends.
func startProgram(ctx context.Context, t *testing.T, bin, dir string) *program {
	t.Helper()
	p := &program{exited: make(chan error, 1), scanned: make(chan struct{})}
	p.cmd = exec.Command(bin, "start", "-addr", "127.0.0.1:0")
	p.cmd.Dir, p.cmd.Env = dir, cleanEnv()
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = &p.stderr
	require.NoError(t, p.cmd.Start())
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // no-op once it has exited
		err := <-p.exited
		p.exited <- err
	})
	listening := make(chan string, 1)
	go func() {
		defer close(p.scanned)
		defer close(listening)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.printed.WriteString(sc.Text() + "\n")
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
	}()
	select {
	case u, ok := <-listening:
		require.True(t, ok, "the program stopped before listening; stdout:\n%s", p.printed.String())
		p.URL = u
	case <-ctx.Done():
		t.Fatalf("the program did not start; stdout:\n%s", p.printed.String())
	}
	return p
}

// Printed is what the program wrote to stdout so far.
func (p *program) Printed() string { return p.printed.String() }

// Interrupt sends Ctrl+C and waits up to 15 s for a clean exit; it then returns stderr, with
// stdout read to its end.
func (p *program) Interrupt(t *testing.T) (stderr string) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		<-p.scanned
		require.NoError(t, err, "exit after Ctrl+C; stderr:\n%s", p.stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("the program did not stop within 15 s of SIGINT")
	}
	return p.stderr.String()
}

// syncBuilder is a strings.Builder that one goroutine writes while the test reads it.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) WriteString(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(v)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
