// Live trace page of the SignalR Service emulator. It renders /trace/state (hubs, their
// connections, groups and users) and the Server-Sent Events of /trace/events. Every value
// is inserted as text, never as HTML: user ids, group names and payloads come from clients.
"use strict";

(() => {
  const KINDS = ["connected", "disconnected", "rest", "message", "invoke", "upstream", "result", "rejected"];
  const KEEP_EVENTS = 2000; // events kept in memory, so filters can be changed afterwards
  const MAX_ROWS = 500; // event rows in the table
  const MAX_MESSAGE_EVENTS = 50; // per-connection message events of one send (traceMaxFanout)
  const STATE_DEBOUNCE_MS = 150;
  const STATE_REFRESH_MS = 5000;

  const $ = (id) => document.getElementById(id);

  // el builds an element; strings become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "title") e.title = v;
      else if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      e.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  const page = {
    events: [], // newest last
    lastSeq: 0,
    paused: false,
    missedWhilePaused: 0,
    buckets: new Array(10).fill(0), // events per 100 ms over the last second, for the rate
    bucketAt: 0, // the 100 ms slot buckets end at
    total: 0,
    queue: [], // events waiting to be drawn
    flushTimer: 0,
    stateTimer: 0,
    snapshot: null,
    filter: { hub: "", user: "", connection: "", group: "", kinds: new Set(KINDS) },
  };

  // ---- filters ----------------------------------------------------------------------------

  function readFilterFromURL() {
    const q = new URLSearchParams(location.search);
    for (const name of ["hub", "user", "connection", "group"]) {
      page.filter[name] = q.get(name) || "";
      $("f-" + name).value = page.filter[name];
    }
    const kinds = (q.get("kind") || "").split(",").map((k) => k.trim()).filter((k) => KINDS.includes(k));
    page.filter.kinds = new Set(kinds.length ? kinds : KINDS);
  }

  function writeFilterToURL() {
    const q = new URLSearchParams();
    for (const name of ["hub", "user", "connection", "group"]) {
      if (page.filter[name]) q.set(name, page.filter[name]);
    }
    if (page.filter.kinds.size !== KINDS.length) q.set("kind", [...page.filter.kinds].join(","));
    const s = q.toString();
    history.replaceState(null, "", s ? "?" + s : location.pathname);
  }

  function buildKindBoxes() {
    const box = $("f-kinds");
    for (const k of KINDS) {
      const input = el("input", { type: "checkbox", id: "kind-" + k, value: k, "data-kind": k });
      input.checked = page.filter.kinds.has(k);
      input.addEventListener("change", () => {
        if (input.checked) page.filter.kinds.add(k);
        else page.filter.kinds.delete(k);
        filterChanged();
      });
      box.append(el("label", { class: "kind kind-" + k }, input, k));
    }
  }

  function setFilter(name, value) {
    page.filter[name] = value;
    $("f-" + name).value = value;
    filterChanged();
  }

  function filterChanged() {
    writeFilterToURL();
    redrawEvents();
    renderState();
  }

  function eventMatches(ev) {
    const f = page.filter;
    if (ev.kind !== "gap" && !f.kinds.has(ev.kind)) return false;
    if (f.hub && (ev.hub || "") !== f.hub.toLowerCase()) return false;
    if (f.user && ev.userId !== f.user) return false;
    if (f.connection && ev.connectionId !== f.connection) return false;
    if (f.group && ev.group !== f.group) return false;
    return true;
  }

  function connectionMatches(hub, c) {
    const f = page.filter;
    if (f.hub && hub !== f.hub.toLowerCase()) return false;
    if (f.user && c.userId !== f.user) return false;
    if (f.connection && c.connectionId !== f.connection) return false;
    if (f.group && !c.groups.includes(f.group)) return false;
    return true;
  }

  // ---- events -----------------------------------------------------------------------------

  function time(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const p = (n, w) => String(n).padStart(w, "0");
    return p(d.getHours(), 2) + ":" + p(d.getMinutes(), 2) + ":" + p(d.getSeconds(), 2) + "." + p(d.getMilliseconds(), 3);
  }

  function ms(v) {
    return v === undefined ? "" : " · " + (v < 10 ? v.toFixed(2) : v.toFixed(0)) + " ms";
  }

  function call(target, args) {
    return (target || "") + (args ? args.replace(/^\[/, "(").replace(/\]$/, ")") : "");
  }

  // details describes an event in one line; the second value marks failures.
  function details(ev) {
    switch (ev.kind) {
      case "connected":
        return [ev.transport + " · " + ev.protocol + (ev.stateful ? " · stateful reconnect" : ""), false];
      case "disconnected":
        return [ev.reason ? "closed: " + ev.reason : "closed cleanly", !!ev.reason];
      case "rest": {
        let s = ev.method + " " + ev.path + (ev.query ? "?" + ev.query : "") + " → " + ev.status;
        if (ev.errorCode) s += " " + ev.errorCode;
        s += ms(ev.durationMs);
        if (ev.reached !== undefined) s += " · reached " + ev.reached + (ev.reached === 1 ? " connection" : " connections");
        if (ev.reached > MAX_MESSAGE_EVENTS) s += " (message events for " + MAX_MESSAGE_EVENTS + " of them)";
        if (ev.target) s += " · " + call(ev.target, ev.arguments);
        return [s, ev.status >= 400 || ev.reached === 0];
      }
      case "message":
        return [call(ev.target, ev.arguments) + " · via " + ev.scope + (ev.group ? " " + ev.group : ""), false];
      case "invoke":
        return [call(ev.target, ev.arguments) + (ev.invocationId ? " · invocation " + ev.invocationId : " · send (no result expected)"), false];
      case "upstream": {
        let s = ev.category + "/" + ev.event;
        if (ev.url) s += " → " + ev.url + " · " + (ev.status || "no response") + ms(ev.durationMs);
        if (ev.completion === "result") s += " · result " + ev.result;
        else if (ev.completion === "empty") s += " · completed without result";
        if (ev.error) s += " · " + (ev.completion === "error" ? "error: " : "") + ev.error;
        return [s, !!ev.error];
      }
      case "result":
        return [ev.target + " · " + (ev.completion === "error" ? "error: " + ev.error : ev.completion === "result" ? "result " + ev.result : "no result"), ev.completion === "error"];
      case "rejected": {
        let s = ev.method + " " + ev.path + ": " + ev.reason;
        if (ev.error && ev.error !== ev.reason) s += " (" + ev.error + ")";
        if (ev.audience) s += " · token audience " + ev.audience;
        if (ev.expectedAudience) s += " · expected " + ev.expectedAudience;
        return [s, true];
      }
      case "gap":
        return [ev.missed + " events were missed: they left the emulator's buffer before this page read them", true];
    }
    return [JSON.stringify(ev), false];
  }

  function idButton(name, value, text) {
    if (!value) return "";
    return el("button", { type: "button", class: "link", title: "filter by " + name, onclick: () => setFilter(name, value) }, text || value);
  }

  function eventRow(ev) {
    const [text, bad] = details(ev);
    return el("tr", {
      class: "ev kind-" + ev.kind + (bad ? " bad" : ""),
      "data-seq": ev.seq, "data-kind": ev.kind, "data-hub": ev.hub || "",
      "data-connection": ev.connectionId || "", "data-user": ev.userId || "", "data-group": ev.group || "",
    },
      el("td", { class: "time", title: ev.time }, time(ev.time)),
      el("td", { class: "kind" }, ev.kind),
      el("td", { class: "hub" }, idButton("hub", ev.hub)),
      el("td", { class: "id" }, idButton("connection", ev.connectionId)),
      el("td", { class: "user" }, idButton("user", ev.userId)),
      el("td", { class: "details" }, ev.group ? idButton("group", ev.group, "group " + ev.group) : "", ev.group ? " " : "", text));
  }

  function receive(ev) {
    if (ev.seq) {
      if (ev.seq <= page.lastSeq) return; // replayed after a reconnect
      page.lastSeq = ev.seq;
    }
    page.total++;
    advanceBuckets();
    page.buckets[page.bucketAt % page.buckets.length]++;
    page.events.push(ev);
    // Trimmed in steps so a fast stream does not move the whole array on every event.
    if (page.events.length > KEEP_EVENTS * 1.25) page.events.splice(0, page.events.length - KEEP_EVENTS);
    if (page.paused) {
      page.missedWhilePaused++;
      return;
    }
    page.queue.push(ev);
    if (!page.flushTimer) page.flushTimer = setTimeout(flush, 16);
    if (ev.kind === "connected" || ev.kind === "disconnected" || ev.kind === "rest") scheduleState();
  }

  // flush draws queued events in one DOM update.
  function flush() {
    page.flushTimer = 0;
    const rows = $("event-rows");
    const frag = document.createDocumentFragment();
    const queued = page.queue.splice(0).slice(-MAX_ROWS);
    for (let i = queued.length - 1; i >= 0; i--) {
      if (eventMatches(queued[i])) frag.append(eventRow(queued[i]));
    }
    rows.prepend(frag);
    while (rows.childElementCount > MAX_ROWS) rows.lastElementChild.remove();
    updateCounters();
  }

  function redrawEvents() {
    page.queue.length = 0;
    const rows = $("event-rows");
    const frag = document.createDocumentFragment();
    let n = 0;
    for (let i = page.events.length - 1; i >= 0 && n < MAX_ROWS; i--) {
      if (eventMatches(page.events[i])) {
        frag.append(eventRow(page.events[i]));
        n++;
      }
    }
    rows.replaceChildren(frag);
    updateCounters();
  }

  // advanceBuckets moves the rate's window to now, emptying the slots it leaves behind.
  function advanceBuckets() {
    const slot = Math.floor(performance.now() / 100);
    const n = page.buckets.length;
    if (slot - page.bucketAt >= n) {
      page.buckets.fill(0);
      page.bucketAt = slot;
    }
    while (page.bucketAt < slot) {
      page.bucketAt++;
      page.buckets[page.bucketAt % n] = 0;
    }
  }

  function updateCounters() {
    advanceBuckets();
    $("rate").textContent = page.buckets.reduce((a, b) => a + b, 0) + " events/s";
    $("total").textContent = page.total + " events";
    const shown = $("event-rows").childElementCount;
    $("shown").textContent = page.paused
      ? "(paused · " + page.missedWhilePaused + " new)"
      : "(" + shown + " shown of " + page.events.length + " kept)";
  }

  function togglePause() {
    page.paused = !page.paused;
    const b = $("pause");
    b.textContent = page.paused ? "Resume" : "Pause";
    b.setAttribute("aria-pressed", String(page.paused));
    document.body.classList.toggle("paused", page.paused);
    if (!page.paused) {
      page.missedWhilePaused = 0;
      redrawEvents();
      scheduleState();
    }
    updateCounters();
  }

  function clearEvents() {
    page.events.length = 0;
    page.queue.length = 0;
    page.missedWhilePaused = 0;
    $("event-rows").replaceChildren();
    updateCounters();
  }

  // ---- state ------------------------------------------------------------------------------

  function scheduleState() {
    if (page.stateTimer || page.paused) return;
    page.stateTimer = setTimeout(loadState, STATE_DEBOUNCE_MS);
  }

  async function loadState() {
    page.stateTimer = 0;
    try {
      const resp = await fetch("state", { cache: "no-store" });
      if (!resp.ok) throw new Error("status " + resp.status);
      page.snapshot = await resp.json();
      renderState();
    } catch (err) {
      $("trace-info").textContent = "Cannot load the emulator's state: " + err.message;
    }
  }

  function since(iso) {
    const s = Math.max(0, Math.round((Date.now() - new Date(iso)) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    return Math.floor(s / 3600) + " h ago";
  }

  function fillList(id, values) {
    $(id).replaceChildren(...[...new Set(values)].sort().map((v) => el("option", { value: v })));
  }

  function renderState() {
    const st = page.snapshot;
    if (!st) return;
    const hubs = $("hubs");
    const parts = [];
    const names = { hub: [], user: [], connection: [], group: [] };
    for (const h of st.hubs) {
      names.hub.push(h.name);
      for (const c of h.connections) {
        names.connection.push(c.connectionId);
        if (c.userId) names.user.push(c.userId);
      }
      for (const g of h.groups) names.group.push(g.name);
      if (page.filter.hub && h.name !== page.filter.hub.toLowerCase()) continue;
      const conns = h.connections.filter((c) => connectionMatches(h.name, c));
      const section = el("section", { class: "hub-card", "data-hub": h.name });
      section.append(el("h3", {}, idButton("hub", h.name), " ",
        el("span", { class: "muted" }, h.connectionCount + (h.connectionCount === 1 ? " connection" : " connections"))));
      if (h.connections.length < h.connectionCount) {
        section.append(el("p", { class: "muted" }, "First " + h.connections.length + " connections listed."));
      }
      const table = el("table", { class: "conns" },
        el("thead", {}, el("tr", {}, ...["Connection", "User", "Transport", "Protocol", "Groups", "Connected"].map((t) => el("th", {}, t)))));
      const body = el("tbody");
      for (const c of conns) {
        body.append(el("tr", { class: "conn", "data-connection": c.connectionId, "data-user": c.userId || "" },
          el("td", { class: "id" }, idButton("connection", c.connectionId)),
          el("td", {}, idButton("user", c.userId) || el("span", { class: "muted" }, "anonymous")),
          el("td", {}, c.transport + (c.stateful ? " (stateful)" : "")),
          el("td", {}, c.protocol),
          el("td", {}, ...c.groups.flatMap((g) => [idButton("group", g), " "])),
          el("td", { title: c.connectedSince }, since(c.connectedSince))));
      }
      if (!conns.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No connection matches the filters.")));
      table.append(body);
      section.append(table);

      if (h.groups.length) {
        const list = el("ul", { class: "groups" });
        for (const g of h.groups) {
          if (page.filter.group && g.name !== page.filter.group) continue;
          list.append(el("li", { "data-group": g.name }, idButton("group", g.name), ": ",
            ...g.members.flatMap((id) => [idButton("connection", id), " "])));
        }
        section.append(el("h4", {}, "Groups (" + h.groupCount + ")"), list);
      }
      if (h.users.length) {
        const list = el("ul", { class: "users" });
        for (const u of h.users) {
          if (page.filter.user && u.userId !== page.filter.user) continue;
          list.append(el("li", { "data-user": u.userId }, idButton("user", u.userId), ": ",
            ...u.connections.flatMap((id) => [idButton("connection", id), " "])));
        }
        section.append(el("h4", {}, "Users (" + h.userCount + ")"), list);
      }
      parts.push(section);
    }
    if (parts.length) hubs.replaceChildren(...parts);
    else hubs.replaceChildren(el("p", { class: "empty" }, st.hubs.length ? "No hub matches the filters." : "No hub has connections yet."));

    const up = $("upstream");
    if (st.upstream.length) {
      up.replaceChildren(el("table", { class: "rules" },
        el("thead", {}, el("tr", {}, ...["Hub", "Category", "Event", "URL"].map((t) => el("th", {}, t)))),
        el("tbody", {}, ...st.upstream.map((r) => el("tr", {}, el("td", {}, r.hub), el("td", {}, r.category), el("td", {}, r.event), el("td", { class: "url" }, r.url))))));
    } else {
      up.replaceChildren(el("p", { class: "empty" }, "No upstream: events clients send are dropped."));
    }
    const t = st.trace;
    $("trace-info").textContent = "The emulator keeps the last " + t.capacity + " events (" + t.events + " now, " +
      Math.round(t.bytes / 1024) + " KiB) · " + t.subscribers + " trace stream(s) open · " + t.dropped + " dropped for reading too slowly.";
    fillList("hub-names", names.hub);
    fillList("user-names", names.user);
    fillList("connection-ids", names.connection);
    fillList("group-names", names.group);
  }

  // ---- stream -----------------------------------------------------------------------------

  function connect() {
    const status = $("status");
    const es = new EventSource("events");
    es.onopen = () => {
      status.textContent = "live";
      status.className = "status live";
      scheduleState();
    };
    es.onerror = () => {
      status.textContent = es.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…";
      status.className = "status down";
    };
    es.onmessage = (m) => {
      try {
        receive(JSON.parse(m.data));
      } catch (err) {
        console.error("trace: bad event", err);
      }
    };
  }

  function init() {
    readFilterFromURL();
    buildKindBoxes();
    for (const name of ["hub", "user", "connection", "group"]) {
      $("f-" + name).addEventListener("input", (e) => {
        page.filter[name] = e.target.value.trim();
        filterChanged();
      });
    }
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    $("filters").addEventListener("reset", () => {
      setTimeout(() => {
        page.filter = { hub: "", user: "", connection: "", group: "", kinds: new Set(KINDS) };
        for (const k of KINDS) $("kind-" + k).checked = true;
        filterChanged();
      });
    });
    $("pause").addEventListener("click", togglePause);
    $("clear").addEventListener("click", clearEvents);
    setInterval(updateCounters, 500);
    setInterval(() => {
      if (!page.paused) loadState();
    }, STATE_REFRESH_MS);
    loadState();
    connect();
  }

  init();
})();
