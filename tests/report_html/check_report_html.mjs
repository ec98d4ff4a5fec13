#!/usr/bin/env node
// check_report_html.mjs: does the page `auditrelay report --format html` wrote render as a real
// report in a real browser? Opens it in headless Chromium (Debian's, never a downloaded build)
// and checks that it is self-contained, error-free, not blank, and has every expected section
// and chart with visible marks. The page contract and the thresholds are in README.md.
//
//   node check_report_html.mjs --html FILE [--charts a,b] [--sections a,b,...]
//                              [--screenshot OUT.png] [--timeout SECONDS]
//
// Prints one "PASS|FAIL <check>: <detail>" line per check. Exit 0: all passed; 1: a check
// failed (including a browser that would not start, or the deadline); 2: usage error.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';

// The contract's names; used when --charts / --sections are not given, so that forgetting an
// option makes the check stricter, not weaker.
const CONTRACT_CHARTS = ['decisions-over-time', 'reason-codes'];
const CONTRACT_SECTIONS = ['summary', 'decisions-over-time', 'reason-codes', 'rollout-modes',
  'providers', 'blocked-requests'];

// --- Thresholds (the reasons are in README.md, "Thresholds") ---
// A pixel belongs to the background when no channel differs from the image's most common
// colour by more than this; small enough that anti-aliased text edges count as ink.
const BG_TOLERANCE = 8;
// Whole page: at least this share of non-background pixels and this many distinct colours.
const PAGE_MIN_INK = 0.01;
const PAGE_MIN_COLOURS = 8;
// A section must draw something: at least this many non-background pixels (one short word).
const SECTION_MIN_INK_PX = 100;
// Charts: minimum rendered box, share of non-background pixels in the chart, and pixels that
// the marks themselves change (the chart shot with and without the marks).
const CHART_MIN_W = 200;
const CHART_MIN_H = 80;
const CHART_MIN_INK = 0.01;
const MARKS_MIN_PX = 200;
const MARKS_MIN_SHARE = 0.002;
const VIEWPORT = { width: 1280, height: 900 };

const USAGE = `usage: node check_report_html.mjs --html FILE [--charts NAME,...] [--sections NAME,...]
                              [--screenshot OUT.png] [--timeout SECONDS]
  --charts    charts expected as <svg class="chart" data-chart="NAME"> (default: ${CONTRACT_CHARTS.join(',')})
  --sections  sections expected as <section data-section="NAME"> (default: ${CONTRACT_SECTIONS.join(',')})
  --timeout   overall deadline in seconds (default 60)
  env CHROMIUM: the browser executable (default /usr/bin/chromium)`;

function usageError(message) {
  console.error(`check_report_html: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { charts: CONTRACT_CHARTS, sections: CONTRACT_SECTIONS, timeout: 60 };
  // Names go into CSS attribute selectors: keep them to the contract's alphabet.
  const names = (flag, v) => {
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    for (const n of list) if (!/^[a-z0-9][a-z0-9_-]*$/.test(n)) usageError(`${flag}: bad name '${n}'`);
    return list;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '-h' || flag === '--help') { console.log(USAGE); process.exit(0); }
    const value = argv[i + 1];
    if (!['--html', '--charts', '--sections', '--screenshot', '--timeout'].includes(flag)) usageError(`unknown argument '${flag}'`);
    if (value === undefined || value.startsWith('--')) usageError(`${flag} needs a value`);
    i++;
    if (flag === '--html') opts.html = value;
    else if (flag === '--charts') opts.charts = names(flag, value);
    else if (flag === '--sections') opts.sections = names(flag, value);
    else if (flag === '--screenshot') opts.screenshot = value;
    else if (flag === '--timeout') {
      opts.timeout = Number(value);
      if (!(opts.timeout > 0)) usageError(`--timeout: not a positive number '${value}'`);
    }
  }
  if (!opts.html) usageError('--html is required');
  return opts;
}

// --- Results ---
const results = [];
let silenced = false;  // set once the deadline has printed the final verdict
function report(ok, name, detail) {
  if (silenced) return;
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
}
function finish() {
  if (silenced) return 1;
  const failed = results.filter((ok) => !ok).length;
  console.log(`check_report_html: ${failed === 0 ? 'OK' : 'FAILED'}, ${results.length - failed} of ${results.length} checks passed`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

// --- Pixels ---
// Most common colour of an RGBA buffer: the background, whatever theme the page uses.
function dominantColour(png) {
  const counts = new Map();
  const d = png.data;
  for (let i = 0; i < d.length; i += 4) {
    const c = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    counts.set(c, (counts.get(c) || 0) + 1);
  }
  let best = 0, bestCount = -1;
  for (const [c, n] of counts) if (n > bestCount) { best = c; bestCount = n; }
  return { rgb: [(best >> 16) & 255, (best >> 8) & 255, best & 255], colours: counts.size };
}

function inkStats(buffer) {
  const png = PNG.sync.read(buffer);
  const { rgb, colours } = dominantColour(png);
  const d = png.data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - rgb[0]) > BG_TOLERANCE || Math.abs(d[i + 1] - rgb[1]) > BG_TOLERANCE
        || Math.abs(d[i + 2] - rgb[2]) > BG_TOLERANCE) ink++;
  }
  const total = png.width * png.height;
  return { width: png.width, height: png.height, total, ink, share: total ? ink / total : 0, colours,
    background: `rgb(${rgb.join(',')})` };
}

// Pixels that differ (beyond the tolerance) between two shots of the same element.
function changedPixels(a, b) {
  const pa = PNG.sync.read(a), pb = PNG.sync.read(b);
  if (pa.width !== pb.width || pa.height !== pb.height) return { changed: -1, total: pa.width * pa.height };
  let changed = 0;
  for (let i = 0; i < pa.data.length; i += 4) {
    if (Math.abs(pa.data[i] - pb.data[i]) > BG_TOLERANCE || Math.abs(pa.data[i + 1] - pb.data[i + 1]) > BG_TOLERANCE
        || Math.abs(pa.data[i + 2] - pb.data[i + 2]) > BG_TOLERANCE) changed++;
  }
  return { changed, total: pa.width * pa.height };
}

const pct = (x) => `${(100 * x).toFixed(2)}%`;
const SHOT = { animations: 'disabled', caret: 'hide' };

// Runs in the page: which .mark elements of a chart are actually drawn. Checked in the DOM,
// because a mark can exist and still paint nothing: display:none, hidden, opacity 0, no fill
// and no stroke, zero size, or placed wholly outside the chart's box.
function measureMarks(svg) {
  const svgBox = svg.getBoundingClientRect();
  const visibleFill = (cs) => cs.fill !== 'none' && !/rgba\([^)]*,\s*0\)$/.test(cs.fill) && Number(cs.fillOpacity) > 0;
  const visibleStroke = (cs) => cs.stroke !== 'none' && !/rgba\([^)]*,\s*0\)$/.test(cs.stroke)
    && Number(cs.strokeOpacity) > 0 && parseFloat(cs.strokeWidth) > 0;
  const marks = [...svg.querySelectorAll('.mark')];
  const out = { total: marks.length, drawn: 0, why: {} };
  const note = (k) => { out.why[k] = (out.why[k] || 0) + 1; };
  for (const el of marks) {
    if (!(el instanceof SVGGraphicsElement)) { note('not an SVG shape'); continue; }
    let hidden = false;
    for (let e = el; e && e !== svg.parentElement; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || Number(cs.opacity) === 0) { hidden = true; break; }
    }
    const cs = getComputedStyle(el);
    if (hidden || cs.visibility !== 'visible') { note('hidden'); continue; }
    const bb = el.getBBox();
    const r = el.getBoundingClientRect();
    // Areas (bars, dots, filled paths) need both dimensions; a stroked line needs only one.
    const fill = visibleFill(cs), stroke = visibleStroke(cs);
    if (!fill && !stroke) { note('no fill or stroke'); continue; }
    const area = fill && bb.width > 0 && bb.height > 0;
    const line = stroke && (bb.width > 0 || bb.height > 0);
    if (!area && !line) { note('zero size'); continue; }
    const inside = r.right > svgBox.left && r.left < svgBox.right && r.bottom > svgBox.top && r.top < svgBox.bottom;
    if (!inside) { note('outside the chart'); continue; }
    out.drawn++;
  }
  return out;
}

async function checkPage(page, opts) {
  const shot = await page.screenshot({ ...SHOT, fullPage: true, ...(opts.screenshot ? { path: opts.screenshot } : {}) });
  const s = inkStats(shot);
  const inkOk = s.share >= PAGE_MIN_INK && s.colours >= PAGE_MIN_COLOURS;
  report(inkOk, 'page not blank',
    `${s.width}x${s.height} px, background ${s.background}, ${pct(s.share)} non-background pixels `
    + `(need ${pct(PAGE_MIN_INK)}), ${s.colours} colours (need ${PAGE_MIN_COLOURS})`
    + (opts.screenshot ? `, screenshot ${opts.screenshot}` : ''));

  for (const name of opts.sections) {
    const check = `section ${name}`;
    const loc = page.locator(`section[data-section="${name}"]`);
    const n = await loc.count();
    if (n !== 1) { report(false, check, n === 0 ? `no <section data-section="${name}">` : `${n} sections with that name, expected one`); continue; }
    if (!(await loc.isVisible())) { report(false, check, 'present but not visible'); continue; }
    const box = await loc.boundingBox();
    if (!box || box.width <= 0 || box.height <= 0) { report(false, check, 'zero size'); continue; }
    const st = inkStats(await loc.screenshot(SHOT));
    report(st.ink >= SECTION_MIN_INK_PX, check,
      `${Math.round(box.width)}x${Math.round(box.height)} px, ${st.ink} non-background pixels (need ${SECTION_MIN_INK_PX})`);
  }

  for (const name of opts.charts) {
    const check = `chart ${name}`;
    const any = page.locator(`[data-chart="${name}"]`);
    const n = await any.count();
    if (n === 0) { report(false, check, `no <svg class="chart" data-chart="${name}">`); continue; }
    if (n > 1) { report(false, check, `${n} elements with data-chart="${name}", expected one`); continue; }
    const what = await any.evaluate((e) => ({ tag: e.localName, svg: e instanceof SVGSVGElement, chartClass: e.classList.contains('chart') }));
    if (!what.svg || !what.chartClass) {
      report(false, check, `data-chart="${name}" is on <${what.tag}${what.chartClass ? ' class="chart"' : ''}>, expected <svg class="chart">`);
      continue;
    }
    if (!(await any.isVisible())) { report(false, check, 'svg present but not visible'); continue; }
    const box = await any.boundingBox();
    if (!box || box.width < CHART_MIN_W || box.height < CHART_MIN_H) {
      report(false, check, `svg is ${box ? `${Math.round(box.width)}x${Math.round(box.height)}` : 'not laid out'} px, need at least ${CHART_MIN_W}x${CHART_MIN_H}`);
      continue;
    }
    report(true, `${check} box`, `${Math.round(box.width)}x${Math.round(box.height)} px`);

    const m = await any.evaluate(measureMarks);
    const why = Object.entries(m.why).map(([k, v]) => `${v} ${k}`).join(', ');
    report(m.drawn > 0, `${check} marks`, m.total === 0 ? 'no .mark element in the svg'
      : `${m.drawn} of ${m.total} .mark elements drawn${why ? ` (not drawn: ${why})` : ''}`);

    const withMarks = await any.screenshot(SHOT);
    const st = inkStats(withMarks);
    report(st.share >= CHART_MIN_INK, `${check} ink`,
      `${pct(st.share)} non-background pixels (need ${pct(CHART_MIN_INK)}), background ${st.background}`);

    // What the marks themselves paint: shoot the chart again with its marks hidden. Marks
    // painted in the background colour, or too small to see, change (almost) nothing.
    const style = await page.addStyleTag({ content: `[data-chart="${name}"] .mark { visibility: hidden !important; }` });
    const withoutMarks = await any.screenshot(SHOT);
    await style.evaluate((e) => e.remove());
    const d = changedPixels(withMarks, withoutMarks);
    const need = Math.max(MARKS_MIN_PX, Math.ceil(MARKS_MIN_SHARE * d.total));
    report(d.changed >= need, `${check} marks visible`, d.changed < 0 ? 'chart changed size when its marks were hidden'
      : `marks paint ${d.changed} pixels (need ${need}: ${MARKS_MIN_PX} px and ${pct(MARKS_MIN_SHARE)} of the chart)`);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const deadline = opts.timeout * 1000;
  // Browser operations get the deadline less a margin, so a stuck load or screenshot ends with
  // its own message first; the timer below is the last resort if even that does not return.
  const remaining = () => Math.max(1000, deadline - 5000 - (Date.now() - started));
  let context = null;
  let userDataDir = null;
  const cleanup = () => { if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true }); };

  // The overall deadline: whatever hangs (browser start, load, a screenshot), the run ends with
  // a FAIL line naming it instead of waiting for ctest's timeout.
  let stage = 'starting';
  const timer = setTimeout(() => {
    report(false, 'deadline', `not finished after ${opts.timeout} s (stuck while ${stage})`);
    const code = finish();
    silenced = true;
    // Closing may itself hang; the browser is killed on exit anyway.
    Promise.race([context ? context.close() : null, new Promise((r) => setTimeout(r, 3000))])
      .finally(() => { cleanup(); process.exit(code); });
  }, deadline);

  const file = path.resolve(opts.html);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    report(false, 'html file', `${file}: no such file`);
    clearTimeout(timer);
    return finish();
  }
  const fileUrl = pathToFileURL(file).href;
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  const blocked = new Set();  // URLs of requests other than the file itself
  const pageErrors = [];
  const consoleErrors = [];
  const navigations = [];     // main-frame navigations away from the file

  try {
    stage = `launching ${executablePath}`;
    // A new, empty profile for every run: nothing cached or remembered between pages.
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-report-html-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      timeout: remaining(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        // Belt and braces behind the request routing below: no host name resolves, so even a
        // request the routing misses cannot leave the machine.
        '--host-resolver-rules=MAP * ~NOTFOUND'],
    });
    context.setDefaultTimeout(remaining());

    // Every request but the page itself is aborted and listed: a report that needs anything
    // else (a CDN stylesheet, a font, an image, even a sibling file) is not self-contained.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url === fileUrl || url.startsWith('data:')) return route.continue();
      blocked.add(url);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] || await context.newPage();
    // Requests the router never sees (e.g. some file:// subresources) are still reported here.
    page.on('request', (req) => {
      const url = req.url();
      if (url !== fileUrl && !url.startsWith('data:')) blocked.add(url);
    });
    page.on('websocket', (ws) => blocked.add(ws.url()));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && frame.url() !== fileUrl) navigations.push(frame.url());
    });
    page.on('pageerror', (err) => pageErrors.push(String(err.message || err).split('\n')[0]));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // The "Failed to load resource" errors of requests aborted above are already reported.
      const src = msg.location()?.url;
      if (src && blocked.has(src)) return;
      consoleErrors.push(msg.text().split('\n')[0]);
    });
    page.on('dialog', (dialog) => { pageErrors.push(`opened a ${dialog.type()} dialog: ${dialog.message()}`); dialog.dismiss().catch(() => {}); });

    stage = `loading ${fileUrl}`;
    await page.goto(fileUrl, { waitUntil: 'load', timeout: remaining() });
    // Wait for web fonts and two animation frames, so what is measured is what was painted.
    stage = 'waiting for the first paint';
    await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));
    report(true, 'loaded', fileUrl);

    stage = 'checking';
    await checkPage(page, opts);
  } catch (err) {
    report(false, stage, String(err.message || err).split('\n')[0]);
  }
  if (context) {
    // Reported last, so what happened after load (lazy images, timers, a meta refresh) counts,
    // and also when a check above threw. data: URLs are part of the page itself.
    report(blocked.size === 0, 'self-contained',
      blocked.size === 0 ? 'no request besides the file itself'
        : `${blocked.size} other request(s) blocked: ${[...blocked].join(', ')}`);
    report(navigations.length === 0, 'stayed on the page',
      navigations.length === 0 ? 'no navigation' : `navigated to ${[...new Set(navigations)].join(', ')}`);
    report(pageErrors.length === 0, 'no page errors', pageErrors.length === 0 ? 'none' : pageErrors.join(' | '));
    report(consoleErrors.length === 0, 'no console errors', consoleErrors.length === 0 ? 'none' : consoleErrors.join(' | '));
  }
  stage = 'closing the browser';
  if (context) await context.close().catch(() => {});
  cleanup();
  clearTimeout(timer);
  const code = finish();
  console.log(`check_report_html: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

process.exitCode = await main();
