package examples_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// ownAppFiles returns the files of the README's "Your own app": main.go and index.html, the
// first go and html blocks of the section.
func ownAppFiles(t *testing.T) (mainGo, indexHTML string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Your own app\n")
	require.True(t, ok, "the README has a section \"Your own app\"")
	section, _, _ = strings.Cut(section, "\n## ")
	block := func(lang string) string {
		_, b, ok := strings.Cut(section, "```"+lang+"\n")
		require.True(t, ok, "the section has a %s block", lang)
		b, _, ok = strings.Cut(b, "```")
		require.True(t, ok)
		return b
	}
	assert.Contains(t, section, "go mod init example.com/hello")
	assert.Contains(t, section, "go get github.com/funcsignalr/funcsignalr@latest")
	return block("go"), block("html")
}

// syncBuilder is a strings.Builder for one writer goroutine and readers.

// The README's "Your own app", as a newcomer follows it: a module outside this repository
// (here requiring the checkout through a replace directive, where the README says go get),
// built, started with start on a free port, opened in a real browser, driven with the official
// JavaScript client, and its log checked: the HTTP function, the SignalR trigger and the timer
// each run and say so the way Core Tools would.
func TestOwnAppFromTheReadme(t *testing.T) {
	t.Parallel()
	jsclient.Require(t)
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the README's commands need go")
	checkout, err := filepath.Abs("..")
	require.NoError(t, err)
	mainGo, indexHTML := ownAppFiles(t)

	dir := t.TempDir()
	goMod, err := os.ReadFile(filepath.Join(checkout, "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go \S+$`).FindString(string(goMod))
	require.NotEmpty(t, goLine)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\n"+goLine+"\n\n"+
		"require github.com/funcsignalr/funcsignalr v0.0.0-00010101000000-000000000000\n\n"+
		"replace github.com/funcsignalr/funcsignalr => "+checkout+"\n"), 0o600))
	// The checkout's go.sum covers every module the app can need, so the build stays offline.
	goSum, err := os.ReadFile(filepath.Join(checkout, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), goSum, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(mainGo), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte(indexHTML), 0o600))

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	env := append(cleanEnv(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	build := exec.CommandContext(ctx, goTool, "build", "-o", "hello", ".")
	build.Dir, build.Env = dir, env
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	vet := exec.CommandContext(ctx, goTool, "vet", ".")
	vet.Dir, vet.Env = dir, env
	out, err = vet.CombinedOutput()
	require.NoError(t, err, "go vet: %s", out)

	app := startProgram(ctx, t, filepath.Join(dir, "hello"), dir)
	url := app.URL
	startup := app.Printed()
	assert.Contains(t, startup, "shout: http://127.0.0.1:")
	assert.Contains(t, startup, "wave: signalRTrigger, hub hello, messages wave")
	assert.Contains(t, startup, "clock: timerTrigger, Cron: '*/5 * * * * *'")
	assert.Contains(t, startup, "SignalR Service for AzureSignalRConnectionString: emulator at http://127.0.0.1:")
	assert.Contains(t, startup, "Page: "+url+"api/web/")

	// The page, in a browser: it connects, shows what the HTTP function sends, and its button
	// reaches the SignalR trigger.
	b := jsclient.StartBrowser(t, nil)
	status, err := b.Goto(ctx, url)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, b.WaitForSelector(ctx, "#wave:not([disabled])"))
	resp, err := http.Post(url+"api/shout", "text/plain", strings.NewReader("hello from curl"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.NoError(t, b.WaitForText(ctx, "hello from curl"))
	require.NoError(t, b.Click(ctx, "#wave"))
	require.NoError(t, b.WaitForText(ctx, "someone waves"))

	// The official client in Node: its send reaches the trigger, and the timer's messages
	// arrive on schedule.
	c := jsclient.Start(t, jsclient.Config{URL: url + "api", Targets: []string{"message"}})
	require.NoError(t, c.Send(ctx, "wave", "node"))
	var waved, ticked bool
	for !waved || !ticked {
		ev, err := c.WaitFor(ctx, jsclient.IsMessage("message"))
		require.NoError(t, err)
		var text string
		require.NoError(t, ev.Arg(0, &text))
		waved = waved || text == "node waves"
		ticked = ticked || strings.HasPrefix(text, "it is ")
	}

	// The app prints an invocation's Executed line after the function returns, so after its
	// message went out: wait for the lines rather than read the log once.
	wants := []*regexp.Regexp{
		regexp.MustCompile(`Executing 'Functions\.shout' \(Reason='This function was programmatically called via the host APIs\.', Id=[0-9a-f-]{36}\)`),
		regexp.MustCompile(`\] shouting 15 bytes\n`),
		regexp.MustCompile(`Executed 'Functions\.shout' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)`),
		regexp.MustCompile(`Executing 'Functions\.wave' \(Reason='\(null\)', Id=[0-9a-f-]{36}\)`),
		regexp.MustCompile(`Executed 'Functions\.wave' \(Succeeded`),
		regexp.MustCompile(`Executing 'Functions\.clock' \(Reason='Timer fired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d', Id=`),
		regexp.MustCompile(`Executed 'Functions\.clock' \(Succeeded`),
	}
	allPrinted := func(log string) bool {
		for _, want := range wants {
			if !want.MatchString(log) {
				return false
			}
		}
		return true
	}
	for !allPrinted(app.Printed()) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	log := app.Printed()
	for _, want := range wants {
		assert.Regexp(t, want, log)
	}
	assert.NotContains(t, log, "Failed")

	stderr := app.Interrupt(t)
	assert.Empty(t, stderr, "a clean run logs no errors")
}
