package localsettings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secret marks values in the test files; no error or warning may contain it.
const secret = "s3cr3tValue"

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		values   map[string]string
		conns    map[string]ConnectionString
		host     Host
		enc      bool
		warnings []string // substrings, one per expected warning, in order
	}{
		{
			name: "the documented shape",
			file: `{"IsEncrypted":false,"Values":{"FUNCTIONS_WORKER_RUNTIME":"Custom","AzureWebJobsStorage":"UseDevelopmentStorage=true","AzureSignalRConnectionString":"Endpoint=http://localhost;AccessKey=` + secret + `;Version=1.0;"},"Host":{"LocalHttpPort":7071,"CORS":"http://localhost:8080","CORSCredentials":true}}`,
			values: map[string]string{
				"FUNCTIONS_WORKER_RUNTIME":     "Custom",
				"AzureWebJobsStorage":          "UseDevelopmentStorage=true",
				"AzureSignalRConnectionString": "Endpoint=http://localhost;AccessKey=" + secret + ";Version=1.0;",
			},
			host: Host{LocalHTTPPort: 7071, CORS: []string{"http://localhost:8080"}, CORSCredentials: true},
		},
		{
			// Newtonsoft's reader accepts all of these (JsonTextReader.cs ParseComment,
			// ParseObject, ParseProperty), so Core Tools does.
			name:   "comments, trailing commas, single quotes, unquoted names, CRLF",
			file:   "\ufeff{\r\n  // the app's settings\r\n  \"Values\": {\r\n    /* a block\r\n       comment */ 'Single': 'it\\'s',\r\n    Bare_Name$: \"x // not a comment\",\r\n    \"Url\": \"http://a/*b*/\",\r\n  },\r\n  \"Host\": { LocalHttpPort: 7072, },\r\n}\r\n// trailing comment",
			values: map[string]string{"Single": "it's", "Bare_Name$": "x // not a comment", "Url": "http://a/*b*/"},
			host:   Host{LocalHTTPPort: 7072},
		},
		{
			name:   "section and Host names match without regard to case",
			file:   `{"isencrypted":"FALSE","values":{"A":"1"},"host":{"localhttpport":"8080","cors":"*","corscredentials":"false"},"connectionstrings":{"Db":"Server=x"}}`,
			values: map[string]string{"A": "1"},
			conns:  map[string]ConnectionString{"Db": {Value: "Server=x", ProviderName: DefaultProviderName}},
			host:   Host{LocalHTTPPort: 8080, CORS: []string{"*"}},
		},
		{
			// Newtonsoft gives a string-typed dictionary the literal text of numbers and
			// "true"/"false" for booleans (JsonTextReader.ReadStringValue, ParseReadNumber).
			name:   "numbers and booleans become their JSON text",
			file:   `{"Values":{"N":3,"F":1.50,"E":-1e3,"T":true,"B":false}}`,
			values: map[string]string{"N": "3", "F": "1.50", "E": "-1e3", "T": "true", "B": "false"},
		},
		{
			name:     "null values and empty keys are skipped with Core Tools' warnings",
			file:     `{"Values":{"Gone":null,"":"x","Kept":""}}`,
			values:   map[string]string{"Kept": ""},
			warnings: []string{`Values["Gone"] is null and is skipped`, "Values has an empty key"},
		},
		{
			name:     "a repeated key keeps the last value",
			file:     `{"Values":{"K":"first","K":"second"}}`,
			values:   map[string]string{"K": "second"},
			warnings: []string{`Values["K"] appears more than once`},
		},
		{
			name:   "a repeated section keeps the last one",
			file:   `{"Values":{"A":"1"},"VALUES":{"B":"2"}}`,
			values: map[string]string{"B": "2"},
		},
		{
			name: "connection strings as strings and objects",
			file: `{"ConnectionStrings":{"Plain":"Server=a","Full":{"ConnectionString":"Server=b","ProviderName":"Npgsql"},"NoProvider":{"ConnectionString":"Server=c"}}}`,
			conns: map[string]ConnectionString{
				"Plain":      {Value: "Server=a", ProviderName: DefaultProviderName},
				"Full":       {Value: "Server=b", ProviderName: "Npgsql"},
				"NoProvider": {Value: "Server=c"},
			},
		},
		{
			// Values need no decryption when they are empty (AppSettingsFile.GetValues).
			name:   "IsEncrypted with only empty values",
			file:   `{"IsEncrypted":true,"Values":{"A":""}}`,
			values: map[string]string{"A": ""},
			enc:    true,
		},
		{
			name: "CORS origins are split on commas, trimmed, empty entries dropped",
			file: `{"Host":{"CORS":" http://a:1 ,,https://b.example.com,","CORSCredentials":1}}`,
			host: Host{CORS: []string{"http://a:1", "https://b.example.com"}, CORSCredentials: true},
		},
		{
			name: "CORS origins that never match are warned about",
			file: `{"Host":{"CORS":"http://a/,localhost:8080,*"}}`,
			host: Host{CORS: []string{"http://a/", "localhost:8080", "*"}},
			warnings: []string{
				`"http://a/" has a path`,
				`"localhost:8080" is not an origin`,
				`"*" allows any origin only as the sole entry`,
			},
		},
		{
			name:     "unknown sections and Host settings are ignored with a warning",
			file:     `{"Value":{"A":"1"},"Host":{"Port":1}}`,
			warnings: []string{`"Value" is not a setting Core Tools reads`, `Host."Port" is not a setting`},
		},
		{
			name: "null sections",
			file: `{"Host":null,"ConnectionStrings":null}`,
		},
		{
			name:   "escapes and surrogate pairs",
			file:   `{"Values":{"E":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\ud800"}}`,
			values: map[string]string{"E": "a\"b\\c/d\b\f\n\r\t\u00e9\U0001F600\uFFFD"},
		},
		{
			name: "an empty object",
			file: ` {} `,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("local.settings.json", []byte(tt.file))
			require.NoError(t, err)
			assert.True(t, f.Found)
			assert.Equal(t, "local.settings.json", f.Path)
			if tt.values == nil {
				tt.values = map[string]string{}
			}
			if tt.conns == nil {
				tt.conns = map[string]ConnectionString{}
			}
			assert.Equal(t, tt.values, f.Values)
			assert.Equal(t, tt.conns, f.ConnectionStrings)
			assert.Equal(t, tt.host, f.Host)
			assert.Equal(t, tt.enc, f.IsEncrypted)
			require.Len(t, f.Warnings, len(tt.warnings), "%q", f.Warnings)
			for i, w := range tt.warnings {
				assert.Contains(t, f.Warnings[i], w)
				assert.True(t, strings.HasPrefix(f.Warnings[i], "local.settings.json: "), f.Warnings[i])
			}
		})
	}
}

func TestParseUTF16(t *testing.T) {
	const text = `{"Values":{"A":"é😀"}}`
	for _, le := range []bool{true, false} {
		u := utf16.Encode([]rune(text))
		b := []byte{0xFE, 0xFF}
		if le {
			b = []byte{0xFF, 0xFE}
		}
		for _, c := range u {
			if le {
				b = append(b, byte(c), byte(c>>8))
			} else {
				b = append(b, byte(c>>8), byte(c))
			}
		}
		f, err := Parse("", b)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"A": "é😀"}, f.Values)
		assert.Equal(t, FileName, f.Path)
	}
	_, err := Parse("x.json", []byte{0xFF, 0xFE, '{'})
	require.EqualError(t, err, "x.json: the file starts with a UTF-16 byte order mark but has an odd number of bytes")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // the whole message
	}{
		{
			// Core Tools reads Values as Dictionary<string,string> and silently drops the whole
			// file on an object (Azure/azure-functions-core-tools#223).
			name: "a nested object among the Values",
			file: "{\n  \"Values\": {\n    \"Obj\": {\"Inner\": \"" + secret + "\"}\n  }\n}",
			want: `f.json:3:12: Values["Obj"]: is an object; expected a string (an app setting is a string: nested settings are written as flat keys such as "Parent:Child" or "Parent__Child")`,
		},
		{
			name: "an array among the Values",
			file: `{"Values":{"Arr":["` + secret + `"]}}`,
			want: `f.json:1:18: Values["Arr"]: is an array; expected a string (an app setting is a string: nested settings are written as flat keys such as "Parent:Child" or "Parent__Child")`,
		},
		{
			name: "encrypted values",
			file: `{"IsEncrypted":true,"Values":{"Empty":"","Key":"` + secret + `"}}`,
			want: `f.json:1:48: Values["Key"]: IsEncrypted is true, so the values are encrypted with a key of the machine that wrote them and cannot be read here; run "func settings decrypt" on that machine, or set "IsEncrypted": false and write the values in plain text`,
		},
		{
			name: "an encrypted connection string",
			file: `{"IsEncrypted":"True","ConnectionStrings":{"Db":"` + secret + `"}}`,
			want: `f.json:1:49: ConnectionStrings["Db"]: IsEncrypted is true, so the values are encrypted with a key of the machine that wrote them and cannot be read here; run "func settings decrypt" on that machine, or set "IsEncrypted": false and write the values in plain text`,
		},
		{
			name: "a null IsEncrypted",
			file: `{"IsEncrypted":null}`,
			want: `f.json:1:16: IsEncrypted: is not a boolean; expected true or false`,
		},
		{
			name: "IsEncrypted as a word",
			file: `{"IsEncrypted":"` + secret + `"}`,
			want: `f.json:1:16: IsEncrypted: is not a boolean; expected true or false`,
		},
		{
			name: "Values as an array",
			file: `{"Values":["` + secret + `"]}`,
			want: `f.json:1:11: Values: is an array; expected an object of app settings such as {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}`,
		},
		{
			name: "Values as null",
			file: `{"Values":null}`,
			want: `f.json:1:11: Values: is null; expected an object of app settings such as {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}`,
		},
		{
			name: "a top-level array",
			file: `["` + secret + `"]`,
			want: `f.json:1:1: the file holds an array; expected a JSON object such as {"IsEncrypted": false, "Values": {}}`,
		},
		{
			name: "a top-level null",
			file: `null`,
			want: `f.json:1:1: the file holds null; expected a JSON object such as {"IsEncrypted": false, "Values": {}}`,
		},
		{
			name: "an empty file",
			file: "\ufeff  \n",
			want: `f.json:2:1: invalid JSON: the file is empty; expected a JSON object such as {"IsEncrypted": false, "Values": {}}`,
		},
		{
			name: "only a comment",
			file: "// nothing",
			want: `f.json:1:11: invalid JSON: the file is empty; expected a JSON object such as {"IsEncrypted": false, "Values": {}}`,
		},
		{
			name: "a port out of range",
			file: `{"Host":{"LocalHttpPort":70000}}`,
			want: `f.json:1:26: Host.LocalHttpPort: is not a port number; expected a TCP port number from 1 to 65535, such as 7071`,
		},
		{
			name: "a negative port",
			file: `{"Host":{"LocalHttpPort":"-1"}}`,
			want: `f.json:1:26: Host.LocalHttpPort: is not a port number; expected a TCP port number from 1 to 65535, such as 7071`,
		},
		{
			name: "a fractional port",
			file: `{"Host":{"LocalHttpPort":7071.5}}`,
			want: `f.json:1:26: Host.LocalHttpPort: is not a port number; expected a TCP port number from 1 to 65535, such as 7071`,
		},
		{
			name: "a boolean port",
			file: `{"Host":{"LocalHttpPort":true}}`,
			want: `f.json:1:26: Host.LocalHttpPort: is a boolean; expected a TCP port number from 1 to 65535, such as 7071`,
		},
		{
			name: "CORS as an array",
			file: `{"Host":{"CORS":["http://a"]}}`,
			want: `f.json:1:17: Host.CORS: is an array; expected a string (CORS is one string of origins separated by commas, such as "http://localhost:8080,https://example.com")`,
		},
		{
			// ASP.NET Core's CorsPolicyBuilder throws for this pair, so Core Tools cannot start.
			name: "credentials with any origin",
			file: `{"Host":{"CORS":"*","CORSCredentials":true}}`,
			want: `f.json:1:39: Host.CORSCredentials: is true while Host.CORS is "*"; the CORS protocol does not allow credentials with any origin: list the origins that send credentials instead of "*"`,
		},
		{
			name: "a connection string pasted as a key",
			file: `{"Values":{"Endpoint=https://x;AccessKey=` + secret + `":""}}`,
			want: `f.json:1:12: Values["Endpoint=…"]: the key contains '=', which an environment variable name cannot hold; expected the setting's name, with its value on the right of the ':'`,
		},
		{
			name: "a NUL in a value",
			file: `{"Values":{"K":"` + secret + `\u0000"}}`,
			want: `f.json:1:16: Values["K"]: contains a NUL character, which an environment variable cannot hold`,
		},
		{
			name: "a NUL in a key",
			file: `{"Values":{"K\u0000":"` + secret + `"}}`,
			want: `f.json:1:12: Values["K\x00"]: the key contains a NUL character, which an environment variable name cannot hold`,
		},
		{
			name: "a connection string object without ConnectionString",
			file: `{"ConnectionStrings":{"Db":{"connectionString":"` + secret + `"}}}`,
			want: `f.json:1:28: ConnectionStrings["Db"]: has no "ConnectionString" string (the name is case-sensitive); expected a connection string is a string, or an object {"ConnectionString": "…", "ProviderName": "…"}`,
		},
		{
			name: "a connection string as a number",
			file: `{"ConnectionStrings":{"Db":42}}`,
			want: `f.json:1:28: ConnectionStrings["Db"]: is a number; expected a connection string is a string, or an object {"ConnectionString": "…", "ProviderName": "…"}`,
		},
		{
			name: "a connection string also among the Values",
			file: `{"Values":{"ConnectionStrings:Db":"a"},"ConnectionStrings":{"Db":"` + secret + `"}}`,
			want: `f.json:1:66: ConnectionStrings["Db"]: is also set as Values["ConnectionStrings:Db"]; keep one of the two`,
		},
		{
			name: "a missing comma",
			file: "{\"Values\": {\"A\": \"" + secret + "\"\n \"B\": \"x\"}}",
			want: `f.json:2:2: invalid JSON: expected ',' or '}' after the value of "A"`,
		},
		{
			name: "an unterminated string",
			file: "{\"Values\": {\"A\": \"" + secret + "}}",
			want: `f.json:1:18: invalid JSON: a string is never closed with its quote`,
		},
		{
			name: "an unterminated block comment",
			file: "{ /* " + secret,
			want: `f.json:1:3: invalid JSON: a /* comment is never closed with */`,
		},
		{
			name: "a lone slash",
			file: `{"A":/` + secret + `}`,
			want: `f.json:1:6: invalid JSON: a '/' that does not start a // or /* comment`,
		},
		{
			name: "text after the object",
			file: `{} ` + secret,
			want: `f.json:1:4: invalid JSON: unexpected text after the end of the top-level value`,
		},
		{
			name: "an unknown escape",
			file: `{"Values":{"A":"\x` + secret + `"}}`,
			want: `f.json:1:18: invalid JSON: an unknown escape sequence in a string; expected one of \" \\ \/ \b \f \n \r \t \uXXXX`,
		},
		{
			name: "a short unicode escape",
			file: `{"Values":{"A":"\u12"}}`,
			want: `f.json:1:19: invalid JSON: a \u escape needs four hexadecimal digits`,
		},
		{
			name: "an empty array element",
			file: `{"A":[1,,2]}`,
			want: `f.json:1:9: invalid JSON: expected a value: a string in double quotes, a number, true, false, null, an object or an array`,
		},
		{
			name: "an unquoted value",
			file: `{"Values":{"A":` + secret + `}}`,
			want: `f.json:1:16: invalid JSON: expected a value: a string in double quotes, a number, true, false, null, an object or an array`,
		},
		{
			name: "a number followed by letters",
			file: `{"Values":{"A":12` + secret + `}}`,
			want: `f.json:1:18: invalid JSON: a number is followed by letters; put text values in double quotes`,
		},
		{
			name: "a number without digits after the point",
			file: `{"A":1.}`,
			want: `f.json:1:8: invalid JSON: a number needs digits after its decimal point`,
		},
		{
			name: "a missing colon",
			file: `{"Values" {}}`,
			want: `f.json:1:11: invalid JSON: expected ':' after the property name "Values"`,
		},
		{
			name: "a bad property name",
			file: `{,}`,
			want: `f.json:1:2: invalid JSON: expected a property name in double quotes or '}'`,
		},
		{
			name: "an unclosed object",
			file: "{\"Values\": {\"A\": \"" + secret + "\"",
			want: `f.json:1:31: invalid JSON: the object that starts at line 1, column 12 is never closed with '}'`,
		},
		{
			name: "an unclosed array",
			file: `{"A":[1`,
			want: `f.json:1:8: invalid JSON: the array that starts at line 1, column 6 is never closed with ']'`,
		},
		{
			name: "deep nesting",
			file: `{"A":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
			want: `f.json:1:69: invalid JSON: nesting deeper than 64 levels`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("f.json", []byte(tt.file))
			require.Error(t, err)
			assert.Nil(t, f)
			assert.Equal(t, tt.want, err.Error())
			assert.NotContains(t, err.Error(), secret)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "f.json", e.File)
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse("big.json", make([]byte, MaxFileBytes+1))
	require.EqualError(t, err, "big.json: the file is larger than 1048576 bytes; expected a small JSON object of settings")
}

func TestRead(t *testing.T) {
	dir := t.TempDir()

	f, err := Load(dir)
	require.NoError(t, err, "a missing file is no error")
	assert.False(t, f.Found)
	assert.Equal(t, filepath.Join(dir, FileName), f.Path)
	assert.Empty(t, f.Values)
	assert.Empty(t, f.Settings())

	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), []byte(`{"Values":{"A":"1"},"ConnectionStrings":{"Db":"x"}}`), 0o600))
	f, err = Load(dir)
	require.NoError(t, err)
	assert.True(t, f.Found)
	assert.Equal(t, map[string]string{"A": "1", "ConnectionStrings:Db": "x"}, f.Settings())

	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, make([]byte, MaxFileBytes+10), 0o600))
	_, err = Read(big)
	require.EqualError(t, err, big+": the file is larger than 1048576 bytes; expected a small JSON object of settings")

	_, err = Read(dir) // a directory
	require.Error(t, err)
	assert.Contains(t, err.Error(), dir)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"Values":{"A":{}}}`), 0o600))
	_, err = Read(bad)
	require.EqualError(t, err, bad+`:1:16: Values["A"]: is an object; expected a string (an app setting is a string: nested settings are written as flat keys such as "Parent:Child" or "Parent__Child")`)
}
