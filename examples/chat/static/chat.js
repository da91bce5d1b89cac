// The chat page: negotiate through /api/negotiate, then listen for "newMessage" and call the
// HTTP functions (broadcast, sendToUser, joinGroup, leaveGroup, sendToGroup) or the hub itself
// (send "broadcast", invoke "echo"), which reach the app through the service's upstream.
"use strict";

const $ = (id) => document.getElementById(id);
let connection;
let user = "";

function show(message) {
  const li = document.createElement("li");
  li.dataset.kind = message.kind || "all";
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = message.sender ? message.sender + (message.group ? " @" + message.group : "") + ":" : "";
  li.append(who, document.createTextNode(message.text));
  $("messages").append(li);
  li.scrollIntoView({ block: "end" });
}

function setError(err) {
  $("error").textContent = err ? String(err.message || err) : "";
}

async function call(fn, body) {
  const res = await fetch("api/" + fn, {
    method: "POST",
    headers: { "Content-Type": "application/json", "x-user": user },
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
    // The user rides on the negotiate query, so the service (another origin) sees no custom header.
    .withUrl("api?user=" + encodeURIComponent(user))
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
on("dm", async () => { await call("sendToUser", { to: $("dm-to").value, text: $("dm-text").value }); $("dm-text").value = ""; });
on("group-send", async () => {
  await call("sendToGroup", { group: $("group").value, text: $("group-text").value });
  $("group-text").value = "";
});
on("echo-form", async () => { $("echo-result").value = await connection.invoke("echo", $("echo-text").value); });

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
