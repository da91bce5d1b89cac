// Package route matches request paths against Azure Functions HTTP route templates, the
// ASP.NET Core subset the host accepts: literal segments (case-insensitive), {name},
// {name?}, {name=default}, {name:constraint}, and a trailing catch-all {*name}.
package route

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

type segment struct {
	literal    string
	param      string
	optional   bool
	catchAll   bool
	def        string
	hasDef     bool
	constraint []string
}

// Template is a parsed route template. It is immutable.
type Template struct {
	text     string
	segments []segment
}

// Parse parses a route template such as "items/{id:int}/{*rest}".
func Parse(text string) (*Template, error) {
	if strings.HasPrefix(text, "/") || strings.HasPrefix(text, "~") {
		return nil, fmt.Errorf("route %q starts with %q; expected a template relative to the route prefix", text, text[:1])
	}
	t := &Template{text: text}
	if text == "" {
		return t, nil
	}
	parts := strings.Split(strings.TrimSuffix(text, "/"), "/")
	seen := map[string]bool{}
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("route %q has an empty segment", text)
		}
		if !strings.HasPrefix(p, "{") {
			if strings.ContainsAny(p, "{}") {
				return nil, fmt.Errorf("route %q: segment %q mixes text and parameters, which is not supported", text, p)
			}
			t.segments = append(t.segments, segment{literal: p})
			continue
		}
		if !strings.HasSuffix(p, "}") || strings.Count(p, "{") != 1 {
			return nil, fmt.Errorf("route %q: segment %q is not a single {parameter}", text, p)
		}
		s, err := parseParam(p[1 : len(p)-1])
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", text, err)
		}
		if s.catchAll && i != len(parts)-1 {
			return nil, fmt.Errorf("route %q: catch-all {*%s} must be the last segment", text, s.param)
		}
		key := strings.ToLower(s.param)
		if seen[key] {
			return nil, fmt.Errorf("route %q: parameter %q appears twice", text, s.param)
		}
		seen[key] = true
		t.segments = append(t.segments, s)
	}
	for i, s := range t.segments {
		if s.optional || s.hasDef {
			for _, later := range t.segments[i+1:] {
				if !later.optional && !later.hasDef && !later.catchAll {
					return nil, fmt.Errorf("route %q: optional parameter %q must not be followed by required segments", text, s.param)
				}
			}
		}
	}
	return t, nil
}

func parseParam(body string) (segment, error) {
	var s segment
	if strings.HasPrefix(body, "**") {
		s.catchAll, body = true, body[2:]
	} else if strings.HasPrefix(body, "*") {
		s.catchAll, body = true, body[1:]
	}
	if name, def, ok := strings.Cut(body, "="); ok {
		body, s.def, s.hasDef = name, def, true
	}
	if strings.HasSuffix(body, "?") {
		s.optional, body = true, strings.TrimSuffix(body, "?")
	}
	name, constraints, _ := strings.Cut(body, ":")
	if name == "" {
		return s, errors.New("a parameter has no name")
	}
	for _, c := range []rune(name) {
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return s, fmt.Errorf("parameter name %q has character %q", name, c)
		}
	}
	s.param = name
	if constraints != "" {
		s.constraint = strings.Split(constraints, ":")
		for _, c := range s.constraint {
			if _, err := checkConstraint(c, ""); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

// checkConstraint reports whether v satisfies constraint c; with v == "" it only validates c.
func checkConstraint(c, v string) (bool, error) {
	name := c
	if i := strings.IndexByte(c, '('); i >= 0 {
		name = c[:i]
	}
	switch strings.ToLower(name) {
	case "int", "long":
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil, nil
	case "bool":
		_, err := strconv.ParseBool(strings.ToLower(v))
		return err == nil, nil
	case "alpha":
		for _, r := range v {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false, nil
			}
		}
		return v != "", nil
	case "guid":
		h := strings.ReplaceAll(strings.Trim(v, "{}()"), "-", "")
		if len(h) != 32 {
			return false, nil
		}
		for _, r := range h {
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false, nil
			}
		}
		return true, nil
	case "decimal", "double", "float":
		_, err := strconv.ParseFloat(v, 64)
		return err == nil, nil
	case "datetime", "minlength", "maxlength", "length", "min", "max", "range", "regex", "required", "nonfile", "file":
		// Accepted but not enforced: matching never rejects on them.
		return true, nil
	}
	return false, fmt.Errorf("route constraint %q is not supported", c)
}

// String returns the template text.
func (t *Template) String() string { return t.text }

// Params lists the parameter names in order.
func (t *Template) Params() []string {
	var names []string
	for _, s := range t.segments {
		if s.param != "" {
			names = append(names, s.param)
		}
	}
	return names
}

// OptionalParams lists, in order, the optional parameters without a default ({name?}): the
// ones the Functions host reports as null when a request leaves them out.
func (t *Template) OptionalParams() []string {
	var names []string
	for _, s := range t.segments {
		if s.param != "" && s.optional && !s.hasDef {
			names = append(names, s.param)
		}
	}
	return names
}

// Match matches an unescaped path relative to the route prefix (no leading slash) and returns
// the route values.
func (t *Template) Match(path string) (map[string]string, bool) {
	path = strings.Trim(path, "/")
	var parts []string
	if path != "" {
		parts = strings.Split(path, "/")
	}
	values := map[string]string{}
	for i, s := range t.segments {
		if s.catchAll {
			if i < len(parts) {
				values[s.param] = strings.Join(parts[i:], "/")
			} else if s.hasDef {
				values[s.param] = s.def
			}
			return values, true
		}
		if i >= len(parts) {
			if s.literal != "" || !(s.optional || s.hasDef) {
				return nil, false
			}
			if s.hasDef {
				values[s.param] = s.def
			}
			continue
		}
		p := parts[i]
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		if s.literal != "" {
			if !strings.EqualFold(s.literal, p) {
				return nil, false
			}
			continue
		}
		for _, c := range s.constraint {
			if ok, _ := checkConstraint(c, p); !ok {
				return nil, false
			}
		}
		values[s.param] = p
	}
	if len(parts) > len(t.segments) {
		return nil, false
	}
	return values, true
}
