package localsettings

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileName is the settings file Core Tools reads from the app's root directory.
const FileName = "local.settings.json"

// DefaultProviderName is the ProviderName Core Tools gives a connection string written as a
// plain string (Constants.DefaultSqlProviderName in azure-functions-core-tools).
const DefaultProviderName = "System.Data.SqlClient"

// File is a parsed local.settings.json.
type File struct {
	// Path is the file the settings came from; empty for Parse without a name.
	Path string
	// Found reports whether the file exists. A missing file is no error: Core Tools starts
	// without settings then.
	Found bool
	// IsEncrypted is the file's IsEncrypted flag. Parse refuses encrypted values, so when it
	// is true every value is empty.
	IsEncrypted bool
	// Values holds the app settings, each as the string Core Tools puts in the environment.
	Values map[string]string
	// ConnectionStrings holds the ConnectionStrings section by name.
	ConnectionStrings map[string]ConnectionString
	// Host holds the Host section.
	Host Host
	// Warnings lists what Core Tools skips or ignores in the file (null values, empty keys,
	// unknown sections, CORS origins that can never match), one sentence each, naming keys but
	// never values. The caller prints them at startup.
	Warnings []string
}

// ConnectionString is one entry of the ConnectionStrings section.
type ConnectionString struct {
	Value        string
	ProviderName string
}

// Host is the Host section: settings of the local host itself rather than of the app.
type Host struct {
	// LocalHTTPPort is the port to listen on; 0 when the file does not set it (Core Tools then
	// uses 7071).
	LocalHTTPPort int
	// CORS lists the allowed origins, split on commas with empty entries dropped. A single "*"
	// allows any origin.
	CORS []string
	// CORSCredentials allows credentialed cross-origin requests.
	CORSCredentials bool
}

// AllowAnyOrigin reports whether CORS is the wildcard: ASP.NET Core's CorsPolicy treats "*"
// as any origin only when it is the sole entry.
func (h Host) AllowAnyOrigin() bool { return len(h.CORS) == 1 && h.CORS[0] == "*" }

// Error is a problem with the file's content. It names the file, the position and the key, and
// says what was expected; it never contains a value from the file.
type Error struct {
	File   string
	Line   int
	Column int
	// Key locates the entry, such as Values["AzureWebJobsStorage"] or Host.LocalHttpPort; empty
	// for syntax errors.
	Key string
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads FileName from dir. A missing file gives an empty File with Found false.
func Load(dir string) (*File, error) {
	return Read(filepath.Join(dir, FileName))
}

// Read reads and parses the settings file at path. A missing file gives an empty File with
// Found false; a file larger than MaxFileBytes is an error.
func Read(path string) (*File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Path: path, Values: map[string]string{}, ConnectionStrings: map[string]ConnectionString{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxFileBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("the file is larger than %d bytes; expected a small JSON object of settings", MaxFileBytes)}
	}
	return Parse(path, b)
}

// Parse parses the content of a local.settings.json; name is used in errors and as Path.
//
// It reads the file as Core Tools does (AppSettingsFile.cs, HostStartSettings.cs in
// azure-functions-core-tools): property names of the file and of its Host section match
// without regard to case; Values entries that are numbers or booleans become their JSON text
// ("3", "true"), as Newtonsoft gives a string-typed dictionary; null values are skipped with a
// warning, as Core Tools' UpdateEnvironmentVariables does; comments and trailing commas are
// accepted. Where Core Tools silently drops the whole file (an object or array among the
// Values, a null IsEncrypted, malformed JSON; Azure/azure-functions-core-tools#223, #1401),
// Parse returns an error naming the key and the expected form instead.
func Parse(name string, data []byte) (*File, error) {
	if name == "" {
		name = FileName
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{File: name, Msg: fmt.Sprintf("the file is larger than %d bytes; expected a small JSON object of settings", MaxFileBytes)}
	}
	text, err := decodeText(data)
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	root, err := parseDocument(text)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: se.line, Column: se.col, Msg: "invalid JSON: " + se.msg}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	f := &File{Path: name, Found: true, Values: map[string]string{}, ConnectionStrings: map[string]ConnectionString{}}
	d := decoder{file: name, f: f}
	if err := d.root(root); err != nil {
		return nil, err
	}
	return f, nil
}

type decoder struct {
	file string
	f    *File
}

func (d *decoder) errorAt(v value, key, format string, args ...any) error {
	return &Error{File: d.file, Line: v.line, Column: v.col, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) warn(format string, args ...any) {
	d.f.Warnings = append(d.f.Warnings, fmt.Sprintf(format, args...))
}

// lastByName returns, for each known name, the last member whose name matches it without
// regard to case: Newtonsoft matches properties that way and a later one overwrites an
// earlier one.
func (d *decoder) lastByName(obj value, where string, known ...string) map[string]value {
	out := map[string]value{}
	for _, m := range obj.members {
		matched := false
		for _, k := range known {
			if strings.EqualFold(m.key, k) {
				out[k] = m.val
				matched = true
				break
			}
		}
		if !matched {
			d.warn("%s: %s%s is not a setting Core Tools reads and is ignored (known: %s)", d.file, where, quoteKey(m.key), strings.Join(known, ", "))
		}
	}
	return out
}

func (d *decoder) root(v value) error {
	if v.kind != kindObject {
		return d.errorAt(v, "", "the file holds %s; expected a JSON object such as {\"IsEncrypted\": false, \"Values\": {}}", v.kind)
	}
	top := d.lastByName(v, "", "IsEncrypted", "Values", "ConnectionStrings", "Host")
	if enc, ok := top["IsEncrypted"]; ok {
		b, err := d.boolean(enc, "IsEncrypted")
		if err != nil {
			return err
		}
		d.f.IsEncrypted = b
	}
	if vals, ok := top["Values"]; ok {
		if err := d.values(vals); err != nil {
			return err
		}
	}
	if cs, ok := top["ConnectionStrings"]; ok {
		if err := d.connectionStrings(cs); err != nil {
			return err
		}
	}
	if h, ok := top["Host"]; ok {
		if err := d.host(h); err != nil {
			return err
		}
	}
	if d.f.IsEncrypted {
		if err := d.refuseEncrypted(top); err != nil {
			return err
		}
	}
	return nil
}

// refuseEncrypted fails when IsEncrypted is true and any value is set: those values are
// encrypted with a key of the machine that wrote them (ASP.NET Core Data Protection, through
// "func settings add"), which nothing else can read. Empty values need no decryption, which is
// why Core Tools (AppSettingsFile.GetValues) and this reader accept them.
func (d *decoder) refuseEncrypted(top map[string]value) error {
	const how = "IsEncrypted is true, so the values are encrypted with a key of the machine that wrote them and cannot be read here; run \"func settings decrypt\" on that machine, or set \"IsEncrypted\": false and write the values in plain text"
	for _, m := range top["Values"].members {
		if d.f.Values[m.key] != "" {
			return d.errorAt(m.val, "Values["+quoteKey(m.key)+"]", "%s", how)
		}
	}
	for _, m := range top["ConnectionStrings"].members {
		if d.f.ConnectionStrings[m.key].Value != "" {
			return d.errorAt(m.val, "ConnectionStrings["+quoteKey(m.key)+"]", "%s", how)
		}
	}
	return nil
}

func (d *decoder) values(v value) error {
	if v.kind != kindObject {
		return d.errorAt(v, "Values", "is %s; expected an object of app settings such as {\"AzureWebJobsStorage\": \"UseDevelopmentStorage=true\"}", v.kind)
	}
	seen := map[string]bool{}
	for _, m := range v.members {
		key := "Values[" + quoteKey(m.key) + "]"
		if m.key == "" {
			// Core Tools: "Skipping local setting with empty key." (StartHostAction.cs)
			d.warn("%s: Values has an empty key; it is skipped", d.file)
			continue
		}
		if err := checkEnvName(m.key); err != nil {
			return &Error{File: d.file, Line: m.line, Column: m.col, Key: key, Msg: err.Error()}
		}
		if seen[m.key] {
			d.warn("%s: %s appears more than once; the last one is used", d.file, key)
		}
		seen[m.key] = true
		s, isNull, err := d.scalarString(m.val, key, "an app setting is a string: nested settings are written as flat keys such as \"Parent:Child\" or \"Parent__Child\"")
		if err != nil {
			return err
		}
		if isNull {
			// Core Tools: "Skipping '<key>' because value is null" (StartHostAction.cs).
			delete(d.f.Values, m.key)
			d.warn("%s: %s is null and is skipped; write a string, or remove it", d.file, key)
			continue
		}
		if strings.IndexByte(s, 0) >= 0 {
			return d.errorAt(m.val, key, "contains a NUL character, which an environment variable cannot hold")
		}
		d.f.Values[m.key] = s
	}
	return nil
}

// checkEnvName refuses names the process environment cannot hold. Only the part before an '='
// is shown: a connection string pasted as a key would otherwise leak.
func checkEnvName(k string) error {
	if strings.IndexByte(k, 0) >= 0 {
		return errors.New("the key contains a NUL character, which an environment variable name cannot hold")
	}
	if strings.IndexByte(k, '=') >= 0 {
		return errors.New("the key contains '=', which an environment variable name cannot hold; expected the setting's name, with its value on the right of the ':'")
	}
	return nil
}

func (d *decoder) connectionStrings(v value) error {
	if v.kind == kindNull {
		return nil
	}
	if v.kind != kindObject {
		return d.errorAt(v, "ConnectionStrings", "is %s; expected an object such as {\"MyDb\": \"Server=…\"}", v.kind)
	}
	const form = "a connection string is a string, or an object {\"ConnectionString\": \"…\", \"ProviderName\": \"…\"}"
	for _, m := range v.members {
		key := "ConnectionStrings[" + quoteKey(m.key) + "]"
		if m.key == "" {
			d.warn("%s: ConnectionStrings has an empty key; it is skipped", d.file)
			continue
		}
		if err := checkEnvName(m.key); err != nil {
			return &Error{File: d.file, Line: m.line, Column: m.col, Key: key, Msg: err.Error()}
		}
		cs := ConnectionString{ProviderName: DefaultProviderName}
		switch m.val.kind {
		case kindString:
			cs.Value = m.val.text
		case kindObject:
			// Core Tools reads the object with JToken's indexer, which matches names exactly
			// (AppSettingsFile.GetConnectionStrings).
			var found bool
			cs.ProviderName = ""
			for _, p := range m.val.members {
				switch p.key {
				case "ConnectionString":
					s, isNull, err := d.scalarString(p.val, key+".ConnectionString", form)
					if err != nil {
						return err
					}
					cs.Value, found = s, !isNull
				case "ProviderName":
					s, _, err := d.scalarString(p.val, key+".ProviderName", "the provider name is a string such as \"System.Data.SqlClient\"")
					if err != nil {
						return err
					}
					cs.ProviderName = s
				}
			}
			if !found {
				return d.errorAt(m.val, key, "has no \"ConnectionString\" string (the name is case-sensitive); expected %s", form)
			}
		default:
			return d.errorAt(m.val, key, "is %s; expected %s", m.val.kind, form)
		}
		if strings.IndexByte(cs.Value, 0) >= 0 {
			return d.errorAt(m.val, key, "contains a NUL character, which an environment variable cannot hold")
		}
		// Core Tools adds each as the setting "ConnectionStrings:<name>" beside the Values,
		// with Dictionary.Add, so a duplicate stops the start (StartHostAction.cs).
		if _, dup := d.f.Values["ConnectionStrings:"+m.key]; dup {
			return d.errorAt(m.val, key, "is also set as Values[%s]; keep one of the two", quoteKey("ConnectionStrings:"+m.key))
		}
		d.f.ConnectionStrings[m.key] = cs
	}
	return nil
}

func (d *decoder) host(v value) error {
	if v.kind == kindNull {
		return nil
	}
	if v.kind != kindObject {
		return d.errorAt(v, "Host", "is %s; expected an object such as {\"LocalHttpPort\": 7071, \"CORS\": \"http://localhost:8080\"}", v.kind)
	}
	h := d.lastByName(v, "Host.", "LocalHttpPort", "CORS", "CORSCredentials")
	if p, ok := h["LocalHttpPort"]; ok {
		port, err := d.port(p)
		if err != nil {
			return err
		}
		d.f.Host.LocalHTTPPort = port
	}
	if c, ok := h["CORS"]; ok {
		s, _, err := d.scalarString(c, "Host.CORS", "CORS is one string of origins separated by commas, such as \"http://localhost:8080,https://example.com\"")
		if err != nil {
			return err
		}
		for _, o := range strings.Split(s, ",") {
			// Core Tools splits without trimming (Startup.cs), so " http://b" never matches a
			// browser's Origin there; trimming is the tolerant reading.
			if o = strings.TrimSpace(o); o != "" {
				d.f.Host.CORS = append(d.f.Host.CORS, o)
			}
		}
		d.checkOrigins(c)
	}
	if c, ok := h["CORSCredentials"]; ok {
		b, err := d.boolean(c, "Host.CORSCredentials")
		if err != nil {
			return err
		}
		d.f.Host.CORSCredentials = b
	}
	if d.f.Host.CORSCredentials && d.f.Host.AllowAnyOrigin() {
		// ASP.NET Core's CorsPolicyBuilder refuses this combination, so Core Tools does not start.
		return d.errorAt(h["CORSCredentials"], "Host.CORSCredentials", "is true while Host.CORS is \"*\"; the CORS protocol does not allow credentials with any origin: list the origins that send credentials instead of \"*\"")
	}
	return nil
}

// checkOrigins warns about origins a browser's Origin header can never equal.
func (d *decoder) checkOrigins(v value) {
	origins := d.f.Host.CORS
	for _, o := range origins {
		if o == "*" {
			if len(origins) > 1 {
				d.warn("%s: Host.CORS: \"*\" allows any origin only as the sole entry; among other origins it matches nothing", d.file)
			}
			continue
		}
		u, err := url.Parse(o)
		switch {
		case err != nil || u.Scheme == "" || u.Host == "":
			d.warn("%s: Host.CORS: %s is not an origin such as http://localhost:8080 and never matches", d.file, quoteKey(o))
		case u.Path != "" || u.RawQuery != "" || u.Fragment != "":
			d.warn("%s: Host.CORS: %s has a path; a browser's Origin has none (no trailing '/'), so it never matches", d.file, quoteKey(o))
		}
	}
}

// scalarString reads a value Newtonsoft would read into a string (JsonReader.ReadAsString):
// strings as they are, numbers as their literal text, booleans as "true"/"false", null as
// null. Objects and arrays are errors.
func (d *decoder) scalarString(v value, key, expected string) (s string, isNull bool, err error) {
	switch v.kind {
	case kindString, kindNumber, kindBool:
		return v.text, false, nil
	case kindNull:
		return "", true, nil
	}
	return "", false, d.errorAt(v, key, "is %s; expected a string (%s)", v.kind, expected)
}

// boolean reads a value as Newtonsoft's ReadAsBoolean does: true/false, the strings "true" and
// "false" in any case, or a number (non-zero is true).
func (d *decoder) boolean(v value, key string) (bool, error) {
	switch v.kind {
	case kindBool:
		return v.text == "true", nil
	case kindString:
		switch strings.ToLower(strings.TrimSpace(v.text)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	case kindNumber:
		f, err := strconv.ParseFloat(v.text, 64)
		if err == nil {
			return f != 0, nil
		}
	}
	return false, d.errorAt(v, key, "is not a boolean; expected true or false")
}

// port reads Host.LocalHttpPort: an integer, or a string holding one (Newtonsoft's
// ReadAsInt32 accepts both), from 0 (not set) to 65535.
func (d *decoder) port(v value) (int, error) {
	const expected = "expected a TCP port number from 1 to 65535, such as 7071"
	var text string
	switch v.kind {
	case kindNumber:
		text = v.text
	case kindString:
		text = strings.TrimSpace(v.text)
	case kindNull:
		return 0, nil
	default:
		return 0, d.errorAt(v, "Host.LocalHttpPort", "is %s; %s", v.kind, expected)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 || n > math.MaxUint16 {
		return 0, d.errorAt(v, "Host.LocalHttpPort", "is not a port number; %s", expected)
	}
	return int(n), nil
}
