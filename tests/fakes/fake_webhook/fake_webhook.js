#!/usr/bin/env node
// fake_webhook: a webhook receiver for tests of the webhook output. Every POST is verified with
// the official Standard Webhooks library (npm `standardwebhooks`), so an implementation other
// than ours checks our signatures: https://github.com/standard-webhooks/standard-webhooks
// (spec/standard-webhooks.md). A control port injects faults and reports what arrived, with the
// same API as the other fakes in tests/fakes, so FakeReceiver drives it unchanged.
//
// node_modules is found beside this file: the build copies it next to the `npm ci` output
// (tests/fakes/CMakeLists.txt), and it runs from there.
"use strict";

const fs = require("fs");
const http = require("http");
const { Webhook, WebhookVerificationError } = require("standardwebhooks");

const USAGE = `usage: fake_webhook [--host 127.0.0.1] [--port 0] [--control-port 0] [--port-file FILE]
                    [--secret whsec_...]... [--path /] [--exit-with-parent]`;
// The Standard Webhooks spec's example secret: the one used unless --secret is given.
const DEFAULT_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MAX_EVENTS = 100000;

function fail(message) {
  process.stderr.write(`fake_webhook: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { host: "127.0.0.1", port: 0, controlPort: 0, portFile: "", secrets: [],
                    path: "/", exitWithParent: false };
  const port = (v, name) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 65535) fail(`${name} wants a port number, not "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; ++i) {
    let [flag, value] = argv[i].split(/=(.*)/s, 2);
    const next = () => {
      if (value === undefined) {
        if (i + 1 >= argv.length) fail(`${flag} wants a value`);
        value = argv[++i];
      }
      return value;
    };
    switch (flag) {
      case "--host": options.host = next(); break;
      case "--port": options.port = port(next(), flag); break;
      case "--control-port": options.controlPort = port(next(), flag); break;
      case "--port-file": options.portFile = next(); break;
      case "--secret": options.secrets.push(next()); break;
      case "--path": options.path = next(); break;
      case "--exit-with-parent": options.exitWithParent = true; break;
      case "--help": process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: fail(`unknown argument "${argv[i]}"`);
    }
  }
  if (options.secrets.length === 0) options.secrets.push(DEFAULT_SECRET);
  if (!options.path.startsWith("/")) fail(`--path must start with /, not "${options.path}"`);
  return options;
}

// ---- faults ----------------------------------------------------------------------------------

function defaultFaults() {
  return { status: 0, count: 0, retry_after: null, location: "http://127.0.0.1:1/elsewhere",
           delay_ms: 0, drop_requests: 0, gone: false, answer_status: 200, seed: 1 };
}

const isCount = (v) => Number.isInteger(v) && v >= 0;
// Each key: whether a value is acceptable, and what it must be.
const FAULT_KEYS = {
  status: [(v) => v === 0 || (Number.isInteger(v) && v >= 100 && v <= 599), "0 or an HTTP status"],
  count: [isCount, "a count"],
  retry_after: [(v) => v === null || isCount(v) || typeof v === "string",
                "seconds, an HTTP date string or null"],
  location: [(v) => typeof v === "string", "a URL string"],
  delay_ms: [isCount, "milliseconds"],
  drop_requests: [isCount, "a count"],
  gone: [(v) => typeof v === "boolean", "true or false"],
  answer_status: [(v) => Number.isInteger(v) && v >= 200 && v <= 299, "a 2xx status"],
  seed: [isCount, "a non-negative integer"],
};

// Applies the keys of `body` (all or none); returns an error message or null.
function applyFaults(faults, body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "want an object";
  for (const [key, value] of Object.entries(body)) {
    const rule = FAULT_KEYS[key];
    if (!rule) return `unknown fault "${key}"`;
    if (!rule[0](value)) return `"${key}" wants ${rule[1]}`;
  }
  Object.assign(faults, body);
  if (faults.retry_after === "") faults.retry_after = null;
  return null;
}

// ---- state -----------------------------------------------------------------------------------

function emptyStats() {
  return { received: 0, delivered: 0, invalid_signatures: 0, wrong_content_type: 0,
           invalid_json: 0, dropped_requests: 0, by_status: {}, connections: 0,
           bytes_received: 0 };
}

const state = { faults: defaultFaults(), stats: emptyStats(), events: [], ids: new Map() };

function statsJson() {
  // "indexed" is what FakeReceiver::indexed() reads, the same count as "delivered".
  return { ...state.stats, indexed: state.stats.delivered, distinct_ids: state.ids.size };
}

// ---- data port -------------------------------------------------------------------------------

function answer(res, status, body, headers = {}) {
  const key = String(status);
  state.stats.by_status[key] = (state.stats.by_status[key] || 0) + 1;
  const send = () => {
    if (res.destroyed || res.socket === null || res.socket.destroyed) return;
    const text = status === 204 || status === 304 ? "" : JSON.stringify(body);
    const type = text ? { "Content-Type": "application/json" } : {};
    res.writeHead(status, { ...headers, ...type, "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  };
  if (state.faults.delay_ms > 0) setTimeout(send, state.faults.delay_ms);
  else send();
}

function faultAnswer(res, status) {
  const headers = {};
  if (state.faults.retry_after !== null) headers["Retry-After"] = String(state.faults.retry_after);
  if (status >= 300 && status < 400) headers.Location = state.faults.location;
  answer(res, status, { error: "injected fault", status }, headers);
}

// Tries each secret, the way a receiver does during key rotation; the library checks the
// timestamp tolerance (5 minutes) and any of the space-separated v1 signatures.
function verify(webhooks, body, headers) {
  let reason = "no secret";
  for (const webhook of webhooks) {
    try {
      return { ok: true, event: webhook.verify(body, headers) };
    } catch (e) {
      if (e instanceof WebhookVerificationError) reason = e.message;
      else if (e instanceof SyntaxError) return { ok: true, badJson: true };  // signature was good
      else throw e;
    }
  }
  return { ok: false, reason };
}

function handleEvent(options, webhooks, req, res, body) {
  const faults = state.faults;
  if (faults.drop_requests > 0) {
    faults.drop_requests--;
    state.stats.dropped_requests++;
    req.socket.destroy();
    return;
  }
  if (faults.gone) return faultAnswer(res, 410);
  if (faults.status !== 0 && faults.count > 0) {
    faults.count--;
    return faultAnswer(res, faults.status);
  }
  const mediaType = (req.headers["content-type"] || "").split(";")[0].trim().toLowerCase();
  if (mediaType !== "application/json") {
    state.stats.wrong_content_type++;
    return answer(res, 415, { error: "Content-Type must be application/json" });
  }
  const verdict = verify(webhooks, body, req.headers);
  if (!verdict.ok) {
    state.stats.invalid_signatures++;
    process.stderr.write(`fake_webhook: invalid signature: ${verdict.reason}\n`);
    return answer(res, 401, { error: "invalid signature" });
  }
  if (verdict.badJson || verdict.event === undefined) {
    state.stats.invalid_json++;
    return answer(res, 400, { error: "body is not JSON" });
  }
  const id = req.headers["webhook-id"];
  state.ids.set(id, (state.ids.get(id) || 0) + 1);
  state.events.push(JSON.stringify({
    webhook_id: id,
    webhook_timestamp: parseInt(req.headers["webhook-timestamp"], 10),
    signatures: req.headers["webhook-signature"].split(" ").filter((s) => s !== ""),
    received_ms: Date.now(),
    event: verdict.event,
  }));
  if (state.events.length > MAX_EVENTS) state.events.shift();
  state.stats.delivered++;
  answer(res, faults.answer_status, { status: "accepted" });
}

function dataHandler(options, webhooks) {
  return (req, res) => {
    state.stats.received++;
    const chunks = [];
    req.on("data", (chunk) => {
      chunks.push(chunk);
      state.stats.bytes_received += chunk.length;
    });
    req.on("error", () => {});
    req.on("end", () => {
      // The raw bytes, before any JSON parse: the signature covers them exactly.
      const body = Buffer.concat(chunks);
      const path = req.url.split("?")[0];
      if (path !== options.path) return answer(res, 404, { error: `no route ${path}` });
      if (req.method !== "POST") return answer(res, 405, { error: "POST only" }, { Allow: "POST" });
      handleEvent(options, webhooks, req, res, body);
    });
  };
}

// ---- control port ----------------------------------------------------------------------------

function controlHandler(data) {
  const reply = (res, status, body, type = "application/json") => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  };
  const parse = (text) => {
    try {
      return text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  return (req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = parse(Buffer.concat(chunks).toString());
      const route = `${req.method} ${req.url.split("?")[0]}`;
      switch (route) {
        case "GET /_fake/faults": return reply(res, 200, state.faults);
        case "POST /_fake/faults": {
          const error = body === undefined ? "bad JSON" : applyFaults(state.faults, body);
          return error ? reply(res, 400, { error }) : reply(res, 200, state.faults);
        }
        case "POST /_fake/faults/clear":
          state.faults = defaultFaults();
          return reply(res, 200, state.faults);
        case "POST /_fake/down": {
          if (!body || !isCount(body.ms)) return reply(res, 400, { error: 'want {"ms":N}' });
          return data.down(body.ms, () => reply(res, 200, { down_ms: body.ms }));
        }
        case "POST /_fake/reset":
          state.stats = emptyStats();
          state.events = [];
          state.ids = new Map();
          return reply(res, 200, {});
        case "GET /_fake/stats": return reply(res, 200, statsJson());
        case "GET /_fake/events":
          return reply(res, 200, state.events.map((line) => `${line}\n`).join(""),
                       "application/x-ndjson");
        case "GET /_fake/ids": {
          const lines = [...state.ids].map(([id, n]) => `${id}\t${n}\n`).join("");
          return reply(res, 200, lines, "text/plain");
        }
        default: return reply(res, 404, { error: `no route ${route}` });
      }
    });
  };
}

// The data server, which /_fake/down closes and reopens on the same port.
class DataServer {
  constructor(options, handler) {
    this.host = options.host;
    this.server = http.createServer(handler);
    this.server.on("connection", () => state.stats.connections++);
    this.reopenTimer = null;
  }

  listen(port, callback) {
    this.server.once("listening", callback);
    this.server.listen(port, this.host);
  }

  port() { return this.server.address().port; }

  // Answers `done` once the port refuses connections; reopens it `ms` later.
  down(ms, done) {
    const port = this.port();
    clearTimeout(this.reopenTimer);
    const schedule = () => { this.reopenTimer = setTimeout(() => this.reopen(port), ms); done(); };
    if (!this.server.listening) return schedule();
    this.server.close(schedule);
    this.server.closeAllConnections();  // keep-alive ones too: "down" means every connection
  }

  reopen(port) {
    const retry = (e) => {
      process.stderr.write(`fake_webhook: reopening port ${port}: ${e.message}\n`);
      this.server.removeAllListeners("listening");
      this.reopenTimer = setTimeout(() => this.reopen(port), 100);
    };
    this.server.once("error", retry);
    this.listen(port, () => this.server.removeListener("error", retry));
  }
}

// ---- process ---------------------------------------------------------------------------------

// process.ppid is read once, at Node's start, so the live parent comes from /proc (Linux);
// elsewhere the original parent's existence is polled instead.
function parentPid() {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function exitWithParent() {
  const first = process.ppid;  // the parent that started us, even if it has died since
  const parentGone = () => {
    const now = parentPid();
    if (now !== null) return now !== first;
    try {
      process.kill(first, 0);
      return false;
    } catch {
      return true;
    }
  };
  setInterval(() => { if (parentGone()) process.exit(0); }, 200).unref();
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  let webhooks;
  try {
    webhooks = options.secrets.map((secret) => new Webhook(secret));
  } catch (e) {
    fail(`bad --secret: ${e.message}`);
  }
  if (options.exitWithParent) exitWithParent();
  for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));

  const data = new DataServer(options, dataHandler(options, webhooks));
  const control = http.createServer(controlHandler(data));
  const fatal = (what) => (e) => {
    process.stderr.write(`fake_webhook: ${what}: ${e.message}\n`);
    process.exit(1);
  };
  data.server.once("error", fatal("data port"));
  control.once("error", fatal("control port"));
  data.listen(options.port, () => {
    data.server.removeAllListeners("error");
    control.listen(options.controlPort, options.host, () => {
      const port = data.port();
      const controlPort = control.address().port;
      if (options.portFile) {
        // Written whole, then renamed: a reader never sees half of it.
        const tmp = `${options.portFile}.tmp${process.pid}`;
        fs.writeFileSync(tmp, `${port} ${controlPort}\n`);
        fs.renameSync(tmp, options.portFile);
      }
      process.stdout.write(`listening on http://${options.host}:${port} ` +
                           `control http://${options.host}:${controlPort}\n`);
    });
  });
}

main();
