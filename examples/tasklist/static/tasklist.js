// The task list page: every change made anywhere arrives as a "taskUpdate" event, and the page
// re-renders from /api/listTasks, so all open browsers show the same list without reloading.
"use strict";

const $ = (id) => document.getElementById(id);
// The functions' base URL: the page is itself a function (<prefix>/web/), so they are one level
// up; ?api=https://<app>.azurewebsites.net/api/ points a copy hosted elsewhere at the app (which
// then needs CORS for that origin, with credentials).
const apiBase = new URL(new URLSearchParams(location.search).get("api") || "../", location.href).href;

async function api(method, path, body) {
  const res = await fetch(apiBase + path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) {
    // The functions answer {"error": "…"}: say what the server said, not just the status.
    let detail = res.statusText;
    try { detail = (await res.json()).error || detail; } catch { /* not JSON */ }
    throw new Error(path + " failed: " + res.status + " " + detail);
  }
  return res.status === 204 ? null : res.json();
}

async function render() {
  const tasks = await api("GET", "listTasks");
  const list = $("tasks");
  list.replaceChildren(...tasks.map((task) => {
    const li = document.createElement("li");
    li.dataset.id = task.id;
    li.dataset.done = String(task.done);
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = task.done;
    box.disabled = task.done;
    box.addEventListener("change", () => api("POST", "completeTask", { id: task.id }).catch(showError));
    const title = document.createElement("span");
    title.textContent = task.title;
    li.append(box, title);
    return li;
  }));
}

function showError(err) { $("error").textContent = err ? String(err.message || err) : ""; }

$("add").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    showError("");
    await api("POST", "addTask", { title: $("title").value });
    $("title").value = "";
  } catch (err) { showError(err); }
});

const connection = new signalR.HubConnectionBuilder()
  .withUrl(apiBase)
  .withAutomaticReconnect()
  .configureLogging(signalR.LogLevel.Warning)
  .build();
connection.on("taskUpdate", () => render().catch(showError));
connection.onreconnected(() => render().catch(showError));
connection.start()
  .then(() => { $("status").textContent = "live"; $("status").dataset.state = "connected"; return render(); })
  .catch(showError);
