package signalrtest

import (
	"sort"
	"time"
)

// Membership kinds of a connection in a group: joined directly (REST
// add-connection, ttl=0 user adds) or through a persisted user-group entry.
// Expiry of the entry removes only the latter.
const (
	memberDirect uint8 = 1 << iota
	memberViaUser
)

const (
	// maxUserGroupTTL is the service's cap, also used when no ttl is given.
	maxUserGroupTTL = 365 * 24 * time.Hour
	// maxPersistentUserGroups is how many non-TTL groups a user keeps.
	maxPersistentUserGroups = 100
)

// hub is the state of one hub. All fields are guarded by Server.mu.
type hub struct {
	name       string
	conns      map[string]*conn
	users      map[string]map[*conn]struct{}
	groups     map[string]map[*conn]struct{}
	userGroups map[string]map[string]*userGroup // user -> group -> entry
	ttlEntries int                              // entries with an explicit ttl, to skip sweeps
}

type userGroup struct {
	expires time.Time
	ttl     bool   // added with an explicit ttl
	seq     uint64 // insertion order, to keep the latest non-TTL entries
}

func newHub(name string) *hub {
	return &hub{
		name:       name,
		conns:      map[string]*conn{},
		users:      map[string]map[*conn]struct{}{},
		groups:     map[string]map[*conn]struct{}{},
		userGroups: map[string]map[string]*userGroup{},
	}
}

// hubLocked returns the hub called name (already normalised), creating it when create is set.
func (s *Server) hubLocked(name string, create bool) *hub {
	h := s.hubs[name]
	if h == nil && create {
		h = newHub(name)
		s.hubs[name] = h
	}
	return h
}

// addConnLocked registers a connection that finished its handshake and joins
// it to its user's active user groups.
func (s *Server) addConnLocked(c *conn) {
	h := s.hubLocked(c.hub, true)
	s.expireLocked(h)
	h.conns[c.id] = c
	if !c.authExpires.IsZero() {
		s.watchAuthExpiryLocked(c)
	}
	if c.userID != "" {
		m := h.users[c.userID]
		if m == nil {
			m = map[*conn]struct{}{}
			h.users[c.userID] = m
		}
		m[c] = struct{}{}
		for g := range h.userGroups[c.userID] {
			s.joinLocked(h, c, g, memberViaUser)
		}
	}
}

// removeConnLocked forgets a connection and all its memberships.
func (s *Server) removeConnLocked(c *conn) {
	h := s.hubLocked(c.hub, false)
	if h == nil || h.conns[c.id] != c {
		return
	}
	delete(h.conns, c.id)
	delete(s.authWatch, c)
	if m := h.users[c.userID]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(h.users, c.userID)
		}
	}
	for g := range c.groups {
		s.leaveLocked(h, c, g, memberDirect|memberViaUser)
	}
}

func (s *Server) joinLocked(h *hub, c *conn, group string, kind uint8) {
	if c.groups == nil {
		c.groups = map[string]uint8{}
	}
	c.groups[group] |= kind
	m := h.groups[group]
	if m == nil {
		m = map[*conn]struct{}{}
		h.groups[group] = m
	}
	m[c] = struct{}{}
}

// leaveLocked clears the given membership kinds; the connection leaves the
// group when none is left.
func (s *Server) leaveLocked(h *hub, c *conn, group string, kinds uint8) {
	k, ok := c.groups[group]
	if !ok {
		return
	}
	k &^= kinds
	if k != 0 {
		c.groups[group] = k
		return
	}
	delete(c.groups, group)
	if m := h.groups[group]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(h.groups, group)
		}
	}
}

// expireLocked drops user-group entries whose ttl passed, and the memberships
// they gave (Microsoft's emulator forgets the latter).
func (s *Server) expireLocked(h *hub) {
	if h == nil || h.ttlEntries == 0 {
		return
	}
	now := s.now()
	for user, groups := range h.userGroups {
		for g, e := range groups {
			if e.ttl && !now.Before(e.expires) {
				s.dropUserGroupLocked(h, user, g)
			}
		}
	}
}

func (s *Server) dropUserGroupLocked(h *hub, user, group string) {
	groups := h.userGroups[user]
	e, ok := groups[group]
	if !ok {
		return
	}
	if e.ttl {
		h.ttlEntries--
	}
	delete(groups, group)
	if len(groups) == 0 {
		delete(h.userGroups, user)
	}
	for c := range h.users[user] {
		s.leaveLocked(h, c, group, memberViaUser)
	}
}

// addUserToGroupLocked implements AddUserToGroup. ttl < 0 means no ttl given.
func (s *Server) addUserToGroupLocked(h *hub, user, group string, ttl time.Duration) {
	s.expireLocked(h)
	if ttl == 0 {
		// ttl=0: only the user's current connections join; nothing persists.
		for c := range h.users[user] {
			s.joinLocked(h, c, group, memberDirect)
		}
		return
	}
	groups := h.userGroups[user]
	if groups == nil {
		groups = map[string]*userGroup{}
		h.userGroups[user] = groups
	}
	if old := groups[group]; old != nil && old.ttl {
		h.ttlEntries--
	}
	s.seq++
	e := &userGroup{seq: s.seq}
	if ttl > 0 {
		if ttl > maxUserGroupTTL {
			ttl = maxUserGroupTTL
		}
		e.ttl = true
		e.expires = s.now().Add(ttl)
		h.ttlEntries++
	} else {
		e.expires = s.now().Add(maxUserGroupTTL)
	}
	groups[group] = e
	for c := range h.users[user] {
		s.joinLocked(h, c, group, memberViaUser)
	}
	s.trimUserGroupsLocked(h, user)
}

// trimUserGroupsLocked keeps only the latest maxPersistentUserGroups non-TTL entries.
func (s *Server) trimUserGroupsLocked(h *hub, user string) {
	groups := h.userGroups[user]
	var plain []string
	for g, e := range groups {
		if !e.ttl {
			plain = append(plain, g)
		}
	}
	if len(plain) <= maxPersistentUserGroups {
		return
	}
	sort.Slice(plain, func(i, j int) bool { return groups[plain[i]].seq < groups[plain[j]].seq })
	for _, g := range plain[:len(plain)-maxPersistentUserGroups] {
		s.dropUserGroupLocked(h, user, g)
	}
}

// removeUserFromGroupLocked drops the user-group entry and takes the user's
// connections out of the group.
func (s *Server) removeUserFromGroupLocked(h *hub, user, group string) {
	s.dropUserGroupLocked(h, user, group)
	for c := range h.users[user] {
		s.leaveLocked(h, c, group, memberDirect|memberViaUser)
	}
}

func (s *Server) removeUserFromAllGroupsLocked(h *hub, user string) {
	for g := range h.userGroups[user] {
		s.dropUserGroupLocked(h, user, g)
	}
	for c := range h.users[user] {
		for g := range c.groups {
			s.leaveLocked(h, c, g, memberDirect|memberViaUser)
		}
	}
}

// userInGroupLocked: a live user-group entry or a connection of the user in the group.
func (s *Server) userInGroupLocked(h *hub, user, group string) bool {
	s.expireLocked(h)
	if _, ok := h.userGroups[user][group]; ok {
		return true
	}
	for c := range h.users[user] {
		if _, ok := c.groups[group]; ok {
			return true
		}
	}
	return false
}

// excludeSet builds a lookup of excluded connection ids.
func excludeSet(ids []string) map[string]struct{} {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m
}

// targetsLocked lists the connections a send or close reaches.
func (s *Server) targetsLocked(h *hub, kind, name string, excluded []string) []*conn {
	if h == nil {
		return nil
	}
	s.expireLocked(h)
	ex := excludeSet(excluded)
	var out []*conn
	add := func(c *conn) {
		if _, skip := ex[c.id]; !skip {
			out = append(out, c)
		}
	}
	switch kind {
	case "all":
		out = make([]*conn, 0, len(h.conns))
		for _, c := range h.conns {
			add(c)
		}
	case "user":
		for c := range h.users[name] {
			add(c)
		}
	case "group":
		for c := range h.groups[name] {
			add(c)
		}
	case "connection":
		if c := h.conns[name]; c != nil {
			add(c)
		}
	}
	return out
}

// ConnectionInfo describes one connected client, for tests.
type ConnectionInfo struct {
	ID        string
	UserID    string
	Groups    []string // sorted
	Protocol  string   // "json" or "messagepack"
	Transport string   // "WebSockets", "ServerSentEvents" or "LongPolling"
	// Stateful is true when the connection negotiated stateful reconnect.
	Stateful bool
}

// UserGroup is one persisted user-group membership.
type UserGroup struct {
	Group string
	// Expires is when the membership ends: now+ttl, or a year after it was
	// added when no ttl was given.
	Expires time.Time
	// TTL reports whether the membership was added with an explicit ttl.
	TTL bool
}

// Hubs lists the hubs that have or had connections or user groups, sorted.
// Hub names are lowercase, prefixed with "{application}_" when a REST call or
// token named an application.
func (s *Server) Hubs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.hubs))
	for name := range s.hubs {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Connections lists the hub's connected clients, sorted by id.
func (s *Server) Connections(hubName string) []ConnectionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hubLocked(normHub(hubName), false)
	if h == nil {
		return nil
	}
	s.expireLocked(h)
	out := make([]ConnectionInfo, 0, len(h.conns))
	for _, c := range h.conns {
		groups := make([]string, 0, len(c.groups))
		for g := range c.groups {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		out = append(out, ConnectionInfo{ID: c.id, UserID: c.userID, Groups: groups, Protocol: c.protoName(), Transport: c.transport.String(), Stateful: c.stateful})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// GroupMembers lists the ids of the connections in a group, sorted.
func (s *Server) GroupMembers(hubName, group string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hubLocked(normHub(hubName), false)
	if h == nil {
		return nil
	}
	s.expireLocked(h)
	out := make([]string, 0, len(h.groups[group]))
	for c := range h.groups[group] {
		out = append(out, c.id)
	}
	sort.Strings(out)
	return out
}

// UserGroups lists a user's persisted group memberships that have not expired
// on the server's clock, sorted by group.
func (s *Server) UserGroups(hubName, user string) []UserGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hubLocked(normHub(hubName), false)
	if h == nil {
		return nil
	}
	s.expireLocked(h)
	out := make([]UserGroup, 0, len(h.userGroups[user]))
	for g, e := range h.userGroups[user] {
		out = append(out, UserGroup{Group: g, Expires: e.expires, TTL: e.ttl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

// authScanInterval is how often connections whose token asked for it
// (asrs.s.coae) are checked for an expired authentication, as the service
// does "every second".
const authScanInterval = time.Second

// authExpiredReason is the error of the Close message sent when a connection's
// authentication expires. The Close allows reconnecting, as the service's, so
// a client with automatic reconnect negotiates again with a fresh token.
const authExpiredReason = "Connection closed: the client's authentication expired (asrs.s.aeo); reconnect with a new access token."

// watchAuthExpiryLocked adds an open connection to those the expiry scan
// checks, starting the scan when it is not running.
func (s *Server) watchAuthExpiryLocked(c *conn) {
	if s.authWatch == nil {
		s.authWatch = map[*conn]struct{}{}
	}
	s.authWatch[c] = struct{}{}
	if !s.authScanning {
		s.authScanning = s.spawn(s.scanAuthExpiry)
	}
}

// scanAuthExpiry closes, about once a second, the connections whose
// authentication expired on the server's clock. It ends when none is left to
// watch, or when the server closes.
func (s *Server) scanAuthExpiry() {
	tick := time.NewTicker(authScanInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		now := s.now()
		var expired []*conn
		s.mu.Lock()
		for c := range s.authWatch {
			if !now.Before(c.authExpires) {
				expired = append(expired, c)
				delete(s.authWatch, c)
			}
		}
		idle := len(s.authWatch) == 0
		if idle {
			s.authScanning = false
		}
		s.mu.Unlock()
		for _, c := range expired {
			s.log.Debug("signalrtest: closing a connection whose authentication expired", "hub", c.hub, "connection", c.id)
			c.closeWith(authExpiredReason, true)
		}
		if idle {
			return
		}
	}
}
