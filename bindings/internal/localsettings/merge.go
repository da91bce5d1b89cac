package localsettings

import (
	"fmt"
	"sort"
	"strings"
)

// Settings returns the app settings the file defines: every Values entry, plus each connection
// string as "ConnectionStrings:<name>", the name Core Tools gives it
// (StartHostAction.GetConfigurationSettings in azure-functions-core-tools).
func (f *File) Settings() map[string]string {
	out := make(map[string]string, len(f.Values)+len(f.ConnectionStrings))
	for k, v := range f.Values {
		out[k] = v
	}
	for k, cs := range f.ConnectionStrings {
		out["ConnectionStrings:"+k] = cs.Value
	}
	return out
}

// Merged is the outcome of Merge.
type Merged struct {
	// Settings is what the app reads: the environment, plus each file setting the environment
	// does not override.
	Settings map[string]string
	// FromFile lists, sorted, the keys whose value comes from the file: the ones to set in the
	// process environment so that code reading the environment sees them too.
	FromFile []string
	// Overridden lists, sorted, the file's keys that the environment overrides.
	Overridden []string
}

// Warnings returns Core Tools' startup warning for each overridden setting.
func (m Merged) Warnings() []string {
	out := make([]string, len(m.Overridden))
	for i, k := range m.Overridden {
		out[i] = fmt.Sprintf("Skipping %s from local settings as it's already defined in current environment variables.", quoteKey(k))
	}
	return out
}

// Merge combines the file's settings with the process environment (os.Environ's "KEY=value"
// form). The environment wins, as in Core Tools: StartHostAction.UpdateEnvironmentVariables
// skips a local setting, with a warning, when the environment already holds that name with a
// non-empty value. A variable that is set but empty does not override, so the file's value is
// used then. Names compare exactly, as environment variables do on Linux.
func Merge(file map[string]string, environ []string) Merged {
	m := Merged{Settings: make(map[string]string, len(environ)+len(file))}
	for _, kv := range environ {
		// A leading '=' belongs to the name (Windows keeps "=C:" style entries).
		i := strings.IndexByte(kv[min(1, len(kv)):], '=')
		if i < 0 {
			continue
		}
		i += min(1, len(kv))
		m.Settings[kv[:i]] = kv[i+1:]
	}
	for k, v := range file {
		if k == "" {
			continue
		}
		if cur, ok := m.Settings[k]; ok && cur != "" {
			m.Overridden = append(m.Overridden, k)
			continue
		}
		m.Settings[k] = v
		m.FromFile = append(m.FromFile, k)
	}
	sort.Strings(m.FromFile)
	sort.Strings(m.Overridden)
	return m
}

// Lookup returns a resolver over settings with the semantics of .NET configuration, through
// which the host resolves %AppSetting% expressions and connection setting names: names compare
// without regard to case, and "__" in an environment variable's name is the ':' separator
// (EnvironmentVariablesConfigurationProvider), so %Parent:Child% finds Parent__Child. An exact
// match is preferred; among several names that differ only in case or separator, the first in
// sorted order wins, so the answer never depends on map order.
func Lookup(settings map[string]string) func(name string) (string, bool) {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	norm := make(map[string]string, len(settings))
	for _, k := range keys {
		n := normalizeName(k)
		if _, dup := norm[n]; !dup {
			norm[n] = settings[k]
		}
	}
	return func(name string) (string, bool) {
		if v, ok := settings[name]; ok {
			return v, true
		}
		v, ok := norm[normalizeName(name)]
		return v, ok
	}
}

func normalizeName(k string) string {
	return strings.ToUpper(strings.ReplaceAll(k, "__", ":"))
}
