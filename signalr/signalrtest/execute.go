package signalrtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// connView is what a :execute filter sees of a connection.
type connView struct {
	id, userID string
	groups     map[string]uint8
}

// filterValue is a value in a filter expression: a string, null, a boolean or
// the groups collection.
type filterValue struct {
	kind   byte // 's' string, 'n' null, 'b' bool, 'g' groups
	s      string
	b      bool
	groups map[string]uint8
}

type filterExpr func(*connView) (filterValue, error)

// parseFilter compiles the OData subset the service documents for :execute:
// userId, connectionId and groups; eq, ne, in; startswith, endswith, contains,
// tolower, toupper; and, or, not and parentheses. Strings use single quotes
// in which a doubled quote stands for one.
func parseFilter(src string) (func(*connView) (bool, error), error) {
	if strings.TrimSpace(src) == "" {
		return func(*connView) (bool, error) { return true, nil }, nil
	}
	p := &filterParser{src: src}
	if err := p.lex(); err != nil {
		return nil, err
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("signalrtest: invalid filter: unexpected %q", p.toks[p.i].text)
	}
	return func(c *connView) (bool, error) {
		v, err := e(c)
		if err != nil {
			return false, err
		}
		if v.kind != 'b' {
			return false, errors.New("signalrtest: invalid filter: the expression is not a condition")
		}
		return v.b, nil
	}, nil
}

type filterTok struct {
	kind byte // 's' string literal, 'i' identifier/keyword, '(' ')' ','
	text string
}

type filterParser struct {
	src   string
	toks  []filterTok
	i     int
	depth int // current nesting, bounded by maxFilterDepth
}

func (p *filterParser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '(' || ch == ')' || ch == ',':
			p.toks = append(p.toks, filterTok{kind: ch, text: string(ch)})
			i++
		case ch == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return errors.New("signalrtest: invalid filter: unterminated string literal")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			p.toks = append(p.toks, filterTok{kind: 's', text: b.String()})
		case ch == '_' || ch == '.' || ('a' <= ch && ch <= 'z') || ('A' <= ch && ch <= 'Z') || ('0' <= ch && ch <= '9'):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || ('a' <= s[j] && s[j] <= 'z') || ('A' <= s[j] && s[j] <= 'Z') || ('0' <= s[j] && s[j] <= '9')) {
				j++
			}
			p.toks = append(p.toks, filterTok{kind: 'i', text: s[i:j]})
			i = j
		default:
			return fmt.Errorf("signalrtest: invalid filter: unexpected character %q", ch)
		}
	}
	return nil
}

func (p *filterParser) peekWord(w string) bool {
	return p.i < len(p.toks) && p.toks[p.i].kind == 'i' && strings.EqualFold(p.toks[p.i].text, w)
}

func (p *filterParser) expect(kind byte) error {
	if p.i >= len(p.toks) || p.toks[p.i].kind != kind {
		return fmt.Errorf("signalrtest: invalid filter: expected %q", string(kind))
	}
	p.i++
	return nil
}

// boolOp evaluates terms joined by and (and set) or or, left to right with
// short-circuiting. A chain of any length is one loop, so evaluating it needs
// no deeper stack than its nesting.
func boolOp(terms []filterExpr, and bool) filterExpr {
	if len(terms) == 1 {
		return terms[0]
	}
	return func(c *connView) (filterValue, error) {
		var v filterValue
		for _, t := range terms {
			var err error
			if v, err = t(c); err != nil {
				return v, err
			}
			if v.kind != 'b' {
				return v, errors.New("signalrtest: invalid filter: and/or need conditions")
			}
			if v.b != and { // short-circuit
				return v, nil
			}
		}
		return v, nil
	}
}

// maxFilterDepth bounds the nesting of parentheses, not and function calls,
// so that a hostile filter cannot make the recursive parser use a deep stack.
const maxFilterDepth = 100

// enter counts one more level of nesting; the caller must defer leave.
func (p *filterParser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return fmt.Errorf("signalrtest: invalid filter: nested more than %d levels deep (parentheses, not and function calls); expected at most %d", maxFilterDepth, maxFilterDepth)
	}
	return nil
}

func (p *filterParser) leave() { p.depth-- }

func (p *filterParser) or() (filterExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	terms := []filterExpr{l}
	for p.peekWord("or") {
		p.i++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, r)
	}
	return boolOp(terms, false), nil
}

func (p *filterParser) and() (filterExpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	terms := []filterExpr{l}
	for p.peekWord("and") {
		p.i++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, r)
	}
	return boolOp(terms, true), nil
}

func (p *filterParser) unary() (filterExpr, error) {
	if p.peekWord("not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		p.i++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(c *connView) (filterValue, error) {
			v, err := e(c)
			if err == nil && v.kind != 'b' {
				err = errors.New("signalrtest: invalid filter: not needs a condition")
			}
			return filterValue{kind: 'b', b: !v.b}, err
		}, nil
	}
	return p.comparison()
}

func (p *filterParser) comparison() (filterExpr, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	switch {
	case p.peekWord("eq"), p.peekWord("ne"):
		neg := p.peekWord("ne")
		p.i++
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return func(c *connView) (filterValue, error) {
			a, err := l(c)
			if err != nil {
				return a, err
			}
			b, err := r(c)
			if err != nil {
				return b, err
			}
			if a.kind == 'g' || b.kind == 'g' {
				return a, errors.New("signalrtest: invalid filter: groups can only be used with in")
			}
			eq := a.kind == b.kind && a.s == b.s && a.b == b.b
			return filterValue{kind: 'b', b: eq != neg}, nil
		}, nil
	case p.peekWord("in"):
		p.i++
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return func(c *connView) (filterValue, error) {
			a, err := l(c)
			if err != nil {
				return a, err
			}
			b, err := r(c)
			if err != nil {
				return b, err
			}
			if a.kind != 's' || b.kind != 'g' {
				return a, errors.New("signalrtest: invalid filter: expected '<group>' in groups")
			}
			_, ok := b.groups[a.s]
			return filterValue{kind: 'b', b: ok}, nil
		}, nil
	}
	return l, nil
}

func (p *filterParser) operand() (filterExpr, error) {
	if p.i >= len(p.toks) {
		return nil, errors.New("signalrtest: invalid filter: unexpected end")
	}
	t := p.toks[p.i]
	p.i++
	switch t.kind {
	case 's':
		return func(*connView) (filterValue, error) { return filterValue{kind: 's', s: t.text}, nil }, nil
	case '(':
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.expect(')')
	case 'i':
		name := strings.ToLower(t.text)
		if p.i < len(p.toks) && p.toks[p.i].kind == '(' {
			return p.call(name)
		}
		switch name {
		case "userid":
			return func(c *connView) (filterValue, error) {
				if c.userID == "" {
					return filterValue{kind: 'n'}, nil
				}
				return filterValue{kind: 's', s: c.userID}, nil
			}, nil
		case "connectionid":
			return func(c *connView) (filterValue, error) { return filterValue{kind: 's', s: c.id}, nil }, nil
		case "groups":
			return func(c *connView) (filterValue, error) { return filterValue{kind: 'g', groups: c.groups}, nil }, nil
		case "null":
			return func(*connView) (filterValue, error) { return filterValue{kind: 'n'}, nil }, nil
		case "true", "false":
			b := name == "true"
			return func(*connView) (filterValue, error) { return filterValue{kind: 'b', b: b}, nil }, nil
		}
		return nil, fmt.Errorf("signalrtest: invalid filter: unknown name %q; expected userId, connectionId or groups", t.text)
	}
	return nil, fmt.Errorf("signalrtest: invalid filter: unexpected %q", t.text)
}

func (p *filterParser) call(name string) (filterExpr, error) {
	p.i++ // (
	var args []filterExpr
	for {
		a, err := p.or()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.i < len(p.toks) && p.toks[p.i].kind == ',' {
			p.i++
			continue
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		break
	}
	str := func(c *connView, i int) (string, error) {
		v, err := args[i](c)
		if err != nil {
			return "", err
		}
		switch v.kind {
		case 's':
			return v.s, nil
		case 'n':
			return "", nil
		}
		return "", fmt.Errorf("signalrtest: invalid filter: %s expects strings", name)
	}
	switch name {
	case "startswith", "endswith", "contains":
		if len(args) != 2 {
			return nil, fmt.Errorf("signalrtest: invalid filter: %s takes two arguments", name)
		}
		test := map[string]func(string, string) bool{"startswith": strings.HasPrefix, "endswith": strings.HasSuffix, "contains": strings.Contains}[name]
		return func(c *connView) (filterValue, error) {
			a, err := str(c, 0)
			if err != nil {
				return filterValue{}, err
			}
			b, err := str(c, 1)
			return filterValue{kind: 'b', b: test(a, b)}, err
		}, nil
	case "tolower", "toupper":
		if len(args) != 1 {
			return nil, fmt.Errorf("signalrtest: invalid filter: %s takes one argument", name)
		}
		conv := strings.ToLower
		if name == "toupper" {
			conv = strings.ToUpper
		}
		return func(c *connView) (filterValue, error) {
			a, err := str(c, 0)
			return filterValue{kind: 's', s: conv(a)}, err
		}, nil
	}
	return nil, fmt.Errorf("signalrtest: invalid filter: unknown function %q", name)
}

// command is one entry of an :execute body.
type command struct {
	typ    string
	out    *outbound
	group  string
	reason string
}

func parseCommands(body []byte) ([]command, error) {
	const want = `expected [{"type":"SendMessage"|"JoinGroup"|"LeaveGroup"|"CloseConnection",…}]`
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errors.New("signalrtest: invalid :execute body; " + want)
	}
	cmds := make([]command, 0, len(raw))
	for i, item := range raw {
		obj, err := pickMembers(item, "type", "message", "group", "reason")
		if errors.Is(err, errNotObject) {
			return nil, fmt.Errorf("signalrtest: command %d is not an object; %s", i, want)
		}
		if err != nil {
			return nil, fmt.Errorf("signalrtest: command %d: %w", i, err)
		}
		str := func(name string) string {
			var s string
			_ = json.Unmarshal(obj[name], &s)
			return s
		}
		c := command{typ: str("type")}
		switch strings.ToLower(c.typ) {
		case "sendmessage":
			out, err := parseJSONPayload(obj["message"])
			if err != nil {
				return nil, fmt.Errorf("signalrtest: command %d: %w", i, err)
			}
			c.out = out
		case "joingroup", "leavegroup":
			c.group = str("group")
			if c.group == "" || utf16Len(c.group) > maxNameLength || strings.TrimSpace(c.group) == "" {
				return nil, fmt.Errorf("signalrtest: command %d: invalid group; expected 1 to 1024 characters (UTF-16 code units), not all whitespace", i)
			}
		case "closeconnection":
			c.reason = str("reason")
		default:
			return nil, fmt.Errorf("signalrtest: command %d: unknown type %q; expected SendMessage, JoinGroup, LeaveGroup or CloseConnection", i, c.typ)
		}
		c.typ = strings.ToLower(c.typ)
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// restExecute serves POST /:execute?filter=… (api-version 2023-07-01).
func (s *Server) restExecute(q *restReq) {
	if !q.requirePost() {
		return
	}
	match, err := parseFilter(q.query.Get("filter"))
	if err != nil {
		q.fail(http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}
	cmds, err := parseCommands(q.body)
	if err != nil {
		q.fail(http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}
	s.mu.Lock()
	h := s.hubLocked(q.hub, false)
	var targets []*conn
	if h != nil {
		s.expireLocked(h)
		for _, c := range h.conns {
			ok, err := match(&connView{id: c.id, userID: c.userID, groups: c.groups})
			if err != nil {
				s.mu.Unlock()
				q.fail(http.StatusBadRequest, codeInvalidRequest, err.Error())
				return
			}
			if ok {
				targets = append(targets, c)
			}
		}
		for _, cmd := range cmds {
			for _, c := range targets {
				switch cmd.typ {
				case "joingroup":
					s.joinLocked(h, c, cmd.group, memberDirect)
				case "leavegroup":
					s.leaveLocked(h, c, cmd.group, memberDirect|memberViaUser)
				}
			}
		}
	}
	s.mu.Unlock()
	for _, cmd := range cmds {
		for _, c := range targets {
			switch cmd.typ {
			case "sendmessage":
				c.sendOut(cmd.out)
			case "closeconnection":
				c.closeWith(cmd.reason, true)
			}
		}
	}
	s.trace.executed(q.r, q.hub, cmds, targets)
	q.w.WriteHeader(http.StatusAccepted)
}
