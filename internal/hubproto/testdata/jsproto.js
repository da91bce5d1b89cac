// Drives the official client's hub protocol implementations
// (@microsoft/signalr JsonHubProtocol, @microsoft/signalr-protocol-msgpack
// MessagePackHubProtocol). Run with NODE_PATH pointing at
// internal/jsclient/node_modules.
//
//   node jsproto.js write <dir>          writes js/<name>.{json,msgpack} fixtures
//   node jsproto.js parse json|messagepack   parses stdin, prints the messages as JSON
"use strict";
const fs = require("fs");
const path = require("path");
const { JsonHubProtocol, NullLogger } = require("@microsoft/signalr");
const { MessagePackHubProtocol } = require("@microsoft/signalr-protocol-msgpack");

// Messages as the JS client builds them (HubConnection._createInvocation etc.).
const fixtures = {
  invocation_send: { type: 1, target: "broadcast", arguments: ["hello", 42], headers: {} },
  invocation_invoke: { type: 1, invocationId: "0", target: "echo", arguments: ["hi", { a: 1, b: [true, null], c: -2.5 }], headers: {} },
  invocation_streamids: { type: 1, invocationId: "1", target: "upload", arguments: ["x"], streamIds: ["2"], headers: {} },
  invocation_headers: { type: 1, target: "send", arguments: [], headers: { "trace-id": "abc" } },
  stream_invocation: { type: 4, invocationId: "3", target: "counter", arguments: [10, 500], headers: {} },
  stream_item: { type: 2, invocationId: "4", item: { n: 1.5, s: "é\u2028" }, headers: {} },
  completion_result: { type: 3, invocationId: "0", result: "done", headers: {} },
  completion_result_null: { type: 3, invocationId: "5", result: null, headers: {} },
  completion_error: { type: 3, invocationId: "0", error: "boom", headers: {} },
  completion_void: { type: 3, invocationId: "0", headers: {} },
  cancel_invocation: { type: 5, invocationId: "3", headers: {} },
  ping: { type: 6 },
  close: { type: 7 },
  ack: { type: 8, sequenceId: 3 },
  sequence: { type: 9, sequenceId: 1 },
};

function protocol(name) {
  if (name === "json") return new JsonHubProtocol();
  if (name === "messagepack") return new MessagePackHubProtocol();
  throw new Error("unknown protocol " + name);
}

const [mode, arg] = process.argv.slice(2);
if (mode === "write") {
  for (const [name, msg] of Object.entries(fixtures)) {
    for (const p of ["json", "messagepack"]) {
      let out = protocol(p).writeMessage(msg);
      out = typeof out === "string" ? Buffer.from(out, "utf8") : Buffer.from(out);
      fs.writeFileSync(path.join(arg, name + "." + (p === "json" ? "json" : "msgpack")), out);
    }
  }
} else if (mode === "parse") {
  const input = fs.readFileSync(0);
  const p = protocol(arg);
  const data = arg === "json" ? input.toString("utf8") : input.buffer.slice(input.byteOffset, input.byteOffset + input.length);
  const msgs = p.parseMessages(data, NullLogger.instance);
  process.stdout.write(JSON.stringify(msgs));
} else {
  console.error("usage: jsproto.js write <dir> | parse json|messagepack");
  process.exit(2);
}
