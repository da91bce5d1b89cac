package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ExtensionBundleID is the id of the extension bundle that carries the SignalR bindings.
const ExtensionBundleID = "Microsoft.Azure.Functions.ExtensionBundle"

// DefaultExtensionBundleVersion is the extension bundle range host.json asks for; it carries
// the SignalR bindings.
const DefaultExtensionBundleVersion = "[4.*, 5.0.0)"

// ReturnBindingName is the binding name of a function's return value.
const ReturnBindingName = "$return"

// HostConfig is what this package reads from and writes to host.json.
type HostConfig struct {
	ExecutablePath              string
	Arguments                   []string
	WorkingDirectory            string
	EnableForwardingHTTPRequest bool
	EnableProxyingHTTPRequest   bool
	// LegacyHTTPWorker says host.json configures the handler in the legacy httpWorker section,
	// under which the host forwards every HTTP-only function without being asked, to
	// /<function> (spec §8.6). Files always writes customHandler.
	LegacyHTTPWorker bool
	// RoutePrefix is the HTTP route prefix without slashes ("api" unless host.json says so).
	RoutePrefix            string
	ExtensionBundleVersion string
}

// Manifest is a function app's declarations: host.json and one function.json per function.
type Manifest struct {
	Host      HostConfig
	Functions []Function
}

// Function returns the function named name, compared ignoring case as the host does.
func (m *Manifest) Function(name string) (Function, bool) {
	for _, f := range m.Functions {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Function{}, false
}

type hostJSON struct {
	Version         string              `json:"version"`
	CustomHandler   *customHandlerJSON  `json:"customHandler,omitempty"`
	HTTPWorker      *customHandlerJSON  `json:"httpWorker,omitempty"`
	ExtensionBundle *extensionBundleRef `json:"extensionBundle,omitempty"`
	Extensions      *extensionsJSON     `json:"extensions,omitempty"`
}

type customHandlerJSON struct {
	Description                 descriptionJSON `json:"description"`
	EnableForwardingHTTPRequest bool            `json:"enableForwardingHttpRequest,omitempty"`
	EnableProxyingHTTPRequest   bool            `json:"enableProxyingHttpRequest,omitempty"`
}

type descriptionJSON struct {
	DefaultExecutablePath string   `json:"defaultExecutablePath"`
	Arguments             []string `json:"arguments,omitempty"`
	WorkingDirectory      string   `json:"workingDirectory,omitempty"`
}

type extensionBundleRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

type extensionsJSON struct {
	HTTP *struct {
		RoutePrefix *string `json:"routePrefix,omitempty"`
	} `json:"http,omitempty"`
}

type functionJSON struct {
	Bindings []Binding `json:"bindings"`
}

// Files returns the generated files, keyed by slash-separated path relative to the app root:
// host.json and <function>/function.json.
func (m *Manifest) Files() (map[string][]byte, error) {
	if err := ValidateApp(m.Functions); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	prefix := m.Host.RoutePrefix
	h := hostJSON{
		Version: "2.0",
		CustomHandler: &customHandlerJSON{
			Description:                 descriptionJSON{DefaultExecutablePath: m.Host.ExecutablePath, Arguments: m.Host.Arguments, WorkingDirectory: m.Host.WorkingDirectory},
			EnableForwardingHTTPRequest: m.Host.EnableForwardingHTTPRequest,
			EnableProxyingHTTPRequest:   m.Host.EnableProxyingHTTPRequest,
		},
		ExtensionBundle: &extensionBundleRef{ID: ExtensionBundleID, Version: m.Host.ExtensionBundleVersion},
		Extensions:      &extensionsJSON{},
	}
	h.Extensions.HTTP = &struct {
		RoutePrefix *string `json:"routePrefix,omitempty"`
	}{RoutePrefix: &prefix}
	var err error
	if files["host.json"], err = marshalFile(h); err != nil {
		return nil, err
	}
	for _, f := range m.Functions {
		if files[f.Name+"/function.json"], err = marshalFile(functionJSON{Bindings: f.Bindings}); err != nil {
			return nil, fmt.Errorf("bindings: function %q: %w", f.Name, err)
		}
	}
	return files, nil
}

func marshalFile(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Write writes host.json and one <function>/function.json per function into dir, the layout
// the Functions host loads. Folders of functions that no longer exist are reported by Check,
// never deleted.
func (m *Manifest) Write(dir string) error {
	files, err := m.Files()
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(files) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("bindings: %w", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("bindings: %w", err)
		}
	}
	return nil
}

// Check reports whether the files in dir are exactly what Write would write: it names every
// missing, different or stale (undeclared function) file.
func (m *Manifest) Check(dir string) error {
	files, err := m.Files()
	if err != nil {
		return err
	}
	var problems []string
	for _, name := range sortedKeys(files) {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			problems = append(problems, name+" is missing")
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		case !bytes.Equal(got, files[name]):
			problems = append(problems, name+" differs from the Go declarations")
		}
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*", "function.json"))
	for _, path := range found {
		name := filepath.Base(filepath.Dir(path)) + "/function.json"
		if _, ok := files[name]; !ok {
			problems = append(problems, name+" belongs to no declared function")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("bindings: %s is out of date (regenerate with the program's functionjson command, App.Main): %s", dir, strings.Join(problems, "; "))
	}
	return nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Read reads host.json and every <function>/function.json in dir, as the host loads
// them: property names ignoring case, the legacy httpWorker section when customHandler is
// absent, routePrefix "api" by default.
func Read(dir string) (*Manifest, error) {
	m := &Manifest{Host: HostConfig{RoutePrefix: "api"}}
	raw, err := os.ReadFile(filepath.Join(dir, "host.json"))
	if err != nil {
		return nil, fmt.Errorf("bindings: reading host.json: %w", err)
	}
	var h hostJSON
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("bindings: host.json is not valid: %w", err)
	}
	section := h.CustomHandler
	if section == nil && h.HTTPWorker != nil {
		section = h.HTTPWorker
		m.Host.LegacyHTTPWorker = true
	}
	if section == nil {
		return nil, errors.New("bindings: host.json has no customHandler section; expected {\"customHandler\":{\"description\":{\"defaultExecutablePath\":…}}}")
	}
	m.Host.ExecutablePath = section.Description.DefaultExecutablePath
	m.Host.Arguments = section.Description.Arguments
	m.Host.WorkingDirectory = section.Description.WorkingDirectory
	m.Host.EnableForwardingHTTPRequest = section.EnableForwardingHTTPRequest
	m.Host.EnableProxyingHTTPRequest = section.EnableProxyingHTTPRequest
	if h.ExtensionBundle != nil {
		m.Host.ExtensionBundleVersion = h.ExtensionBundle.Version
	}
	if h.Extensions != nil && h.Extensions.HTTP != nil && h.Extensions.HTTP.RoutePrefix != nil {
		m.Host.RoutePrefix = strings.Trim(*h.Extensions.HTTP.RoutePrefix, "/")
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*", "function.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	for _, path := range paths {
		name := filepath.Base(filepath.Dir(path))
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("bindings: %w", err)
		}
		var fj functionJSON
		if err := json.Unmarshal(raw, &fj); err != nil {
			return nil, fmt.Errorf("bindings: %s/function.json is not valid: %w", name, err)
		}
		m.Functions = append(m.Functions, Function{Name: name, Bindings: fj.Bindings})
	}
	if err := ValidateApp(m.Functions); err != nil {
		return nil, err
	}
	return m, nil
}
