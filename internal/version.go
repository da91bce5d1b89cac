// Package internal holds constants shared by every package of the module.
package internal

const (
	// ModuleName is reported in the User-Agent telemetry of every REST call.
	ModuleName = "github.com/funcsignalr/funcsignalr"
	// ModuleVersion is the released version of the module.
	ModuleVersion = "v0.1.0"
)
