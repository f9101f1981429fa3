// Public pages and signing in: the demo accounts, the public and error pages, sign-in without
// JavaScript, a 320 px wide screen, keyboard order, and a wrong password.

import {
  ACTION_TIMEOUT_MS,
  NARROW,
  STAFF_ROLES,
  TEXT,
  base32Decode,
  checkPage,
  pathOf,
  patient,
  signIn,
  signOut,
  staffByRole,
  visit,
} from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';
import { server } from '../lib/server.mjs';

export const demoAccounts = test('demo accounts: every staff role has an account', async () => {
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

export const publicPages = test('public pages', async (scope) => {
  const page = await scope.page();
  await visit(page, '/');
  await visit(page, '/sign-in');
  await visit(page, '/no-such-page', { status: 404 });
  await visit(page, '/enrol/not-a-real-token', { status: [404, 410] });
});

export const signInWithoutJavaScript = test('without JavaScript: staff and patient sign-in', async (scope) => {
  const staffPage = await scope.page({ javaScriptEnabled: false });
  await signIn(staffPage, staffByRole('admin'), { expectPath: '/staff', javaScript: false });
  await visit(staffPage, '/account', { name: '/account (admin, no JavaScript)', javaScript: false });
  await signOut(staffPage, '/staff', { javaScript: false });

  const patientPage = await scope.page({ javaScriptEnabled: false });
  await signIn(patientPage, patient(1), { expectPath: '/home', javaScript: false });
  await signOut(patientPage, '/home', { javaScript: false });
});

export const narrowScreen = test('320 px wide screen: no horizontal scrolling', async (scope) => {
  const viewport = NARROW;
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

export const keyboard = test('keyboard: skip link first, then reach the email field', async (scope) => {
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

export const wrongPassword = test('wrong password is refused with a generic message', async (scope) => {
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
