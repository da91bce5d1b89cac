package signalrtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// UpstreamTemplate is one upstream rule, in the shape of the Templates entries of
// Microsoft's emulator settings.json. Rules are tried in order; the first whose
// three patterns all match an event receives it.
type UpstreamTemplate struct {
	// UrlTemplate is the absolute URL events are POSTed to. The placeholders
	// {hub}, {category} and {event} are replaced with the values escaped as
	// .NET's Uri.EscapeDataString escapes (every character but A-Z a-z 0-9
	// - . _ ~ is percent-encoded), so no value can add a query parameter.
	UrlTemplate string //nolint:revive // the settings.json property name

	// HubPattern, EventPattern and CategoryPattern are "*", a comma-separated
	// list of names, or a single name; matching ignores case. Empty means "*".
	HubPattern      string
	EventPattern    string
	CategoryPattern string

	// Auth optionally adds an Authorization header to upstream requests.
	Auth *UpstreamAuth `json:",omitempty"`
}

// UpstreamAuth describes how upstream requests authenticate, as in the Azure
// portal's upstream settings.
type UpstreamAuth struct {
	// Type is "None" or "ManagedIdentity".
	Type string
	// ManagedIdentity.Resource is the audience of the bearer token. The emulator has
	// no identity provider: it sends a JWT with that audience signed with the
	// primary access key, so receivers can check the header's presence and shape.
	ManagedIdentity struct {
		Resource string
	} `json:",omitempty"`
}

// settingsFile is the settings.json layout of Microsoft's emulator.
type settingsFile struct {
	UpstreamSettings struct {
		Templates []UpstreamTemplate
	}
}

// LoadSettings reads upstream templates from a settings.json file in the format
// of Microsoft's emulator:
//
//	{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://localhost:7071/runtime/webhooks/signalr","EventPattern":"*","HubPattern":"*","CategoryPattern":"*"}]}}
//
// A directory is accepted too, in which case its settings.json is read.
func LoadSettings(path string) ([]UpstreamTemplate, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = strings.TrimRight(path, `/\`) + string(os.PathSeparator) + "settings.json"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signalrtest: reading upstream settings: %w", err)
	}
	return ParseSettings(b)
}

// ParseSettings decodes the content of a settings.json file (see LoadSettings).
// Property names match case-insensitively, as in the .NET configuration binder.
func ParseSettings(b []byte) ([]UpstreamTemplate, error) {
	var f settingsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("signalrtest: upstream settings are not valid JSON of the form {\"UpstreamSettings\":{\"Templates\":[…]}}: %w", err)
	}
	for i, t := range f.UpstreamSettings.Templates {
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("signalrtest: upstream template %d: %w", i, err)
		}
	}
	return f.UpstreamSettings.Templates, nil
}

func (t *UpstreamTemplate) validate() error {
	if t.UrlTemplate == "" {
		return errors.New("UrlTemplate is empty; expected an absolute http(s) URL")
	}
	u, err := url.Parse(t.expand("hub", "category", "event"))
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("UrlTemplate is not an absolute http(s) URL")
	}
	if t.Auth != nil && t.Auth.Type != "" && !strings.EqualFold(t.Auth.Type, "None") && !strings.EqualFold(t.Auth.Type, "ManagedIdentity") {
		return fmt.Errorf("Auth.Type %q is unknown; expected None or ManagedIdentity", t.Auth.Type)
	}
	return nil
}

// matches reports whether the template applies to the event.
func (t *UpstreamTemplate) matches(hub, category, event string) bool {
	return patternMatch(t.HubPattern, hub) && patternMatch(t.CategoryPattern, category) && patternMatch(t.EventPattern, event)
}

// expand fills the placeholders of the URL template with the values escaped
// by escapeDataString, so that a value, such as an event name a client chose,
// can never add a path segment, a query parameter or a fragment.
func (t *UpstreamTemplate) expand(hub, category, event string) string {
	r := strings.NewReplacer(
		"{hub}", escapeDataString(hub),
		"{category}", escapeDataString(category),
		"{event}", escapeDataString(event),
	)
	return r.Replace(t.UrlTemplate)
}

// escapeDataString escapes s as .NET's Uri.EscapeDataString does, which the
// service uses for the placeholders (spec §8): the RFC 3986 unreserved
// characters A-Z a-z 0-9 - . _ ~ stay, every other byte of the UTF-8 encoding
// becomes %XX with uppercase hex, including & = + : @ $ / ? # and space.
func escapeDataString(s string) string {
	const hexUpper = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&0x0f])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func patternMatch(pattern, name string) bool {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" || pattern == "*" {
		return true
	}
	for p := range strings.SplitSeq(pattern, ",") {
		p = strings.TrimSpace(p)
		if p == "*" || strings.EqualFold(p, name) {
			return true
		}
	}
	return false
}

// matchUpstream returns the first template matching the event, or nil.
func matchUpstream(templates []UpstreamTemplate, hub, category, event string) *UpstreamTemplate {
	for i := range templates {
		if templates[i].matches(hub, category, event) {
			return &templates[i]
		}
	}
	return nil
}
