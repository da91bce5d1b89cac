"use strict";
// The JSON-lines protocol shared by the drivers: one JSON object per stdout line.
//
// Binary values cannot travel as JSON, so both directions spell them {"$binary": "<base64>"}:
// MessagePack hands the client Uint8Array arguments, and Go tests may send bytes.

function replacer(_key, value) {
  if (value instanceof Uint8Array) {
    return { $binary: Buffer.from(value).toString("base64") };
  }
  if (value instanceof ArrayBuffer) {
    return { $binary: Buffer.from(new Uint8Array(value)).toString("base64") };
  }
  if (typeof value === "bigint") {
    // MessagePack int64/uint64 beyond 2^53 decode as BigInt, which JSON.stringify rejects.
    return value.toString();
  }
  return value;
}

function emit(event) {
  process.stdout.write(JSON.stringify(event, replacer) + "\n");
}

function errorText(err) {
  if (err === undefined || err === null) {
    return "";
  }
  if (typeof err === "string") {
    return err;
  }
  return err.message || String(err);
}

function revive(value) {
  if (Array.isArray(value)) {
    return value.map(revive);
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$binary" && typeof value.$binary === "string") {
      return new Uint8Array(Buffer.from(value.$binary, "base64"));
    }
    const out = {};
    for (const k of keys) {
      out[k] = revive(value[k]);
    }
    return out;
  }
  return value;
}

function reviveArgs(args) {
  return args.map(revive);
}

module.exports = { emit, errorText, reviveArgs };
