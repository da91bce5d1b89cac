package fakehost

import (
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
)

// headerField is one request header as the host holds it: the name as the caller wrote it
// (headers .NET knows in .NET's spelling) and one value per field line.
type headerField struct {
	name   string
	values []string
}

// knownHeaders are the request headers Kestrel and System.Net.Http know, keyed by their
// canonical Go form: whatever the caller wrote, the host shows them in this spelling. Every other
// name keeps the caller's spelling.
var knownHeaders = func() map[string]string {
	names := []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Access-Control-Request-Headers",
		"Access-Control-Request-Method", "Allow", "Authorization", "baggage", "Cache-Control", "Connection",
		"Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
		"Content-MD5", "Content-Range", "Content-Type", "Cookie", "Correlation-Context", "Date", "Expect",
		"Expires", "From", "Grpc-Accept-Encoding", "Grpc-Encoding", "Grpc-Timeout", "Host", "If-Match",
		"If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Keep-Alive", "Last-Modified",
		"Max-Forwards", "Origin", "Pragma", "Proxy-Authorization", "Range", "Referer", "Request-Id", "TE",
		"traceparent", "tracestate", "Trailer", "Transfer-Encoding", "Translate", "Upgrade",
		"Upgrade-Insecure-Requests", "User-Agent", "Via", "Warning",
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[textproto.CanonicalMIMEHeaderKey(n)] = n
	}
	return m
}()

// contentHeaders are the headers System.Net.Http keeps on HttpContent rather than on the
// request: the SignalR extension's InvocationContext.Headers, built from
// HttpRequestMessage.Headers, never shows them (SignalRTriggerUtils.cs GetHeaderDictionary).
var contentHeaders = map[string]bool{
	"Allow": true, "Content-Disposition": true, "Content-Encoding": true, "Content-Language": true,
	"Content-Length": true, "Content-Location": true, "Content-Md5": true, "Content-Range": true,
	"Content-Type": true, "Expires": true, "Last-Modified": true,
}

// requestHeaders lists r's headers as ASP.NET Core holds them: Host, Content-Length and
// Transfer-Encoding included (net/http moves them out of r.Header), names spelled as the
// caller or .NET spell them. The order is by name; Kestrel's own order (known headers in a
// fixed order, then the others) is not reproduced.
func requestHeaders(r *http.Request, raw map[string]string) []headerField {
	all := make(map[string][]string, len(r.Header)+3)
	for k, v := range r.Header {
		all[k] = v
	}
	if r.Host != "" {
		all["Host"] = []string{r.Host}
	}
	if len(r.TransferEncoding) > 0 {
		all["Transfer-Encoding"] = []string{strings.Join(r.TransferEncoding, ", ")}
	} else if r.ContentLength > 0 && len(all["Content-Length"]) == 0 {
		all["Content-Length"] = []string{strconv.FormatInt(r.ContentLength, 10)}
	}
	fields := make([]headerField, 0, len(all))
	for k, v := range all {
		name := k
		if known, ok := knownHeaders[k]; ok {
			name = known
		} else if spelled, ok := raw[k]; ok {
			name = spelled
		}
		fields = append(fields, headerField{name: name, values: v})
	}
	sort.Slice(fields, func(i, j int) bool {
		a, b := strings.ToLower(fields[i].name), strings.ToLower(fields[j].name)
		if a != b {
			return a < b
		}
		return fields[i].name < fields[j].name
	})
	return fields
}
