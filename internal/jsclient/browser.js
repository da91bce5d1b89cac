"use strict";
// Drives one headless Chromium page through playwright-core on behalf of a Go test.
//
// Config: one JSON object in argv[2]: {executablePath, args}.
// Commands: JSON lines on stdin, {"id": n, "cmd": "...", ...}; each gets one reply line.
// Events: the page's console messages and uncaught errors, one JSON line each.

const readline = require("readline");
const { chromium } = require("playwright-core");
const { emit, errorText } = require("./lines.js");

const cfg = JSON.parse(process.argv[2] || "{}");

// A stray rejection inside the client must not kill the process mid-test (Node's default);
// it is logged for the test's failure output instead.
process.on("unhandledRejection", (err) => process.stderr.write(`unhandled rejection: ${errorText(err)}\n`));

let browser;
let page;

const commands = {
  async goto(c) {
    const resp = await page.goto(c.url, { waitUntil: "load", timeout: c.timeoutMs });
    return { status: resp ? resp.status() : 0 };
  },
  async eval(c) {
    // A string is evaluated as an expression in the page; a promise is awaited.
    const result = await page.evaluate(c.expr);
    return { result: result === undefined ? null : result };
  },
  async waitForSelector(c) {
    await page.waitForSelector(c.selector, { timeout: c.timeoutMs });
    return {};
  },
  async waitForText(c) {
    await page.getByText(c.text).first().waitFor({ timeout: c.timeoutMs });
    return {};
  },
  async click(c) {
    await page.click(c.selector, { timeout: c.timeoutMs });
    return {};
  },
  async fill(c) {
    await page.fill(c.selector, c.text, { timeout: c.timeoutMs });
    return {};
  },
  async screenshot(c) {
    await page.screenshot({ path: c.path, fullPage: true });
    return {};
  },
  async content() {
    return { html: await page.content() };
  },
};

async function run(c) {
  const handler = commands[c.cmd];
  if (!handler) {
    emit({ event: "reply", id: c.id, error: `unknown command ${JSON.stringify(c.cmd)}` });
    return;
  }
  try {
    emit({ event: "reply", id: c.id, ...(await handler(c)) });
  } catch (err) {
    emit({ event: "reply", id: c.id, error: errorText(err) || "failed" });
  }
}

async function shutdown(code) {
  try {
    if (browser) {
      await browser.close();
    }
  } catch {
    // Exiting anyway; the Go side kills us if this hangs.
  }
  process.exit(code);
}

(async () => {
  try {
    browser = await chromium.launch({ executablePath: cfg.executablePath, headless: true, args: cfg.args || [] });
    const context = await browser.newContext();
    page = await context.newPage();
    page.on("console", (msg) => emit({ event: "console", type: msg.type(), text: msg.text() }));
    page.on("pageerror", (err) => emit({ event: "pageerror", text: errorText(err) }));
    emit({ event: "ready", version: browser.version() });
  } catch (err) {
    emit({ event: "launchFailed", text: errorText(err) });
    await shutdown(1);
    return;
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
      process.stderr.write(`browser driver: bad command line ${line}: ${err}\n`);
      return;
    }
    run(c);
  });
  rl.on("close", () => shutdown(0));
})();
