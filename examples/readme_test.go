// Package examples_test keeps the root README honest: its first commands are the ones this
// test runs.
package examples_test

import (
	"context"
	"encoding/json"
	"io"
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
)

// quickStart is what the README's first code block must say, comments aside.
var quickStart = []string{"go run ./examples/chat", "make test"}

// firstCodeBlock returns the commands of the first fenced block in markdown, without
// comments and blank lines.
func firstCodeBlock(markdown string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(line, "```") {
			if in {
				return out
			}
			in = true
			continue
		}
		if !in {
			continue
		}
		cmd, _, _ := strings.Cut(line, "#")
		if cmd = strings.TrimSpace(cmd); cmd != "" {
			out = append(out, cmd)
		}
	}
	return nil
}

func TestFirstCodeBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, markdown string
		want           []string
	}{
		{"commented", "# T\n\ntext\n\n```sh\ngo run ./x   # run it\n\nmake test\n```\n```\nlater\n```", []string{"go run ./x", "make test"}},
		{"unterminated", "```\ngo run ./x\n", nil},
		{"none", "just text", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, firstCodeBlock(tt.markdown), tt.name)
	}
}

func TestReadmeStartsWithTheTwoCommands(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	assert.Equal(t, quickStart, firstCodeBlock(string(readme)))

	makefile, err := os.ReadFile(filepath.Join("..", "Makefile"))
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^test:`), string(makefile), "make test needs a test target")
}

// The README's quickstart is the program examples/internal/quickstart, which is built and
// tested, so the snippet compiles and works.
func TestReadmeQuickstartIsTested(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(readme), "## Quickstart")
	require.True(t, ok, "the README has a Quickstart section")
	_, block, ok := strings.Cut(after, "```go\n")
	require.True(t, ok, "the Quickstart has a Go code block")
	block, _, ok = strings.Cut(block, "```")
	require.True(t, ok)
	program, err := os.ReadFile(filepath.Join("internal", "quickstart", "main.go"))
	require.NoError(t, err)
	assert.Contains(t, string(program), block)
	assert.LessOrEqual(t, strings.Count(block, "\n"), 25, "a quickstart stays short")
}

// The first command, as a newcomer runs it: build the chat, start it with no settings (so it
// starts the emulator), negotiate, stop it with Ctrl+C, and see it exit cleanly.
func TestChatRunsFromABuild(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not found in PATH; the README's first command needs it")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "chat")
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./examples/chat")
	build.Dir = ".."
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./examples/chat: %s", out)

	// The program prints the URL it actually listens on.
	chat := startProgram(ctx, t, bin, "")
	url := chat.URL
	assert.Contains(t, chat.Printed(), "SignalR Service for AzureSignalRConnectionString: emulator at http://127.0.0.1:")

	resp, err := http.Get(url + "api/negotiate?user=newcomer")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "negotiate: %s", body)
	var info struct {
		URL         string `json:"url"`
		AccessToken string `json:"accessToken"`
	}
	require.NoError(t, json.Unmarshal(body, &info))
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/client/\?hub=chat$`, info.URL)
	assert.NotEmpty(t, info.AccessToken)

	page, err := http.Get(url)
	require.NoError(t, err)
	html, _ := io.ReadAll(page.Body)
	_ = page.Body.Close()
	assert.Contains(t, string(html), "<title>funcsignalr chat</title>")

	stderr := chat.Interrupt(t)
	assert.Contains(t, chat.Printed(), "Stopping.")
	assert.Empty(t, stderr, "a clean run logs no errors")
}

// cleanEnv is the environment without the settings that would change the chat's mode.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "AzureSignalRConnectionString", "FUNCTIONS_CUSTOMHANDLER_PORT", "FUNCTIONS_HTTPWORKER_PORT":
			continue
		}
		env = append(env, kv)
	}
	return env
}
