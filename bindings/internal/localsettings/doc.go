// Package localsettings reads local.settings.json the way Azure Functions Core Tools does, for
// the local runner.
//
// Load (or Read, or Parse) returns a File: IsEncrypted, Values (the app settings, each a
// string), ConnectionStrings and the Host section (LocalHttpPort, CORS origins,
// CORSCredentials). Settings flattens Values and ConnectionStrings into the names Core Tools
// gives them; Merge lays the real environment over them, the environment winning as it does
// in Core Tools; Lookup resolves setting names with .NET configuration semantics, for
// %AppSetting% expressions and connection setting names.
//
// The reader accepts what Core Tools accepts (comments, trailing commas and the other
// relaxations of Newtonsoft.Json, numbers and booleans among the Values) and refuses, with an
// error naming the file, line, column, key and expected form, what Core Tools silently drops:
// nested objects among the Values, encrypted values, malformed JSON. Errors and warnings name
// keys but never values, which are secrets. The file is bounded by MaxFileBytes and the
// parser's nesting depth, and the parser is fuzzed.
package localsettings
