"use strict";
// Drives one @microsoft/signalr HubConnection on behalf of a Go test.
//
// Config: one JSON object in argv[2] (see Config in client.go).
// Commands: JSON lines on stdin, {"id": n, "cmd": "...", ...}; each gets exactly one
// {"event":"reply","id":n,...} line back.
// Events: one JSON line each on stdout (message, close, reconnecting, reconnected, started,
// startFailed). Client logs go to stderr, which the Go side shows when a test fails.

const readline = require("readline");
const signalr = require("@microsoft/signalr");
const { emit, errorText, reviveArgs } = require("./lines.js");

const cfg = JSON.parse(process.argv[2] || "{}");

// A stray rejection inside the client must not kill the process mid-test (Node's default);
// it is logged for the test's failure output instead.
process.on("unhandledRejection", (err) => process.stderr.write(`unhandled rejection: ${errorText(err)}\n`));

const logLevels = {
  Trace: signalr.LogLevel.Trace,
  Debug: signalr.LogLevel.Debug,
  Information: signalr.LogLevel.Information,
  Warning: signalr.LogLevel.Warning,
  Error: signalr.LogLevel.Error,
  None: signalr.LogLevel.None,
};
const minLevel = logLevels[cfg.logLevel || "Warning"];
const levelNames = Object.fromEntries(Object.entries(logLevels).map(([k, v]) => [v, k]));
const logger = {
  log(level, message) {
    if (level >= minLevel) {
      process.stderr.write(`${new Date().toISOString()} [${levelNames[level]}] ${message}\n`);
    }
  },
};

// The token can be replaced at run time (command "token"); the client calls the factory
// before every negotiate and WebSocket/SSE connect, so the new one is used from then on.
let accessToken = cfg.accessToken || "";

const httpOptions = {
  transport: signalr.HttpTransportType[cfg.transport || "WebSockets"],
  skipNegotiation: false,
  logger,
  headers: cfg.headers || {},
};
if (httpOptions.transport === undefined) {
  emit({ event: "startFailed", error: `unknown transport ${JSON.stringify(cfg.transport)}` });
  process.exit(2);
}
if (accessToken !== "") {
  httpOptions.accessTokenFactory = () => accessToken;
}

let builder = new signalr.HubConnectionBuilder().withUrl(cfg.url, httpOptions).configureLogging(logger);
if (cfg.protocol === "messagepack") {
  const { MessagePackHubProtocol } = require("@microsoft/signalr-protocol-msgpack");
  builder = builder.withHubProtocol(new MessagePackHubProtocol());
} else if (cfg.protocol && cfg.protocol !== "json") {
  emit({ event: "startFailed", error: `unknown protocol ${JSON.stringify(cfg.protocol)}` });
  process.exit(2);
}
if (cfg.statefulReconnect) {
  builder = builder.withStatefulReconnect();
}
if (cfg.automaticReconnect) {
  builder = cfg.reconnectDelaysMs ? builder.withAutomaticReconnect(cfg.reconnectDelaysMs) : builder.withAutomaticReconnect();
}
if (cfg.serverTimeoutMs) {
  builder = builder.withServerTimeout(cfg.serverTimeoutMs);
}
if (cfg.keepAliveIntervalMs) {
  builder = builder.withKeepAliveInterval(cfg.keepAliveIntervalMs);
}
const conn = builder.build();

// on registers a handler that reports every invocation of target. With hasResult the handler
// also answers server-to-client invocations ("client results") with result.
function on(target, hasResult, result) {
  conn.off(target);
  conn.on(target, (...args) => {
    emit({ event: "message", target, args });
    if (hasResult) {
      return result;
    }
  });
}
for (const target of cfg.targets || []) {
  on(target, false);
}
for (const [target, result] of Object.entries(cfg.results || {})) {
  on(target, true, result);
}
conn.onclose((err) => emit({ event: "close", error: errorText(err) }));
conn.onreconnecting((err) => emit({ event: "reconnecting", error: errorText(err) }));
conn.onreconnected((id) => emit({ event: "reconnected", connectionId: id || "" }));

// dropSocket kills the current WebSocket without a close handshake, the way a network
// failure does. The transport keeps the socket in a private field, the one place the
// driver reaches into the client's internals; ws's terminate() is public.
function dropSocket() {
  const transport = conn.connection && conn.connection.transport;
  const socket = transport && transport._webSocket;
  if (!socket || typeof socket.terminate !== "function") {
    throw new Error("drop needs an open WebSocket transport");
  }
  socket.terminate();
}

const commands = {
  async start() {
    await conn.start();
    return { connectionId: conn.connectionId || "" };
  },
  async stop() {
    await conn.stop();
    return {};
  },
  async send(c) {
    await conn.send(c.target, ...reviveArgs(c.args || []));
    return {};
  },
  async invoke(c) {
    const result = await conn.invoke(c.target, ...reviveArgs(c.args || []));
    return { result: result === undefined ? null : result };
  },
  stream(c) {
    return new Promise((resolve, reject) => {
      const items = [];
      conn.stream(c.target, ...reviveArgs(c.args || [])).subscribe({
        next: (item) => items.push(item),
        error: (err) => reject(err),
        complete: () => resolve({ items }),
      });
    });
  },
  on(c) {
    on(c.target, c.hasResult === true, c.result);
    return {};
  },
  off(c) {
    conn.off(c.target);
    return {};
  },
  state() {
    return { state: conn.state, connectionId: conn.connectionId || "" };
  },
  token(c) {
    accessToken = c.token || "";
    return {};
  },
  drop() {
    dropSocket();
    return {};
  },
};

async function run(c) {
  const handler = commands[c.cmd];
  if (!handler) {
    emit({ event: "reply", id: c.id, error: `unknown command ${JSON.stringify(c.cmd)}` });
    return;
  }
  try {
    const out = await handler(c);
    emit({ event: "reply", id: c.id, ...out });
  } catch (err) {
    emit({ event: "reply", id: c.id, error: errorText(err) || "failed" });
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (line.trim() === "") {
    return;
  }
  let c;
  try {
    c = JSON.parse(line);
  } catch (err) {
    process.stderr.write(`driver: bad command line ${line}: ${err}\n`);
    return;
  }
  run(c);
});
// Closing stdin ends the session: stop the connection (sending Close) and exit.
rl.on("close", async () => {
  try {
    await conn.stop();
  } catch {
    // The process is going away; nothing is waiting for this error.
  }
  process.exit(0);
});

(async () => {
  try {
    await conn.start();
    emit({ event: "started", connectionId: conn.connectionId || "" });
  } catch (err) {
    emit({ event: "startFailed", error: errorText(err) || "start failed" });
  }
})();
