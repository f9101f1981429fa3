// The front door: a person refers themselves without JavaScript on a narrow screen, answers the
// risk question, a triage clinician accepts the referral, and the person activates their account
// from the message the worker writes to the outbox, then signs in.

import {
  NARROW,
  checkPage,
  fitsWidth,
  normalise,
  pathOf,
  signIn,
  staffByRole,
  visit,
  waitForPath,
} from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';
import { waitForMessage } from '../lib/mail.mjs';
import { sleep } from '../lib/server.mjs';

export const frontDoor = test('front door without JavaScript at 320 px: self-referral with a risk answer, triage accepts, the person activates and signs in', async (scope) => {
  const page = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  const noJs = { javaScript: false };
  const email = `skye.${Date.now()}@example.org`;
  const password = 'a long browser test password';
  const saveAndContinue = () => page.getByRole('button', { name: 'Save and continue', exact: true }).click();
  const urgentFirst = async (name) => {
    const first = await page.locator('main > *').first().getAttribute('class');
    if (!/\burgent\b/.test(first || '')) {
      throw new Error(`${name}: the crisis contacts do not open the page (first element: ${first})`);
    }
    await page.getByText('Please get help now').first().waitFor();
    // Once, and honest about whether anyone is watching (the demo service's hours decide which).
    const samaritans = await page.locator('a[href="tel:116123"]').count();
    if (samaritans !== 1) throw new Error(`${name}: the crisis contacts show ${samaritans} times, not once`);
    const honest = normalise(await page.locator('aside.urgent').textContent());
    if (!/Nobody is watching right now|The service is open now/.test(honest)) {
      throw new Error(`${name}: no word on whether anyone is watching: ${honest.slice(0, 300)}`);
    }
  };

  await visit(page, '/refer', noJs);
  await fitsWidth(page, '/refer');
  await page.getByLabel('Demo digital CBT service', { exact: true }).check();
  await page.getByRole('button', { name: 'Start my referral', exact: true }).click();
  await waitForPath(page, /^\/refer\/[0-9a-f]{64}\/about$/, 'start a self-referral');
  const started = Date.now();
  const base = pathOf(page).replace(/\/about$/, '');
  await checkPage(page, 'referral: about you', noJs);
  await fitsWidth(page, 'referral: about you');
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
  await fitsWidth(page, 'referral: questions');

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
  await saveAndContinue();
  await waitForPath(page, `${base}/check`, 'consent saved');
  await checkPage(page, 'referral: check your answers', noJs);
  await fitsWidth(page, 'referral: check your answers');

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
  // The duty queue had it before anyone accepted it; after acceptance the risk follows the person.
  await visit(staff, '/staff/waiting', { name: 'waiting list with the person' });
  await staff.getByRole('link', { name: 'Skye Testperson', exact: true }).waitFor();
  const waitingRow = normalise(await staff.locator('tr', { hasText: 'Skye Testperson' }).first().textContent());
  if (!waitingRow.includes('Risk at referral') || !waitingRow.includes('open alert')) {
    throw new Error(`the waiting list does not show the risk: ${waitingRow}`);
  }
  const supporter = await scope.page();
  await signIn(supporter, staffByRole('supporter'), { expectPath: '/staff' });
  const caseloadRow = normalise(await supporter.locator('tr', { hasText: 'Skye Testperson' }).first().textContent());
  if (!caseloadRow.includes('Risk at referral')) {
    throw new Error(`the supporter's caseload does not show the risk: ${caseloadRow}`);
  }
  await checkPage(supporter, 'caseload with a risk at referral');

  // The worker sends the activation message (to the outbox, or the test SMTP server).
  const link = (m) => /\/activate\/[0-9a-f]{64}/.exec(m.body || '');
  const message = await waitForMessage((m) => m.to === email && link(m), `activation message to ${email}`);
  const activation = { message, path: link(message)[0] };
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
