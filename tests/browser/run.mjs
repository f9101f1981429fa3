// End-to-end browser tests for Bothy.
//
// Starts `$BOTHY_BIN demo` on a free port with a throw-away data directory, drives Debian's
// Chromium through playwright-core, and checks every page it visits with axe-core (WCAG 2.2 AA)
// and for the crisis panel. Prints a final line `N passed, N failed` and exits non-zero on any
// failure.
//
// Environment:
//   BOTHY_BIN            path to the bothy binary (default: <repo>/target/debug/bothy)
//   BOTHY_CHROMIUM       path to the Chromium binary (default: /usr/bin/chromium)
//   BOTHY_BROWSER_GREP   only run tests whose name matches this regular expression
//                        (also: `node run.mjs --grep REGEX`)
//   BOTHY_BROWSER_VERBOSE  list every page checked (also: `node run.mjs --verbose`)
//   BOTHY_BROWSER_ARTIFACTS  where screenshots and HTML of failing pages go
//                        (default: <repo>/test-results/browser)

import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

const BOTHY_BIN = path.resolve(process.env.BOTHY_BIN || path.join(REPO, 'target', 'debug', 'bothy'));
// Monitoring settings for the demo service (`content.monitoring_dir`): open all week, so that no
// test depends on the time it runs (a person who raises an alert is told their care team will
// see it today, and alerts are due in hours), and urgent and high alerts due one minute after
// they are raised, so the alerts test can watch an unacknowledged alert escalate. See the file.
const MONITORING_DIR = path.join(HERE, 'monitoring');
const CHROMIUM = process.env.BOTHY_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.resolve(
  process.env.BOTHY_BROWSER_ARTIFACTS || path.join(REPO, 'test-results', 'browser'),
);
const GREP = (() => {
  const i = process.argv.indexOf('--grep');
  const pattern = i >= 0 ? process.argv[i + 1] : process.env.BOTHY_BROWSER_GREP;
  return pattern ? new RegExp(pattern, 'i') : null;
})();

const VERBOSE = process.argv.includes('--verbose') || !!process.env.BOTHY_BROWSER_VERBOSE;

const READY_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;
const ACTION_TIMEOUT_MS = 15_000;
const NAVIGATION_TIMEOUT_MS = 30_000;

const STAFF_ROLES = [
  'admin',
  'triage_clinician',
  'supporter',
  'clinical_lead',
  'moderator',
  'analyst',
];
// Pages a role must reach from its navigation (the staff sweep visits every nav link; this makes
// sure these are among them).
const ROLE_PAGES = {
  triage_clinician: ['/alerts'],
  clinical_lead: ['/alerts', '/alerts/load'],
};
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TEXT = {
  crisis: 'If you need help now',
  signedOut: 'You have signed out',
  badCredentials: 'Email, password or code not recognised',
  skipLink: 'Skip to main content',
};

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 second step; secret in RFC 4648 base32)

export function base32Decode(input) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = input.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function totp(secret, timeMs = Date.now(), { step = 30, digits = 6 } = {}) {
  return hotp(base32Decode(secret), Math.floor(timeMs / 1000 / step), digits);
}

// A server following RFC 6238 section 5.2 refuses a code that has already been used, so never
// submit two codes from the same time step for the same secret, and avoid the last seconds of a
// step so the code is still current when it arrives.
const lastTotpStep = new Map();
async function freshTotp(secret) {
  for (;;) {
    const now = Date.now();
    const step = Math.floor(now / 30_000);
    const remaining = 30_000 - (now % 30_000);
    if (lastTotpStep.get(secret) !== step && remaining > 4_000) {
      lastTotpStep.set(secret, step);
      return totp(secret, now);
    }
    await sleep(remaining + 250);
  }
}

function selfTestTotp() {
  // RFC 6238 appendix B (SHA1 secret "12345678901234567890"), truncated to 6 digits.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  const vectors = [
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ];
  for (const [t, want] of vectors) {
    const got = totp(secret, t * 1000);
    if (got !== want) throw new Error(`TOTP self-test failed at t=${t}: got ${got}, want ${want}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Small utilities

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Keeps the last `max` lines written to a stream. */
class Tail {
  constructor(max = 60) {
    this.max = max;
    this.lines = [];
    this.partial = '';
  }
  push(chunk) {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop();
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  text() {
    return [...this.lines, this.partial].filter((l) => l !== '').join('\n');
  }
}

function indent(text, prefix = '    ') {
  return String(text)
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

function normalise(text) {
  return (text || '').replace(/\s+/g, ' ').trim();
}

function pathOf(page) {
  try {
    return new URL(page.url()).pathname;
  } catch {
    return page.url();
  }
}

function slug(text) {
  return text.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 80);
}

// ---------------------------------------------------------------------------------------------
// The server under test

const server = {
  child: null,
  dataDir: null,
  baseUrl: null,
  accounts: null,
  exit: null,
  stdout: new Tail(),
  stderr: new Tail(),
};

async function startServer() {
  if (!existsSync(BOTHY_BIN)) {
    throw new Error(`BOTHY_BIN ${BOTHY_BIN} does not exist (run \`cargo build -p bothy\` first)`);
  }
  server.dataDir = mkdtempSync(path.join(os.tmpdir(), 'bothy-browser-'));
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  server.baseUrl = `http://${listen}`;
  const args = ['demo', '--listen', listen, '--data-dir', server.dataDir];
  console.log(`starting: BOTHY__CONTENT__MONITORING_DIR=${MONITORING_DIR} ${BOTHY_BIN} ${args.join(' ')}`);
  // Own process group, so the server and anything it starts can be stopped together.
  server.child = spawn(BOTHY_BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, NO_COLOR: '1', BOTHY__CONTENT__MONITORING_DIR: MONITORING_DIR },
  });
  server.child.stdout.on('data', (d) => server.stdout.push(d));
  server.child.stderr.on('data', (d) => server.stderr.push(d));
  server.child.on('exit', (code, signal) => {
    server.exit = { code, signal };
  });
  server.child.on('error', (err) => {
    server.exit = { code: null, signal: null, error: err };
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (server.exit) {
      throw new Error(`bothy demo exited before it was ready (${describeExit()})`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `bothy demo did not answer GET /readyz with 200 within ${READY_TIMEOUT_MS / 1000} s ` +
          `(last: ${lastProblem})`,
      );
    }
    try {
      const res = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastProblem = `status ${res.status}`;
    } catch (err) {
      lastProblem = err.cause?.code || err.message;
    }
    await sleep(250);
  }

  // The accounts file is written by `demo`; give it until the same deadline to appear whole.
  const file = path.join(server.dataDir, 'demo-accounts.json');
  for (;;) {
    try {
      server.accounts = JSON.parse(readFileSync(file, 'utf8'));
      break;
    } catch (err) {
      if (Date.now() > deadline || server.exit) {
        throw new Error(`could not read ${file}: ${err.message}`);
      }
      await sleep(250);
    }
  }
  if (server.accounts.base_url && server.accounts.base_url.replace(/\/$/, '') !== server.baseUrl) {
    console.log(
      `note: demo-accounts.json base_url is ${server.accounts.base_url}; using it instead of ${server.baseUrl}`,
    );
  }
  server.baseUrl = (server.accounts.base_url || server.baseUrl).replace(/\/$/, '');
  console.log(
    `ready at ${server.baseUrl}: ${server.accounts.staff?.length ?? 0} staff, ` +
      `${server.accounts.patients?.length ?? 0} patients`,
  );
}

function describeExit() {
  const e = server.exit;
  if (!e) return server.child ? 'still running' : 'not started';
  if (e.error) return `failed to start: ${e.error.message}`;
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

function signalServer(signal) {
  const child = server.child;
  if (!child || server.exit || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

async function stopServer() {
  if (server.child && !server.exit) {
    signalServer('SIGTERM');
    const deadline = Date.now() + 5_000;
    while (!server.exit && Date.now() < deadline) await sleep(50);
    if (!server.exit) signalServer('SIGKILL');
  }
  removeDataDir();
}

function removeDataDir() {
  if (server.dataDir) {
    try {
      rmSync(server.dataDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
    server.dataDir = null;
  }
}

// Last resort: however the runner ends, do not leave the server running or the data behind.
process.on('exit', () => {
  signalServer('SIGKILL');
  removeDataDir();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nreceived ${sig}; stopping`);
    process.exit(130);
  });
}

function serverDiagnostics() {
  const parts = [`server: ${describeExit()}`];
  const err = server.stderr.text();
  const out = server.stdout.text();
  parts.push(err ? `server stderr (tail):\n${indent(err)}` : 'server stderr: (empty)');
  if (out) parts.push(`server stdout (tail):\n${indent(out)}`);
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Page checks

const url = (p) => new URL(p, server.baseUrl + '/').toString();

function axeReport(violations) {
  return violations
    .map((v) => {
      const targets = v.nodes
        .slice(0, 8)
        .map((n) => `      - ${n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ')}`)
        .join('\n');
      const more = v.nodes.length > 8 ? `\n      ... and ${v.nodes.length - 8} more` : '';
      return `  ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n    ${v.helpUrl}\n${targets}${more}`;
    })
    .join('\n');
}

/** Runs axe-core with the WCAG 2.2 AA tag set; throws listing every violation. */
async function checkA11y(page, name) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  if (results.violations.length > 0) {
    throw new Error(
      `accessibility violations on ${name} (${page.url()}):\n${axeReport(results.violations)}`,
    );
  }
}

/**
 * axe-core cannot run in a context with JavaScript disabled, so serve the HTML that the no-JS
 * page received, without its scripts, to a page in a JavaScript-enabled context at the same URL
 * (so styles load as they would) and check that.
 */
async function checkA11yNoScript(page, name) {
  const html = await page.content();
  const stripped = html
    .replace(/<script\b[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<\/?noscript\b[^>]*>/gi, '');
  const ctx = await page.context().browser().newContext();
  try {
    const shadow = await ctx.newPage();
    const target = page.url();
    await shadow.route(
      (u) => u.toString() === target,
      (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: stripped }),
    );
    await shadow.goto(target);
    await checkA11y(shadow, `${name} (no JavaScript)`);
  } finally {
    await ctx.close();
  }
}

/** The crisis panel: `aside#crisis`, with the heading text and a 999 link, on every page. */
async function checkCrisisPanel(page, name) {
  const panel = page.locator('aside#crisis');
  const count = await panel.count();
  if (count !== 1) {
    throw new Error(`crisis panel: expected one aside#crisis on ${name} (${page.url()}), found ${count}`);
  }
  if (!(await panel.isVisible())) {
    throw new Error(`crisis panel: aside#crisis is not visible on ${name} (${page.url()})`);
  }
  const text = normalise(await panel.textContent());
  if (!text.includes(TEXT.crisis)) {
    throw new Error(
      `crisis panel on ${name} (${page.url()}) does not contain "${TEXT.crisis}"; it reads: ${text.slice(0, 200)}`,
    );
  }
  if ((await panel.locator('a[href="tel:999"]').count()) < 1) {
    throw new Error(`crisis panel on ${name} (${page.url()}) has no link to tel:999`);
  }
}

let pagesChecked = 0;
async function checkPage(page, name, { javaScript = true } = {}) {
  pagesChecked += 1;
  if (VERBOSE) console.log(`      checking ${name} at ${pathOf(page)}${javaScript ? '' : ' (no JavaScript)'}`);
  await checkCrisisPanel(page, name);
  if (javaScript) await checkA11y(page, name);
  else await checkA11yNoScript(page, name);
}

/** Navigates, checks the final status, then runs the page checks. */
async function visit(page, target, { status = 'ok', name = target, javaScript = true } = {}) {
  const res = await page.goto(url(target));
  const got = res ? res.status() : 200;
  const allowed =
    status === 'ok' ? got >= 200 && got < 400 : Array.isArray(status) ? status.includes(got) : got === status;
  if (!allowed) {
    const heading = normalise(await page.locator('h1').first().textContent({ timeout: 1_000 }).catch(() => ''));
    throw new Error(
      `GET ${target}: status ${got}, expected ${status === 'ok' ? '2xx/3xx' : status} ` +
        `(now at ${page.url()}${heading ? `, h1 "${heading}"` : ''})`,
    );
  }
  await checkPage(page, name, { javaScript });
  return got;
}

async function waitForPath(page, wanted, what) {
  const matches = (u) => (typeof wanted === 'string' ? u.pathname === wanted : wanted.test(u.pathname));
  try {
    await page.waitForURL(matches, { timeout: ACTION_TIMEOUT_MS });
  } catch {
    const heading = normalise(await page.locator('h1').first().textContent({ timeout: 1_000 }).catch(() => ''));
    const alert = normalise(
      await page
        .locator('[role=alert], .error-summary, .govuk-error-summary')
        .first()
        .textContent({ timeout: 1_000 })
        .catch(() => ''),
    );
    throw new Error(
      `${what}: expected to be at ${wanted}, but at ${page.url()}` +
        (heading ? `; h1 "${heading}"` : '') +
        (alert ? `; alert "${alert}"` : ''),
    );
  }
}

/** Signs in through /sign-in (and /sign-in/code when the account has a TOTP secret). */
async function signIn(page, account, { expectPath, javaScript = true } = {}) {
  await visit(page, '/sign-in', { javaScript });
  await page.getByLabel('Email address', { exact: true }).fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (account.totp_secret) {
    await waitForPath(page, '/sign-in/code', `sign-in as ${account.email}`);
    await checkPage(page, '/sign-in/code', { javaScript });
    await page.getByLabel('6-digit code', { exact: true }).fill(await freshTotp(account.totp_secret));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
  }
  await waitForPath(page, expectPath, `sign-in as ${account.email}`);
  await checkPage(page, expectPath, { javaScript });
}

/** Clicks "Sign out", expects the signed-out page, and that `protectedPath` now asks to sign in. */
async function signOut(page, protectedPath, { javaScript = true } = {}) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
  await page.getByText(TEXT.signedOut).first().waitFor({ timeout: ACTION_TIMEOUT_MS });
  await checkPage(page, 'signed-out page', { javaScript });
  await page.goto(url(protectedPath));
  await waitForPath(page, '/sign-in', `${protectedPath} after signing out`);
}

/**
 * Presses Tab until `target` has the focus, as a keyboard user would; throws with the focus path
 * if it is not reached in `max` presses.
 */
async function tabTo(page, target, what, max = 60) {
  const seen = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
    seen.push(
      await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return '(body)';
        const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim();
        return `${el.tagName.toLowerCase()} "${text.slice(0, 40)}"`;
      }),
    );
  }
  throw new Error(`${what}: not reached in ${max} Tab presses; focus went: ${seen.join(' -> ')}`);
}

/** Same-origin hrefs of the links matching `selector`, resolved and without fragments. */
async function linkPaths(page, selector) {
  const hrefs = await page.locator(selector).evaluateAll((as) => as.map((a) => a.href));
  const origin = new URL(server.baseUrl).origin;
  const out = [];
  for (const href of hrefs) {
    let u;
    try {
      u = new URL(href);
    } catch {
      continue;
    }
    if (u.origin !== origin) continue;
    if (/sign-?out|log-?out/i.test(u.pathname)) continue;
    const p = u.pathname + u.search;
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Test harness

let browser;
const tests = [];
function test(name, fn) {
  tests.push({ name, fn });
}

/** Per-test browser contexts, closed after the test; their pages are dumped on failure. */
class Scope {
  constructor() {
    this.contexts = [];
  }
  async context(options = {}) {
    const ctx = await browser.newContext({ baseURL: server.baseUrl, ...options });
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    ctx.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    this.contexts.push(ctx);
    return ctx;
  }
  async page(options = {}) {
    return (await this.context(options)).newPage();
  }
  async diagnostics(testName) {
    const lines = [];
    let n = 0;
    for (const ctx of this.contexts) {
      for (const page of ctx.pages()) {
        n += 1;
        lines.push(`page ${n}: ${page.url()}`);
        try {
          mkdirSync(ARTIFACTS, { recursive: true });
          const base = path.join(ARTIFACTS, `${slug(testName)}-${n}`);
          writeFileSync(`${base}.html`, await page.content());
          await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 });
          const rel = path.relative(process.cwd(), base);
          lines.push(`  saved ${rel.startsWith('..') ? base : rel}.{html,png}`);
        } catch (err) {
          lines.push(`  (could not save page: ${err.message.split('\n')[0]})`);
        }
      }
    }
    return lines.join('\n');
  }
  async close() {
    await Promise.allSettled(this.contexts.map((c) => c.close()));
  }
}

/** The error message, and where in this file it was raised (not the whole stack). */
function describeError(err) {
  if (!(err instanceof Error)) return String(err);
  const here = (err.stack || '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l) && l.includes(path.basename(fileURLToPath(import.meta.url))))
    .slice(0, 3)
    .map((l) => l.trim());
  return [err.message, ...here].join('\n');
}

async function runTests() {
  let passed = 0;
  let failed = 0;
  const failures = [];
  for (const t of tests) {
    if (GREP && !GREP.test(t.name)) continue;
    const scope = new Scope();
    const started = Date.now();
    const checkedBefore = pagesChecked;
    const stats = () => `${((Date.now() - started) / 1000).toFixed(1)} s, ${pagesChecked - checkedBefore} page${pagesChecked - checkedBefore === 1 ? '' : 's'} checked`;
    let timer;
    try {
      await Promise.race([
        t.fn(scope),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${TEST_TIMEOUT_MS / 1000} s`)),
            TEST_TIMEOUT_MS,
          );
        }),
      ]);
      passed += 1;
      console.log(`ok    ${t.name} (${stats()})`);
    } catch (err) {
      failed += 1;
      failures.push(t.name);
      console.log(`FAIL  ${t.name} (${stats()})`);
      console.log(indent(describeError(err)));
      console.log(indent(await scope.diagnostics(t.name)));
      console.log(indent(serverDiagnostics()));
    } finally {
      clearTimeout(timer);
      await scope.close();
    }
  }
  return { passed, failed, failures };
}

// ---------------------------------------------------------------------------------------------
// Tests

function staffByRole(role) {
  return server.accounts.staff.find((s) => s.role === role);
}
function firstPatient() {
  return patient(0);
}
/** The n-th demo patient, or the first if there are fewer (spreads sign-ins across accounts,
 * which the per-account sign-in throttle counts). */
function patient(n) {
  const list = server.accounts.patients || [];
  const p = list[n] || list[0];
  if (!p) throw new Error('demo-accounts.json lists no patients');
  return p;
}

test('demo accounts: every staff role has an account', async () => {
  const staff = server.accounts.staff || [];
  const missing = STAFF_ROLES.filter((r) => !staff.some((s) => s.role === r));
  if (missing.length) throw new Error(`no demo account for role(s): ${missing.join(', ')}`);
  for (const s of staff) {
    for (const k of ['email', 'password', 'totp_secret', 'role', 'name']) {
      if (!s[k]) throw new Error(`staff account ${s.email ?? '?'} lacks ${k}`);
    }
    base32Decode(s.totp_secret);
  }
  const patients = server.accounts.patients || [];
  if (!patients.length) throw new Error('no demo patients');
  for (const p of patients) {
    for (const k of ['email', 'password', 'name', 'id']) {
      if (!p[k]) throw new Error(`patient account ${p.email ?? '?'} lacks ${k}`);
    }
  }
});

test('public pages', async (scope) => {
  const page = await scope.page();
  await visit(page, '/');
  await visit(page, '/sign-in');
  await visit(page, '/no-such-page', { status: 404 });
  await visit(page, '/enrol/not-a-real-token', { status: [404, 410] });
});

// One test per role present in the file, so a missing page for one role does not hide the rest.
const registerStaffTests = () => {
  const roles = [...new Set((server.accounts.staff || []).map((s) => s.role))];
  for (const role of roles) {
    test(`staff sign-in and pages: ${role}`, async (scope) => {
      const account = staffByRole(role);
      const page = await scope.page();
      await signIn(page, account, { expectPath: '/staff' });

      const visited = new Set(['/staff']);
      const patientLinks = await linkPaths(page, 'main a[href]');
      const navLinks = await linkPaths(page, 'nav a[href]');
      if (navLinks.length === 0) throw new Error(`no links inside <nav> on /staff for ${role}`);
      const missing = (ROLE_PAGES[role] || []).filter((p) => !navLinks.includes(p));
      if (missing.length) throw new Error(`no link to ${missing.join(', ')} in <nav> on /staff for ${role}`);
      for (const link of navLinks) {
        if (visited.has(link)) continue;
        visited.add(link);
        await visit(page, link, { name: `${link} (as ${role})` });
        for (const l of await linkPaths(page, 'main a[href]')) {
          if (!patientLinks.includes(l)) patientLinks.push(l);
        }
      }
      const patientPages = patientLinks
        .filter((l) => l.startsWith('/staff/patients/') && !visited.has(l))
        .slice(0, 3);
      for (const link of patientPages) {
        visited.add(link);
        await visit(page, link, { name: `${link} (as ${role})` });
      }
      if (!visited.has('/account')) await visit(page, '/account', { name: `/account (as ${role})` });
      await signOut(page, '/staff');
    });
  }
};

const registerOtherTests = () => {
  // Runs before any other test that raises an alert: the queue lists the earliest deadline first,
  // and this test expects its own alert at the top. Monitoring settings (tests/browser/monitoring)
  // keep the service open all week with one-minute deadlines for urgent and high alerts.
  test('alerts: PHQ-9 item 9 "several days" shows the crisis panel, the duty clinician acknowledges and closes the alert by keyboard, an unacknowledged alert escalates', async (scope) => {
    const first = patient(5);
    const second = patient(6);
    if (first.id === second.id) throw new Error('the alerts test needs two demo patients');
    const lead = staffByRole('clinical_lead');
    const triage = staffByRole('triage_clinician');

    // A patient answers PHQ-9 with item 9 "Several days" (everything else "Not at all").
    const raiseAlert = async (p) => {
      const page = await scope.page();
      await signIn(page, p, { expectPath: '/home' });
      await page.getByRole('link', { name: /\(PHQ-9\)/ }).click();
      await waitForPath(page, '/measures/phq9', `open PHQ-9 as ${p.name}`);
      await checkPage(page, '/measures/phq9');
      for (let n = 1; n <= 9; n += 1) {
        const item = page.getByRole('group', { name: new RegExp(`^${n}\\.`) });
        await item.getByLabel(n === 9 ? 'Several days' : 'Not at all', { exact: true }).check();
      }
      await page.getByRole('button', { name: 'Send my answers', exact: true }).click();
      await waitForPath(page, /^\/measures\/responses\/[^/]+$/, `send PHQ-9 as ${p.name}`);
      const sent = Date.now();
      // On that very page: the crisis contacts first, then that the care team will see it today.
      const firstClass = await page.locator('main > *').first().getAttribute('class');
      if (!/\burgent\b/.test(firstClass || '')) {
        throw new Error(`PHQ-9 result: the crisis panel does not open the page (first element: ${firstClass})`);
      }
      const urgent = page.locator('div.urgent');
      await urgent.getByRole('heading', { name: 'Please get help now if you need it', exact: true }).waitFor();
      for (const [name, href] of [['Samaritans', 'tel:116123'], ['Emergency services', 'tel:999']]) {
        await urgent.getByText(name).first().waitFor();
        if ((await urgent.locator(`a[href="${href}"]`).count()) !== 1) {
          throw new Error(`PHQ-9 result: the crisis panel has no ${href} link for ${name}`);
        }
      }
      await page.getByRole('heading', { name: 'Your care team will see this today', exact: true }).waitFor();
      await checkPage(page, 'PHQ-9 result with a risk answer');
      return sent;
    };
    await raiseAlert(first);
    const secondRaised = await raiseAlert(second);

    // The duty clinician finds it at the top of the queue.
    const duty = await scope.page();
    await signIn(duty, triage, { expectPath: '/staff' });
    await duty.locator('nav').getByRole('link', { name: 'Alerts', exact: true }).click();
    await waitForPath(duty, '/alerts', 'open the alerts from the navigation');
    await checkPage(duty, '/alerts (triage clinician)');
    const topLink = duty.locator('tbody tr').first().locator('a').first();
    const topName = normalise(await topLink.textContent());
    if (topName !== first.name) {
      throw new Error(`the first row of /alerts is ${JSON.stringify(topName)}, expected ${JSON.stringify(first.name)}`);
    }
    const firstPath = await topLink.getAttribute('href');
    await duty.getByRole('link', { name: second.name, exact: true }).waitFor();
    const secondPath = await duty.getByRole('link', { name: second.name, exact: true }).getAttribute('href');

    // Acknowledge and close it with the keyboard alone.
    await topLink.click();
    await waitForPath(duty, firstPath, 'open the alert');
    await checkPage(duty, '/alerts/{id} (open)');
    await tabTo(duty, duty.getByRole('button', { name: 'I am dealing with this', exact: true }), 'the acknowledge button');
    await duty.keyboard.press('Enter');
    await duty.getByText(`Acknowledged by ${triage.name}`).waitFor();
    if ((await duty.getByRole('button', { name: 'I am dealing with this', exact: true }).count()) !== 0) {
      throw new Error('the acknowledge button is still shown after acknowledging');
    }
    await checkPage(duty, '/alerts/{id} (acknowledged)');
    const contacted = duty.getByRole('radio', { name: 'Contacted the person', exact: true });
    await tabTo(duty, contacted, 'the outcome "Contacted the person"');
    await duty.keyboard.press('Space');
    if (!(await contacted.isChecked())) throw new Error('Space did not choose "Contacted the person"');
    await tabTo(duty, duty.getByRole('button', { name: 'Close the alert', exact: true }), 'the close button', 5);
    await duty.keyboard.press('Enter');
    await duty.getByText(/Closed .*: Contacted the person/).waitFor();
    await checkPage(duty, '/alerts/{id} (closed)');
    await duty.getByRole('link', { name: 'Back to the alerts', exact: true }).click();
    await waitForPath(duty, '/alerts', 'back to the alerts');
    if ((await duty.locator(`a[href="${firstPath}"]`).count()) !== 0) {
      throw new Error('the closed alert is still in the queue');
    }
    await checkPage(duty, '/alerts after closing one');

    // Nobody acknowledges the second: it escalates to the clinical lead after its deadline. Its
    // pages (queue, alert, load) are checked at 320 px and without JavaScript meanwhile.
    const viewport = { width: 320, height: 640 };
    const leadContext = await scope.context({ viewport });
    const leadPage = await leadContext.newPage();
    const fitsWidth = async (name) => {
      const width = await leadPage.evaluate(() => document.documentElement.scrollWidth);
      if (width > viewport.width) throw new Error(`${name} is ${width} px wide at 320 px`);
    };
    await signIn(leadPage, lead, { expectPath: '/staff' });
    for (const [p, name] of [['/alerts', '/alerts'], [secondPath, '/alerts/{id}'], ['/alerts/load', '/alerts/load']]) {
      await visit(leadPage, p, { name: `${name} (clinical lead, 320 px)` });
      await fitsWidth(`${name} (clinical lead)`);
    }
    const noJs = await (await scope.context({
      javaScriptEnabled: false,
      storageState: await leadContext.storageState(),
    })).newPage();
    for (const [p, name] of [['/alerts', '/alerts'], [secondPath, '/alerts/{id}'], [firstPath, 'closed /alerts/{id}'], ['/alerts/load', '/alerts/load']]) {
      await visit(noJs, p, { name: `${name} (clinical lead)`, javaScript: false });
    }

    const secondRow = leadPage.locator('tbody tr').filter({ has: leadPage.locator(`a[href="${secondPath}"]`) });
    const pollUntil = Math.max(secondRaised + 100_000, Date.now() + 20_000);
    for (;;) {
      await leadPage.goto(url('/alerts'));
      if ((await secondRow.count()) !== 1) throw new Error(`the second alert (${secondPath}) is not in the queue`);
      if ((await secondRow.getByText('Escalated', { exact: true }).count()) > 0) break;
      if (Date.now() > pollUntil) {
        throw new Error(`the second alert was not shown as escalated within 100 s: ${normalise(await secondRow.textContent())}`);
      }
      await sleep(3_000);
    }
    await checkPage(leadPage, '/alerts with an escalated alert (clinical lead, 320 px)');
    await fitsWidth('/alerts with an escalated alert');
    await visit(leadPage, secondPath, { name: 'escalated /alerts/{id} (clinical lead, 320 px)' });
    await leadPage.getByText('Escalated to the clinical lead').waitFor();
    await visit(noJs, '/alerts', { name: '/alerts with an escalated alert (clinical lead)', javaScript: false });

    // The worker sends it to the clinical lead by email and to the duty phone by text, with no
    // personal or clinical content.
    const outbox = path.join(server.dataDir, 'outbox');
    const dutyPhone = '7700900123';
    let toLead = null;
    let toPhone = null;
    const outboxDeadline = Date.now() + 30_000;
    while (!(toLead && toPhone) && Date.now() < outboxDeadline) {
      if (existsSync(outbox)) {
        for (const f of readdirSync(outbox).filter((n) => n.endsWith('.json'))) {
          const text = readFileSync(path.join(outbox, f), 'utf8');
          const m = JSON.parse(text);
          if (!(m.body || '').includes(secondPath)) continue;
          if (m.channel === 'email' && m.to === lead.email) toLead = { file: f, text };
          if (m.channel === 'sms' && String(m.to).replace(/\D/g, '').endsWith(dutyPhone)) toPhone = { file: f, text };
        }
      }
      if (!(toLead && toPhone)) await sleep(500);
    }
    if (!toLead) throw new Error(`no email to the clinical lead (${lead.email}) about ${secondPath} in ${outbox} within 30 s`);
    if (!toPhone) throw new Error(`no text to the duty phone about ${secondPath} in ${outbox} within 30 s`);
    const nameParts = second.name.split(/\s+/).filter((w) => w.length > 1);
    for (const { file, text } of [toLead, toPhone]) {
      const found = nameParts.filter((w) => text.toLowerCase().includes(w.toLowerCase()));
      if (found.length || /PHQ|better off dead|hurting/i.test(text)) {
        throw new Error(`the escalation message ${file} carries personal or clinical content (${found.join(', ') || 'clinical wording'}): ${text}`);
      }
    }
  });

  test('patient sign-in, account and sign-out', async (scope) => {
    const page = await scope.page();
    await signIn(page, firstPatient(), { expectPath: '/home' });
    await visit(page, '/account', { name: '/account (as patient)' });
    await signOut(page, '/home');
  });

  test('measures: PHQ-9 and GAD-7 without JavaScript at 320 px, a risk answer, staff see the chart', async (scope) => {
    const p = patient(3);
    const viewport = { width: 320, height: 640 };
    const page = await scope.page({ javaScriptEnabled: false, viewport });
    await signIn(page, p, { expectPath: '/home', javaScript: false });
    const complete = async (id, answers, { risk }) => {
      await page.getByRole('link', { name: new RegExp(`\\(${id === 'phq9' ? 'PHQ-9' : 'GAD-7'}\\)`) }).click();
      await waitForPath(page, `/measures/${id}`, `open ${id}`);
      await checkPage(page, `/measures/${id}`, { javaScript: false });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > viewport.width) throw new Error(`/measures/${id} is ${width} px wide at 320 px`);
      // Sending it empty explains every missing answer.
      await page.getByRole('button', { name: 'Send my answers', exact: true }).click();
      await page.locator('.error-summary').waitFor();
      await checkPage(page, `/measures/${id} with errors`, { javaScript: false });
      for (const [i, v] of answers.entries()) {
        await page.locator(`input[name="item-${i + 1}"][value="${v}"]`).check();
      }
      await page.getByRole('button', { name: 'Send my answers', exact: true }).click();
      await waitForPath(page, /^\/measures\/responses\//, `send ${id}`);
      await checkPage(page, `${id} result`, { javaScript: false });
      const urgent = await page.locator('.urgent').count();
      if (risk !== (urgent > 0)) throw new Error(`${id} result: urgent crisis panel ${urgent ? 'shown' : 'missing'}`);
      await page.goto(url('/home'));
    };
    // Item 9 "Several days": the crisis contacts come first on the very next page.
    await complete('phq9', [2, 1, 2, 1, 1, 2, 1, 1, 1], { risk: true });
    await complete('gad7', [1, 1, 1, 1, 1, 1, 1], { risk: false });
    // A check-in from the home page without JavaScript: one tap on a mood saves it.
    await checkPage(page, '/home with the mood buttons', { javaScript: false });
    const homeWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    if (homeWidth > viewport.width) throw new Error(`/home is ${homeWidth} px wide at 320 px`);
    await page.getByRole('button', { name: '4', exact: true }).click();
    await waitForPath(page, '/check-ins', 'check in from /home');
    await page.getByText('Your check-in is saved').waitFor();
    await checkPage(page, '/check-ins', { javaScript: false });
    if ((await page.locator('svg.chart').count()) !== 1) throw new Error('/check-ins: no mood chart');
    await visit(page, '/check-in', { javaScript: false });
    await signOut(page, '/home', { javaScript: false });

    const staff = await scope.page();
    await signIn(staff, staffByRole('triage_clinician'), { expectPath: '/staff' });
    await visit(staff, `/staff/patients/${p.id}`, { name: 'patient page with measures' });
    const charts = await staff.locator('svg.chart').count();
    if (charts < 2) throw new Error(`expected a chart for PHQ-9 and GAD-7, found ${charts}`);
    await staff.getByText('Open risk flags').waitFor();
    await staff.getByRole('heading', { name: 'Mood check-ins' }).waitFor();
  });

  test('front door without JavaScript at 320 px: self-referral with a risk answer, triage accepts, the person activates and signs in', async (scope) => {
    const viewport = { width: 320, height: 640 };
    const page = await scope.page({ javaScriptEnabled: false, viewport });
    const noJs = { javaScript: false };
    const email = `skye.${Date.now()}@example.org`;
    const password = 'a long browser test password';
    const saveAndContinue = () => page.getByRole('button', { name: 'Save and continue', exact: true }).click();
    const fitsWidth = async (name) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > viewport.width) throw new Error(`${name} is ${width} px wide at 320 px`);
    };
    const urgentFirst = async (name) => {
      const first = await page.locator('main > *').first().getAttribute('class');
      if (!/\burgent\b/.test(first || '')) {
        throw new Error(`${name}: the crisis contacts do not open the page (first element: ${first})`);
      }
      await page.getByText('Please get help now').first().waitFor();
    };

    await visit(page, '/refer', noJs);
    await fitsWidth('/refer');
    await page.getByLabel('Demo digital CBT service', { exact: true }).check();
    await page.getByRole('button', { name: 'Start my referral', exact: true }).click();
    await waitForPath(page, /^\/refer\/[0-9a-f]{64}\/about$/, 'start a self-referral');
    const started = Date.now();
    const base = pathOf(page).replace(/\/about$/, '');
    await checkPage(page, 'referral: about you', noJs);
    await fitsWidth('referral: about you');
    await page.getByText('Save this link to come back to your referral:').waitFor();

    // Nothing filled in: every problem is listed and linked to its field.
    await saveAndContinue();
    await page.locator('.error-summary a[href="#given_name"]').waitFor();
    await checkPage(page, 'referral: about you with errors', noJs);

    await page.getByLabel('First name', { exact: true }).fill('Skye');
    await page.getByLabel('Last name', { exact: true }).fill('Testperson');
    await page.getByLabel('Day', { exact: true }).fill('9');
    await page.getByLabel('Month', { exact: true }).fill('11');
    await page.getByLabel('Year', { exact: true }).fill('1991');
    await page.locator('#email').fill(email);
    await page.getByLabel('By email', { exact: true }).check();
    await saveAndContinue();
    await waitForPath(page, `${base}/gp`, 'about you saved');
    await checkPage(page, 'referral: GP', noJs);
    await page.getByLabel('Name of your GP practice', { exact: true }).fill('Riverside Medical Practice');
    await saveAndContinue();
    await waitForPath(page, `${base}/help`, 'GP saved');
    await checkPage(page, 'referral: help', noJs);
    await page.locator('#problem_text').fill('Everything feels heavy and I cannot sleep.');
    await page.getByLabel('Feeling low or depressed', { exact: true }).check();
    await saveAndContinue();
    await waitForPath(page, `${base}/questions`, 'help saved');
    await checkPage(page, 'referral: questions', noJs);
    await fitsWidth('referral: questions');

    // Only the risk question answered: the page comes back with its errors and the crisis contacts first.
    await page.locator('input[name="phq9-9"][value="2"]').check();
    await saveAndContinue();
    await page.locator('.error-summary').waitFor();
    await urgentFirst('questions with a risk answer');
    await checkPage(page, 'referral: questions with a risk answer and errors', noJs);
    for (let n = 1; n <= 8; n += 1) await page.locator(`input[name="phq9-${n}"][value="1"]`).check();
    for (let n = 1; n <= 7; n += 1) await page.locator(`input[name="gad7-${n}"][value="1"]`).check();
    await saveAndContinue();
    await waitForPath(page, `${base}/consent`, 'questions saved');
    await urgentFirst('the step after a risk answer');
    await checkPage(page, 'referral: consent', noJs);
    await page.locator('#treatment').check();
    await page.locator('#contact_email').check();
    await saveAndContinue();
    await waitForPath(page, `${base}/check`, 'consent saved');
    await checkPage(page, 'referral: check your answers', noJs);
    await fitsWidth('referral: check your answers');

    // A person takes more than 20 seconds; a faster send is held back as automated.
    const wait = 21_000 - (Date.now() - started);
    if (wait > 0) await sleep(wait);
    await page.getByRole('button', { name: 'Send my referral', exact: true }).click();
    await waitForPath(page, '/refer/sent', 'send the referral');
    await checkPage(page, 'referral sent', noJs);
    await page.getByText('Your referral has been sent').waitFor();
    await urgentFirst('the confirmation after a risk answer');

    // A triage clinician sees it first, marked, and accepts it.
    const staff = await scope.page();
    await signIn(staff, staffByRole('triage_clinician'), { expectPath: '/staff' });
    await visit(staff, '/staff/triage', { name: 'triage queue with a referral' });
    const firstRow = normalise(await staff.locator('tbody tr').first().textContent());
    if (!firstRow.includes('Skye Testperson') || !firstRow.includes('Risk answer')) {
      throw new Error(`the risky referral is not first in the queue: ${firstRow}`);
    }
    await staff.getByRole('link', { name: 'Skye Testperson', exact: true }).click();
    await waitForPath(staff, /^\/staff\/referrals\/[0-9a-f-]+$/, 'open the referral');
    await checkPage(staff, 'triage: one referral');
    await staff.getByLabel('Step of care', { exact: true }).selectOption({ label: 'Digital CBT programme' });
    await staff.getByLabel('Practitioner', { exact: true }).selectOption({ label: 'Sam Supporter' });
    await staff.getByRole('button', { name: 'Accept', exact: true }).click();
    await staff.getByText('Decision recorded: Accepted').waitFor();
    await checkPage(staff, 'triage: decision recorded');
    await visit(staff, '/staff/waiting', { name: 'waiting list with the person' });
    await staff.getByRole('link', { name: 'Skye Testperson', exact: true }).waitFor();

    // The worker writes the activation message to the outbox in the data directory.
    const outbox = path.join(server.dataDir, 'outbox');
    let activation = null;
    const deadline = Date.now() + 30_000;
    while (!activation && Date.now() < deadline) {
      if (existsSync(outbox)) {
        for (const f of readdirSync(outbox).filter((n) => n.endsWith('.json'))) {
          const m = JSON.parse(readFileSync(path.join(outbox, f), 'utf8'));
          const link = /\/activate\/[0-9a-f]{64}/.exec(m.body || '');
          if (m.to === email && link) activation = { message: m, path: link[0] };
        }
      }
      if (!activation) await sleep(500);
    }
    if (!activation) throw new Error(`no activation message to ${email} in ${outbox} within 30 s`);
    if (/Skye|Testperson|heavy|PHQ/i.test(activation.message.body)) {
      throw new Error(`the message carries personal or clinical content: ${activation.message.body}`);
    }

    // The person activates their account from the link, then signs in.
    await visit(page, activation.path, { name: 'activation', javaScript: false });
    await page.getByText('Hello Skye').waitFor();
    await page.getByLabel('Email address', { exact: true }).fill(email);
    await page.getByLabel('Choose a password', { exact: true }).fill(password);
    await page.getByLabel('Type the password again', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Set up my account', exact: true }).click();
    await page.getByText('Your account is ready').waitFor();
    await checkPage(page, 'account ready', noJs);
    await signIn(page, { email, password }, { expectPath: '/home', javaScript: false });
    // The link works once.
    await visit(page, activation.path, { status: 410, name: 'used activation link', javaScript: false });
  });

  test('safety plan without JavaScript at 320 px: write, fix an error, edit, staff read it, a low check-in', async (scope) => {
    const p = patient(4);
    const viewport = { width: 320, height: 640 };
    const noJs = { javaScript: false };
    const page = await scope.page({ javaScriptEnabled: false, viewport });
    const fitsWidth = async (name) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > viewport.width) throw new Error(`${name} is ${width} px wide at 320 px`);
    };
    const save = () => page.getByRole('button', { name: 'Save my safety plan', exact: true }).click();
    await signIn(page, p, { expectPath: '/home', javaScript: false });
    await page.getByRole('link', { name: 'Your safety plan', exact: true }).click();
    await waitForPath(page, '/safety-plan', 'open the safety plan from /home');
    await checkPage(page, '/safety-plan (none yet)', noJs);
    await visit(page, '/safety-plan/edit', noJs);
    await fitsWidth('/safety-plan/edit');
    // Nothing written: the problem is listed and linked to the first field.
    await save();
    await page.locator('.error-summary a[href="#warning_signs"]').waitFor();
    await checkPage(page, '/safety-plan/edit with errors', noJs);
    await page.getByLabel('My warning signs', { exact: true }).fill('Not sleeping\nStaying in bed');
    await page.getByLabel('Things I can do to cope', { exact: true }).fill('Walk by the sea');
    await save();
    await waitForPath(page, '/safety-plan', 'save the safety plan');
    await page.getByText('Your safety plan is saved').waitFor();
    await checkPage(page, '/safety-plan', noJs);
    await fitsWidth('/safety-plan');
    await page.getByRole('link', { name: 'Edit your safety plan', exact: true }).click();
    await waitForPath(page, '/safety-plan/edit', 'edit the safety plan');
    await page.getByLabel('People and places that help', { exact: true }).fill('Call my sister');
    await save();
    await waitForPath(page, '/safety-plan', 'save the edit');
    await page.getByText('Call my sister').waitFor();
    // A low check-in offers what has helped before.
    await page.goto(url('/home'));
    await page.getByRole('button', { name: '2', exact: true }).click();
    await waitForPath(page, '/check-ins', 'a low check-in');
    await page.getByRole('heading', { name: 'Things that have helped you before' }).waitFor();
    await checkPage(page, '/check-ins after a low check-in', noJs);
    await signOut(page, '/check-ins', noJs);

    const staff = await scope.page();
    await signIn(staff, staffByRole('triage_clinician'), { expectPath: '/staff' });
    await visit(staff, `/staff/patients/${p.id}`, { name: 'patient page with a safety plan' });
    await staff.getByRole('heading', { name: 'Safety plan', exact: true }).waitFor();
    await staff.getByText('Walk by the sea').waitFor();
  });

  test('without JavaScript: staff and patient sign-in', async (scope) => {
    const staffPage = await scope.page({ javaScriptEnabled: false });
    await signIn(staffPage, staffByRole('admin'), { expectPath: '/staff', javaScript: false });
    await visit(staffPage, '/account', { name: '/account (admin, no JavaScript)', javaScript: false });
    await signOut(staffPage, '/staff', { javaScript: false });

    const patientPage = await scope.page({ javaScriptEnabled: false });
    await signIn(patientPage, patient(1), { expectPath: '/home', javaScript: false });
    await signOut(patientPage, '/home', { javaScript: false });
  });

  test('320 px wide screen: no horizontal scrolling', async (scope) => {
    const viewport = { width: 320, height: 640 };
    const noHorizontalScroll = async (page, name) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > viewport.width) {
        const wide = await page.evaluate((limit) => {
          const out = [];
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > limit + 1 && out.length < 5) {
              const id = el.id ? `#${el.id}` : '';
              const cls = el.classList.length ? `.${[...el.classList].join('.')}` : '';
              out.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)})`);
            }
          }
          return out;
        }, viewport.width);
        throw new Error(
          `${name}: page is ${width} px wide at a ${viewport.width} px viewport; ` +
            `widest elements: ${wide.join(', ') || 'unknown'}`,
        );
      }
    };

    const anon = await scope.page({ viewport });
    await visit(anon, '/sign-in');
    await noHorizontalScroll(anon, '/sign-in');

    const staff = await scope.page({ viewport });
    await signIn(staff, staffByRole('supporter'), { expectPath: '/staff' });
    await noHorizontalScroll(staff, '/staff (supporter)');

    const patientPage = await scope.page({ viewport });
    await signIn(patientPage, patient(2), { expectPath: '/home' });
    await noHorizontalScroll(patientPage, '/home');
  });

  test('keyboard: skip link first, then reach the email field', async (scope) => {
    const page = await scope.page();
    await visit(page, '/sign-in');
    const email = page.getByLabel('Email address', { exact: true });
    const isFocused = (loc) => loc.evaluate((el) => el === document.activeElement);

    const seen = [];
    let reached = false;
    for (let i = 0; i < 20; i += 1) {
      await page.keyboard.press('Tab');
      const info = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        return {
          tag: el.tagName.toLowerCase(),
          text: (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim(),
          href: el.getAttribute('href'),
        };
      });
      seen.push(info ? `${info.tag} "${info.text}"` : '(body)');
      if (i === 0) {
        if (!info || info.tag !== 'a' || info.text !== TEXT.skipLink) {
          throw new Error(`first Tab stop is ${seen[0]}, expected the link "${TEXT.skipLink}"`);
        }
        const target = (info.href || '').startsWith('#') ? info.href.slice(1) : null;
        if (!target || !(await page.evaluate((id) => !!document.getElementById(id), target))) {
          throw new Error(`skip link href ${JSON.stringify(info.href)} does not point to an element on the page`);
        }
      }
      if (await isFocused(email)) {
        reached = true;
        break;
      }
    }
    if (!reached) {
      throw new Error(`email field not reached in 20 Tab presses; focus went: ${seen.join(' -> ')}`);
    }
  });

  test('wrong password is refused with a generic message', async (scope) => {
    const page = await scope.page();
    const account = staffByRole('admin') || server.accounts.staff[0];
    await visit(page, '/sign-in');
    await page.getByLabel('Email address', { exact: true }).fill(account.email);
    await page.getByLabel('Password', { exact: true }).fill(`${account.password}-wrong`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(TEXT.badCredentials).first().waitFor({ timeout: ACTION_TIMEOUT_MS });
    if (pathOf(page) !== '/sign-in') {
      throw new Error(`after a wrong password, expected to stay on /sign-in but at ${page.url()}`);
    }
    await checkPage(page, '/sign-in with an error');
  });
};

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  selfTestTotp();
  let result = { passed: 0, failed: 0, failures: [] };
  try {
    try {
      await startServer();
    } catch (err) {
      console.log(`FAIL  start server\n${indent(err.message)}\n${indent(serverDiagnostics())}`);
      result.failed += 1;
      result.failures.push('start server');
      return result;
    }
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    } catch (err) {
      console.log(`FAIL  launch ${CHROMIUM}\n${indent(err.message)}`);
      result.failed += 1;
      result.failures.push('launch browser');
      return result;
    }
    console.log(`browser: Chromium ${browser.version()}`);
    registerStaffTests();
    registerOtherTests();
    result = await runTests();
    return result;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
  }
}

const { passed, failed, failures } = await main();
if (failures.length) console.log(`\nfailed: ${failures.join('; ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
