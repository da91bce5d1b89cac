package signalrtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/golang-jwt/jwt/v5"
)

// Error codes of the service, sent in the x-ms-error-code header.
const (
	codeConnectionNotExisted  = "Warning.Connection.NotExisted"
	codeUserNotExisted        = "Warning.User.NotExisted"
	codeGroupNotExisted       = "Warning.Group.NotExisted"
	codeUserNotInGroup        = "Info.User.NotInGroup"
	codeConnectionNotExistedE = "Error.Connection.NotExisted"
	codeInvalidRequest        = "Error.Request.Invalid"
)

const maxRESTBody = 1 << 20 // the service's REST body limit

var hubNameRE = regexp.MustCompile("^[A-Za-z][A-Za-z0-9_`,.\\[\\]]{0,127}$")

// statusRecorder captures the status and error code for the call log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// restReq is one parsed REST request.
type restReq struct {
	w      http.ResponseWriter
	r      *http.Request
	v1     bool     // legacy /api/v1/hubs route: v1 status codes
	hub    string   // normalised hub (with application prefix)
	segs   []string // unescaped path segments after the hub
	body   []byte
	query  url.Values
	caller identity
}

func (q *restReq) fail(status int, code, msg string) {
	writeError(q.w, status, code, msg)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("x-ms-error-code", code)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Code    string `json:"code,omitempty"`
		Message string `json:"message"`
	}{code, msg})
	_, _ = w.Write(b)
}

func writeUnauthorized(w http.ResponseWriter, err error) {
	desc := "The token is invalid"
	switch {
	case errors.Is(err, errBadAudience):
		desc = "The audience is invalid" + strings.TrimPrefix(err.Error(), errBadAudience.Error())
	case errors.Is(err, errNoToken):
		w.Header().Set("WWW-Authenticate", "Bearer")
		w.WriteHeader(http.StatusUnauthorized)
		return
	case err != nil && strings.Contains(err.Error(), "expired"):
		desc = "The token expired"
	case err != nil && strings.Contains(err.Error(), "signature"):
		desc = "The signature is invalid"
	}
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+quotedStringSafe(desc)+`"`)
	w.WriteHeader(http.StatusUnauthorized)
}

// quotedStringSafe makes text safe inside an HTTP quoted-string: the paths
// and hosts it may hold come from the request.
func quotedStringSafe(text string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return '\''
		}
		return r
	}, text)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "", "encoding the response failed")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, segs []string) {
	r = s.trace.restStart(r)
	rec := &statusRecorder{ResponseWriter: w}
	call := RESTCall{Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
	defer func() {
		call.Status = rec.status
		call.ErrorCode = rec.Header().Get("x-ms-error-code")
		s.recordREST(call)
		s.trace.restDone(r, &call)
	}()
	w = rec

	aud := restAudience(r, segs)
	segs = segs[1:] // drop "api"
	v1 := false
	if len(segs) > 0 && segs[0] == "v1" {
		v1 = true
		segs = segs[1:]
	}
	if len(segs) == 0 {
		writeError(w, http.StatusNotFound, "", "no such REST route")
		return
	}
	switch {
	case len(segs) == 1 && segs[0] == "health":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			allow(w, http.MethodGet, http.MethodHead)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	case len(segs) == 2 && segs[0] == "auth" && strings.EqualFold(segs[1], "accessKey"):
		s.serveAccessKey(w, r, aud)
		return
	case segs[0] != "hubs" || len(segs) < 2:
		writeError(w, http.StatusNotFound, "", "no such REST route; expected /api/hubs/{hub}/…")
		return
	}

	q := &restReq{w: w, r: r, v1: v1, segs: segs[2:], query: r.URL.Query()}
	hubName := segs[1]
	if !hubNameRE.MatchString(hubName) {
		q.fail(http.StatusBadRequest, codeInvalidRequest, "invalid hub name; expected a letter followed by up to 127 letters, digits or _`,.[]")
		return
	}
	app := q.query.Get("application")
	if app != "" && !hubNameRE.MatchString(app) {
		q.fail(http.StatusBadRequest, codeInvalidRequest, "invalid application name; expected a letter followed by up to 127 letters, digits or _`,.[]")
		return
	}
	q.hub = normHub(hubName)
	if app != "" {
		q.hub = normHub(app) + "_" + q.hub
	}
	call.Hub = q.hub

	id, err := s.validateToken(r, bearerToken(r, false), aud, true, false)
	if err != nil {
		s.trace.rejected(r, q.hub, err)
		writeUnauthorized(w, err)
		return
	}
	q.caller = id

	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxRESTBody+1))
		if err != nil {
			q.fail(http.StatusBadRequest, codeInvalidRequest, "reading the request body failed")
			return
		}
		if len(b) > maxRESTBody {
			q.fail(http.StatusRequestEntityTooLarge, codeInvalidRequest, "request body is larger than 1 MB")
			return
		}
		q.body = b
		call.Body = b
	}
	s.route(q)
}

// route dispatches on the segments after /api/hubs/{hub}.
func (s *Server) route(q *restReq) {
	m := q.r.Method
	sg := q.segs
	n := len(sg)
	is := func(i int, v string) bool { return i < n && sg[i] == v }
	switch {
	case n == 0 || (n == 1 && sg[0] == ""):
		if m == http.MethodPost { // v1 broadcast
			s.restSend(q, "all", "")
			return
		}
		allow(q.w, http.MethodPost)
	case n == 1 && sg[0] == ":send":
		s.restSend(q, "all", "")
	case n == 1 && sg[0] == ":closeConnections":
		s.restClose(q, "all", "")
	case n == 1 && sg[0] == ":generateToken":
		s.restGenerateToken(q)
	case n == 1 && sg[0] == ":execute":
		s.restExecute(q)

	case is(0, "users") && n == 2:
		switch m {
		case http.MethodPost:
			s.restSend(q, "user", sg[1])
		case http.MethodGet, http.MethodHead:
			s.restExists(q, "user", sg[1])
		default:
			allow(q.w, http.MethodPost, http.MethodGet, http.MethodHead)
		}
	case is(0, "users") && n == 3 && sg[2] == ":send":
		s.restSend(q, "user", sg[1])
	case is(0, "users") && n == 3 && sg[2] == ":closeConnections":
		s.restClose(q, "user", sg[1])
	case is(0, "users") && n == 3 && sg[2] == "groups":
		s.restUserAllGroups(q, sg[1])
	case is(0, "users") && n == 4 && sg[2] == "groups":
		s.restUserGroup(q, sg[1], sg[3])
	case is(0, "groups") && n == 4 && sg[2] == "users": // v1 and swapped form
		s.restUserGroup(q, sg[3], sg[1])

	case is(0, "connections") && n == 2:
		switch m {
		case http.MethodPost:
			s.restSend(q, "connection", sg[1])
		case http.MethodGet, http.MethodHead:
			s.restExists(q, "connection", sg[1])
		case http.MethodDelete:
			s.restCloseConnection(q, sg[1])
		default:
			allow(q.w, http.MethodPost, http.MethodGet, http.MethodHead, http.MethodDelete)
		}
	case is(0, "connections") && n == 3 && sg[2] == ":send":
		s.restSend(q, "connection", sg[1])
	case is(0, "connections") && n == 3 && sg[2] == ":invoke":
		s.restInvoke(q, sg[1])
	case is(0, "connections") && n == 3 && sg[2] == "groups":
		if m != http.MethodDelete {
			allow(q.w, http.MethodDelete)
			return
		}
		s.restConnLeaveAll(q, sg[1])
	case is(0, "connections") && n == 4 && sg[2] == "groups": // swapped form
		s.restConnGroup(q, sg[3], sg[1])
	case is(0, "connections") && n == 5 && sg[2] == "streams" && (sg[4] == ":send" || sg[4] == ":complete"):
		s.restStream(q, sg[1], sg[3], sg[4] == ":complete")

	case is(0, "groups") && n == 2:
		switch m {
		case http.MethodPost:
			s.restSend(q, "group", sg[1])
		case http.MethodGet, http.MethodHead:
			s.restExists(q, "group", sg[1])
		default:
			allow(q.w, http.MethodPost, http.MethodGet, http.MethodHead)
		}
	case is(0, "groups") && n == 3 && sg[2] == ":send":
		s.restSend(q, "group", sg[1])
	case is(0, "groups") && n == 3 && sg[2] == ":closeConnections":
		s.restClose(q, "group", sg[1])
	case is(0, "groups") && n == 3 && sg[2] == "connections":
		if m != http.MethodGet {
			allow(q.w, http.MethodGet)
			return
		}
		s.restListGroup(q, sg[1])
	case is(0, "groups") && n == 4 && sg[2] == "connections":
		s.restConnGroup(q, sg[1], sg[3])
	default:
		q.fail(http.StatusNotFound, "", "no such REST route under /api/hubs/{hub}")
	}
}

func (q *restReq) requirePost() bool {
	if q.r.Method != http.MethodPost {
		allow(q.w, http.MethodPost)
		return false
	}
	return true
}

// int32Param parses an integer query parameter that the service declares as
// int32 (spec §8), from min to math.MaxInt32; anything else is a 400 naming
// the parameter and the range.
func (q *restReq) int32Param(name, v string, min int64, unit string) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < min {
		q.fail(http.StatusBadRequest, codeInvalidRequest, fmt.Sprintf("invalid %s; expected a whole number of %s from %d to %d", name, unit, min, math.MaxInt32))
		return 0, false
	}
	return n, true
}

// maxNameLength is the service's limit on group and user names, in UTF-16
// code units as .NET counts string lengths.
const maxNameLength = 1024

// utf16Len is the length of s in UTF-16 code units: characters outside the
// Basic Multilingual Plane, such as most emoji, count twice. An invalid UTF-8
// byte counts once, as the U+FFFD .NET decodes it to.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// validName checks a group or user name: 1 to 1024 UTF-16 code units, not all
// whitespace.
func (q *restReq) validName(kind, v string) bool {
	if v == "" || utf16Len(v) > maxNameLength || strings.TrimSpace(v) == "" {
		q.fail(http.StatusBadRequest, codeInvalidRequest, "invalid "+kind+" name; expected 1 to 1024 characters (UTF-16 code units), not all whitespace")
		return false
	}
	return true
}

func (s *Server) restSend(q *restReq, kind, name string) {
	if !q.requirePost() {
		return
	}
	if kind == "group" || kind == "user" {
		if !q.validName(kind, name) {
			return
		}
	}
	if kind == "connection" && name == "" {
		q.fail(http.StatusBadRequest, codeInvalidRequest, "empty connection id")
		return
	}
	out, err := parsePayload(q.r.Header.Get("Content-Type"), q.body)
	if err != nil {
		q.fail(http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}
	s.mu.Lock()
	targets := s.targetsLocked(s.hubLocked(q.hub, false), kind, name, q.query["excluded"])
	s.mu.Unlock()
	for _, c := range targets {
		c.sendOut(out)
	}
	s.trace.sent(q.r, q.hub, kind, name, out, targets)
	q.w.WriteHeader(http.StatusAccepted)
}

func (s *Server) restClose(q *restReq, kind, name string) {
	if !q.requirePost() {
		return
	}
	if kind == "group" && !q.validName(kind, name) {
		return
	}
	if kind == "user" && !q.validName(kind, name) {
		return
	}
	s.mu.Lock()
	targets := s.targetsLocked(s.hubLocked(q.hub, false), kind, name, q.query["excluded"])
	s.mu.Unlock()
	reason := q.query.Get("reason")
	s.trace.closed(q.r, targets)
	for _, c := range targets {
		c.closeWith(reason, true)
	}
	q.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) restCloseConnection(q *restReq, cid string) {
	s.mu.Lock()
	targets := s.targetsLocked(s.hubLocked(q.hub, false), "connection", cid, nil)
	s.mu.Unlock()
	if len(targets) == 0 {
		q.fail(http.StatusNotFound, codeConnectionNotExisted, "connection "+strconv.Quote(cid)+" does not exist")
		return
	}
	targets[0].closeWith(q.query.Get("reason"), true)
	if q.v1 {
		q.w.WriteHeader(http.StatusAccepted)
		return
	}
	q.w.WriteHeader(http.StatusOK)
}

func (s *Server) restExists(q *restReq, kind, name string) {
	s.mu.Lock()
	h := s.hubLocked(q.hub, false)
	ok := false
	if h != nil {
		s.expireLocked(h)
		switch kind {
		case "user":
			ok = len(h.users[name]) > 0
		case "group":
			ok = len(h.groups[name]) > 0
		case "connection":
			ok = h.conns[name] != nil
		}
	}
	s.mu.Unlock()
	if ok {
		q.w.WriteHeader(http.StatusOK)
		return
	}
	code := map[string]string{"user": codeUserNotExisted, "group": codeGroupNotExisted, "connection": codeConnectionNotExisted}[kind]
	q.fail(http.StatusNotFound, code, kind+" "+strconv.Quote(name)+" does not exist")
}

// restUserGroup serves PUT/DELETE/GET/HEAD /users/{user}/groups/{group}.
func (s *Server) restUserGroup(q *restReq, user, group string) {
	if !q.validName("user", user) || !q.validName("group", group) {
		return
	}
	switch q.r.Method {
	case http.MethodPut:
		ttl := time.Duration(-1)
		if v := q.query.Get("ttl"); v != "" {
			n, ok := q.int32Param("ttl", v, 0, "seconds")
			if !ok {
				return
			}
			ttl = time.Duration(n) * time.Second // at most 68 years: no overflow
		}
		s.mu.Lock()
		s.addUserToGroupLocked(s.hubLocked(q.hub, true), user, group, ttl)
		s.mu.Unlock()
		if q.v1 {
			q.w.WriteHeader(http.StatusAccepted)
			return
		}
		q.w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		s.mu.Lock()
		if h := s.hubLocked(q.hub, false); h != nil {
			s.removeUserFromGroupLocked(h, user, group)
		}
		s.mu.Unlock()
		if q.v1 {
			q.w.WriteHeader(http.StatusAccepted)
			return
		}
		q.w.WriteHeader(http.StatusNoContent)
	case http.MethodGet, http.MethodHead:
		s.mu.Lock()
		h := s.hubLocked(q.hub, false)
		ok := h != nil && s.userInGroupLocked(h, user, group)
		s.mu.Unlock()
		if ok {
			q.w.WriteHeader(http.StatusOK)
			return
		}
		q.fail(http.StatusNotFound, codeUserNotInGroup, "user "+strconv.Quote(user)+" is not in group "+strconv.Quote(group))
	default:
		allow(q.w, http.MethodPut, http.MethodDelete, http.MethodGet, http.MethodHead)
	}
}

func (s *Server) restUserAllGroups(q *restReq, user string) {
	if q.r.Method != http.MethodDelete {
		allow(q.w, http.MethodDelete)
		return
	}
	if !q.validName("user", user) {
		return
	}
	s.mu.Lock()
	if h := s.hubLocked(q.hub, false); h != nil {
		s.removeUserFromAllGroupsLocked(h, user)
	}
	s.mu.Unlock()
	if q.v1 {
		q.w.WriteHeader(http.StatusOK)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// restConnGroup serves PUT/DELETE /groups/{group}/connections/{cid}.
func (s *Server) restConnGroup(q *restReq, group, cid string) {
	if !q.validName("group", group) {
		return
	}
	if q.r.Method != http.MethodPut && q.r.Method != http.MethodDelete {
		allow(q.w, http.MethodPut, http.MethodDelete)
		return
	}
	s.mu.Lock()
	h := s.hubLocked(q.hub, false)
	var c *conn
	if h != nil {
		c = h.conns[cid]
	}
	if c != nil {
		if q.r.Method == http.MethodPut {
			s.joinLocked(h, c, group, memberDirect)
		} else {
			s.leaveLocked(h, c, group, memberDirect|memberViaUser)
		}
	}
	s.mu.Unlock()
	if c == nil && (q.r.Method == http.MethodPut || q.v1) {
		q.fail(http.StatusNotFound, codeConnectionNotExistedE, "connection "+strconv.Quote(cid)+" does not exist")
		return
	}
	// Removing is idempotent: SDKs send it without tolerating 404.
	q.w.WriteHeader(http.StatusOK)
}

func (s *Server) restConnLeaveAll(q *restReq, cid string) {
	s.mu.Lock()
	if h := s.hubLocked(q.hub, false); h != nil {
		if c := h.conns[cid]; c != nil {
			for g := range c.groups {
				s.leaveLocked(h, c, g, memberDirect|memberViaUser)
			}
		}
	}
	s.mu.Unlock()
	q.w.WriteHeader(http.StatusOK)
}

// restListGroup serves GET /groups/{group}/connections, paged by connection id.
func (s *Server) restListGroup(q *restReq, group string) {
	if !q.validName("group", group) {
		return
	}
	pageSize := 200
	if v := q.query.Get("maxpagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			q.fail(http.StatusBadRequest, codeInvalidRequest, "invalid maxpagesize; expected 1 to 200")
			return
		}
		pageSize = n
	}
	top := -1
	if v := q.query.Get("top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			q.fail(http.StatusBadRequest, codeInvalidRequest, "invalid top; expected a positive number")
			return
		}
		top = n
	}
	after := ""
	if v := q.query.Get("continuationToken"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			q.fail(http.StatusBadRequest, codeInvalidRequest, "invalid continuationToken; expected a value from a nextLink")
			return
		}
		after = string(b)
	}
	type item struct {
		ConnectionID string `json:"connectionId"`
		UserID       string `json:"userId,omitempty"`
	}
	s.mu.Lock()
	var all []item
	if h := s.hubLocked(q.hub, false); h != nil {
		s.expireLocked(h)
		for c := range h.groups[group] {
			all = append(all, item{c.id, c.userID})
		}
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ConnectionID < all[j].ConnectionID })
	start := sort.Search(len(all), func(i int) bool { return all[i].ConnectionID > after })
	all = all[start:]
	limit := pageSize
	if top >= 0 && top < limit {
		limit = top
	}
	page := all
	if len(page) > limit {
		page = page[:limit]
	}
	resp := struct {
		Value    []item `json:"value"`
		NextLink string `json:"nextLink,omitempty"`
	}{Value: append([]item{}, page...)}
	remaining := top - len(page)
	if len(all) > len(page) && (top < 0 || remaining > 0) && len(page) > 0 {
		nq := url.Values{}
		for k, v := range q.query {
			nq[k] = v
		}
		nq.Set("continuationToken", base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].ConnectionID)))
		if top >= 0 {
			nq.Set("top", strconv.Itoa(remaining))
		}
		resp.NextLink = requestBase(q.r) + q.r.URL.EscapedPath() + "?" + nq.Encode()
	}
	writeJSON(q.w, http.StatusOK, resp)
}

// requestBase is scheme://host of a request.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// restGenerateToken serves POST /:generateToken?userId=&minutesToExpire=.
func (s *Server) restGenerateToken(q *restReq) {
	if !q.requirePost() {
		return
	}
	minutes := int64(60)
	if v := q.query.Get("minutesToExpire"); v != "" {
		n, ok := q.int32Param("minutesToExpire", v, 1, "minutes")
		if !ok {
			return
		}
		minutes = n
	}
	base := s.URL
	if base == "" {
		base = requestBase(q.r)
	}
	now := s.now()
	claims := jwt.MapClaims{
		"aud": base + "/client/?hub=" + q.hub,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		// In seconds, not a time.Duration: 2^31-1 minutes is beyond Duration's 292 years.
		"exp": now.Unix() + minutes*60,
	}
	if u := q.query.Get("userId"); u != "" {
		claims["nameid"] = u
	}
	tok, err := s.signToken(claims)
	if err != nil {
		q.fail(http.StatusInternalServerError, "", "signing the token failed")
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]string{"token": tok})
}

// serveAccessKey serves GET /api/v1/auth/accessKey: a temporary key for Entra
// callers, which then sign client tokens with kid set to KeyId.
func (s *Server) serveAccessKey(w http.ResponseWriter, r *http.Request, aud audience) {
	if r.Method != http.MethodGet {
		allow(w, http.MethodGet)
		return
	}
	if _, err := s.validateToken(r, bearerToken(r, false), aud, true, false); err != nil {
		s.trace.rejected(r, "", err)
		writeUnauthorized(w, err)
		return
	}
	kid, key := newID(12), newAccessKey()
	s.mu.Lock()
	now := s.now()
	for id, k := range s.tempKeys { // forget expired keys
		if !now.Before(k.expires) {
			delete(s.tempKeys, id)
		}
	}
	s.tempKeys[kid] = tempKey{key: key, expires: now.Add(tempKeyLifetime)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"KeyId": kid, "AccessKey": key})
}

// newAccessKey returns a random key shaped like the service's (44 base64 chars).
func newAccessKey() string {
	return base64.StdEncoding.EncodeToString([]byte(newID(24))[:32])
}

// restStream serves the 2024-12-01 connection stream operations: an item
// (optionally completing the stream) or a completion.
func (s *Server) restStream(q *restReq, cid, streamID string, complete bool) {
	if !q.requirePost() {
		return
	}
	if utf16Len(streamID) > 100 || strings.TrimSpace(streamID) == "" {
		q.fail(http.StatusBadRequest, codeInvalidRequest, "invalid stream id; expected 1 to 100 characters, not all whitespace")
		return
	}
	var msgs []*outbound
	if complete {
		m := completionMessage(streamID, q.query.Get("reason"))
		msgs = append(msgs, newOutbound(&m))
	} else {
		if !json.Valid(q.body) {
			q.fail(http.StatusBadRequest, codeInvalidRequest, "the stream item is not valid JSON")
			return
		}
		msgs = append(msgs, newOutbound(streamItemMessage(streamID, bytes.Clone(q.body))))
		if done, _ := strconv.ParseBool(q.query.Get("completed")); done {
			m := completionMessage(streamID, "")
			msgs = append(msgs, newOutbound(&m))
		}
	}
	s.mu.Lock()
	targets := s.targetsLocked(s.hubLocked(q.hub, false), "connection", cid, nil)
	s.mu.Unlock()
	for _, c := range targets {
		for _, o := range msgs {
			c.sendOut(o)
		}
	}
	s.trace.sent(q.r, q.hub, "stream", cid, msgs[0], targets)
	q.w.WriteHeader(http.StatusAccepted)
}

// restInvoke serves POST /connections/{cid}/:invoke: the payload goes to the
// client as an invocation with an id and the client's completion is returned.
func (s *Server) restInvoke(q *restReq, cid string) {
	if !q.requirePost() {
		return
	}
	out, err := parsePayload(q.r.Header.Get("Content-Type"), q.body)
	if err != nil || out.msg == nil {
		msg := "the :invoke body must be a JSON payload {\"target\":…,\"arguments\":[…]}"
		if err != nil {
			msg = err.Error()
		}
		q.fail(http.StatusBadRequest, codeInvalidRequest, msg)
		return
	}
	s.mu.Lock()
	targets := s.targetsLocked(s.hubLocked(q.hub, false), "connection", cid, nil)
	s.mu.Unlock()
	if len(targets) == 0 {
		q.fail(http.StatusNotFound, codeConnectionNotExistedE, "connection "+strconv.Quote(cid)+" does not exist")
		return
	}
	res, err := targets[0].invokeClient(q.r.Context(), out.msg)
	s.trace.clientResult(targets[0], out.msg, res, err)
	if err != nil {
		q.fail(http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}
	if res.HasError || res.Error != "" {
		q.fail(http.StatusBadRequest, codeInvalidRequest, fmt.Sprintf("the client returned an error: %s", res.Error))
		return
	}
	result := json.RawMessage("null")
	if res.HasResult {
		if b, err := res.Result.JSON(); err == nil {
			result = b
		}
	}
	writeJSON(q.w, http.StatusOK, struct {
		Result json.RawMessage `json:"result"`
	}{result})
}
