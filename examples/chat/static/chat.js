// The chat page: negotiate through /api/negotiate, then listen for "newMessage" and call the
// HTTP functions (broadcast, sendToUser, joinGroup, leaveGroup, sendToGroup) or the hub itself
// (send "broadcast", invoke "echo"), which reach the app through the service's upstream.
"use strict";

const $ = (id) => document.getElementById(id);
// The functions' base URL: the page is itself a function (<prefix>/web/), so they are one level
// up; ?api=https://<app>.azurewebsites.net/api/ points a copy hosted elsewhere at the app (which
// then needs CORS for that origin, with credentials).
const api = new URL(new URLSearchParams(location.search).get("api") || "../", location.href).href;
let connection;
let user = "";
// What this page has seen since it connected, for the notes that explain a silent send: the
// groups it joined, and how many connections of each user the announcements counted.
const joined = new Set();
const online = new Map();

function track(message) {
  if (message.kind !== "system" || message.sender) return;
  const m = /^(.+) (joined|left)$/.exec(message.text);
  if (!m) return;
  const n = (online.get(m[1]) || 0) + (m[2] === "joined" ? 1 : -1);
  if (n > 0) online.set(m[1], n); else online.delete(m[1]);
}

function show(message) {
  track(message);
  const li = document.createElement("li");
  li.dataset.kind = message.kind || "all";
  if (message.sender) {
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = message.sender + (message.group ? " @" + message.group : "") + ":";
    li.append(who);
  }
  li.append(document.createTextNode(message.text));
  $("messages").append(li);
  li.scrollIntoView({ block: "end" });
}

function setError(err) {
  $("error").textContent = err ? String(err.message || err) : "";
}

async function call(fn, body) {
  // The user rides in the query, not a header: fetch refuses non-Latin-1 header values, and a
  // local run signs the user in from either (in Azure, App Service authentication does).
  const res = await fetch(api + fn + "?user=" + encodeURIComponent(user), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).error || detail; } catch { /* not JSON */ }
    throw new Error(fn + " failed: " + res.status + " " + detail);
  }
}

function enable(on) {
  for (const el of document.querySelectorAll("main input:not(#name), main button:not(#connect)")) {
    el.disabled = !on;
  }
  $("name").disabled = on;
  $("connect").disabled = on;
}

function setStatus(state) {
  $("status").dataset.state = state;
  $("status").textContent = state === "connected" ? user + " (" + connection.connectionId + ")" : state;
}

async function connect(name) {
  user = name;
  connection = new signalR.HubConnectionBuilder()
    // The user rides on the negotiate query; the service (another origin) never sees it.
    .withUrl(api + "?user=" + encodeURIComponent(user))
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  connection.on("newMessage", show);
  connection.onreconnecting(() => setStatus("reconnecting"));
  connection.onreconnected(() => setStatus("connected"));
  connection.onclose((err) => { setStatus("disconnected"); enable(false); setError(err); });
  await connection.start();
  setStatus("connected");
  enable(true);
}

function on(id, handler) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    setError("");
    try { await handler(); } catch (err) { setError(err); }
  });
}

on("login", () => {
  const name = $("name").value.trim();
  if (!name) throw new Error("Enter a name: spaces alone are no name.");
  $("name").value = name;
  return connect(name);
});
on("all", async () => { await call("broadcast", { text: $("message").value }); $("message").value = ""; });
on("dm", async () => {
  const to = $("dm-to").value.trim();
  const text = $("dm-text").value;
  if (!to) throw new Error("Enter who the message is for.");
  await call("sendToUser", { to, text });
  // The DM goes only to the recipient's connections; keep a note of it here.
  show({ kind: "system", text: "to " + to + ": " + text });
  if (to !== user && !online.has(to)) {
    show({ kind: "system", text: "(" + to + " has not joined since you connected: a DM reaches only connected users, so it may be lost)" });
  }
  $("dm-text").value = "";
});
on("group-send", async () => {
  const group = $("group").value.trim();
  if (!group) throw new Error("Enter the group to send to.");
  await call("sendToGroup", { group, text: $("group-text").value });
  if (!joined.has(group)) {
    show({ kind: "system", text: "(sent to " + group + ", which you have not joined: its members get it, you will not see it or their replies until you join)" });
  }
  $("group-text").value = "";
});
on("echo-form", async () => {
  // echo answers an object ({text, user}); a bare string could be mangled by the Functions host.
  const reply = await connection.invoke("echo", $("echo-text").value);
  $("echo-result").value = reply ? reply.text : "(no reply)";
});

$("send-hub").addEventListener("click", async () => {
  setError("");
  try { await connection.send("broadcast", $("message").value); $("message").value = ""; } catch (err) { setError(err); }
});
for (const [id, fn] of [["join", "joinGroup"], ["leave", "leaveGroup"]]) {
  $(id).addEventListener("click", async () => {
    setError("");
    try {
      const group = $("group").value.trim();
      if (!group) throw new Error("Enter a group name.");
      await call(fn, { group, connectionId: connection.connectionId });
      if (fn === "joinGroup") joined.add(group); else joined.delete(group);
      show({ kind: "system", text: (fn === "joinGroup" ? "joined " : "left ") + group });
    } catch (err) { setError(err); }
  });
}
