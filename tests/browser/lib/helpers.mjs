// What the tests share: demo accounts, TOTP codes, page checks (axe-core and the crisis panel),
// signing in and out, keyboard and narrow-screen helpers.

import { createHmac } from 'node:crypto';

import AxeBuilder from '@axe-core/playwright';

import { server, sleep, url } from './server.mjs';

export const ACTION_TIMEOUT_MS = 15_000;

export const STAFF_ROLES = [
  'admin',
  'triage_clinician',
  'supporter',
  'clinical_lead',
  'moderator',
  'analyst',
];
// Pages a role must reach from its navigation (the staff sweep visits every nav link; this makes
// sure these are among them).
export const ROLE_PAGES = {
  admin: ['/staff/admin/staff', '/staff/admin/jobs'],
  triage_clinician: ['/alerts'],
  clinical_lead: ['/alerts', '/alerts/load', '/staff/peer'],
  moderator: ['/staff/peer'],
};
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export const TEXT = {
  crisis: 'If you need help now',
  signedOut: 'You have signed out',
  badCredentials: 'Email, password or code not recognised',
  skipLink: 'Skip to main content',
};

/** The narrow screen the tests check: nothing may need horizontal scrolling at this width. */
export const NARROW = { width: 320, height: 640 };

/** Set from the command line by run.mjs: `verbose` lists every page checked. */
export const options = { verbose: false };

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

export function selfTestTotp() {
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
// Demo accounts (from demo-accounts.json, read when the server started)

export function staffByRole(role) {
  return server.accounts.staff.find((s) => s.role === role);
}
export function firstPatient() {
  return patient(0);
}
/** The n-th demo patient, or the first if there are fewer (spreads sign-ins across accounts,
 * which the per-account sign-in throttle counts). */
export function patient(n) {
  const list = server.accounts.patients || [];
  const p = list[n] || list[0];
  if (!p) throw new Error('demo-accounts.json lists no patients');
  return p;
}

// ---------------------------------------------------------------------------------------------
// Small utilities

export function normalise(text) {
  return (text || '').replace(/\s+/g, ' ').trim();
}

export function pathOf(page) {
  try {
    return new URL(page.url()).pathname;
  } catch {
    return page.url();
  }
}

// ---------------------------------------------------------------------------------------------
// Page checks

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

/** How many pages have been checked so far (run.mjs reports it per test). */
export let pagesChecked = 0;
export async function checkPage(page, name, { javaScript = true } = {}) {
  pagesChecked += 1;
  if (options.verbose) console.log(`      checking ${name} at ${pathOf(page)}${javaScript ? '' : ' (no JavaScript)'}`);
  await checkCrisisPanel(page, name);
  if (javaScript) await checkA11y(page, name);
  else await checkA11yNoScript(page, name);
}

/** Navigates, checks the final status, then runs the page checks. */
export async function visit(page, target, { status = 'ok', name = target, javaScript = true } = {}) {
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

export async function waitForPath(page, wanted, what) {
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

/** Throws if `page` is wider than the narrow screen (it would need horizontal scrolling). */
export async function fitsWidth(page, name) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > NARROW.width) throw new Error(`${name} is ${width} px wide at ${NARROW.width} px`);
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

/** Signs in through /sign-in (and /sign-in/code when the account has a TOTP secret). */
export async function signIn(page, account, { expectPath, javaScript = true } = {}) {
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
export async function signOut(page, protectedPath, { javaScript = true } = {}) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
  await page.getByText(TEXT.signedOut).first().waitFor({ timeout: ACTION_TIMEOUT_MS });
  await checkPage(page, 'signed-out page', { javaScript });
  await page.goto(url(protectedPath));
  await waitForPath(page, '/sign-in', `${protectedPath} after signing out`);
}

// ---------------------------------------------------------------------------------------------
// Keyboard and links

/**
 * Presses Tab until `target` has the focus, as a keyboard user would; throws with the focus path
 * if it is not reached in `max` presses.
 */
export async function tabTo(page, target, what, max = 60) {
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
export async function linkPaths(page, selector) {
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
