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

function show(message) {
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

on("login", () => connect($("name").value.trim()));
on("all", async () => { await call("broadcast", { text: $("message").value }); $("message").value = ""; });
on("dm", async () => {
  const to = $("dm-to").value;
  const text = $("dm-text").value;
  await call("sendToUser", { to, text });
  // The DM goes only to the recipient's connections; keep a note of it here.
  show({ kind: "system", text: "to " + to + ": " + text });
  $("dm-text").value = "";
});
on("group-send", async () => {
  await call("sendToGroup", { group: $("group").value, text: $("group-text").value });
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
      await call(fn, { group: $("group").value, connectionId: connection.connectionId });
      show({ kind: "system", text: (fn === "joinGroup" ? "joined " : "left ") + $("group").value });
    } catch (err) { setError(err); }
  });
}
