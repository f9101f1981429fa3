// Patients: sign-in and account, the PHQ-9 and GAD-7 questionnaires and mood check-ins, and the
// safety plan, mostly without JavaScript on a narrow screen; staff then see the results.

import {
  NARROW,
  checkPage,
  firstPatient,
  fitsWidth,
  patient,
  signIn,
  signOut,
  staffByRole,
  tabTo,
  visit,
  waitForPath,
} from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';
import { url } from '../lib/server.mjs';

export const patientSignIn = test('patient sign-in, account and sign-out', async (scope) => {
  const page = await scope.page();
  await signIn(page, firstPatient(), { expectPath: '/home' });
  await visit(page, '/account', { name: '/account (as patient)' });
  // A daily check-in reminder, chosen from the times the service allows.
  await page.getByLabel('Time of the daily reminder').selectOption('18:30');
  await page.getByRole('button', { name: 'Save the reminder' }).click();
  await page.waitForURL((u) => u.searchParams.get('prompt') === 'saved');
  await checkPage(page, '/account (reminder saved)');
  if (!(await page.getByText('Your daily check-in reminder has been saved').isVisible())) {
    throw new Error('/account: no notice that the reminder was saved');
  }
  if ((await page.getByLabel('Time of the daily reminder').inputValue()) !== '18:30') {
    throw new Error('/account: the saved reminder time is not selected');
  }
  await signOut(page, '/home');
});

export const measures = test('measures: PHQ-9 and GAD-7 without JavaScript at 320 px, a risk answer, staff see the chart', async (scope) => {
  const p = patient(3);
  const page = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  await signIn(page, p, { expectPath: '/home', javaScript: false });
  const complete = async (id, answers, { risk }) => {
    await page.getByRole('link', { name: new RegExp(`\\(${id === 'phq9' ? 'PHQ-9' : 'GAD-7'}\\)`) }).click();
    await waitForPath(page, `/measures/${id}`, `open ${id}`);
    await checkPage(page, `/measures/${id}`, { javaScript: false });
    await fitsWidth(page, `/measures/${id}`);
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
  await fitsWidth(page, '/home');
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
  // The risk answer raised an alert, listed at the top of the person's record.
  await staff.getByRole('heading', { name: 'Open alerts', exact: true }).waitFor();
  await staff.getByRole('heading', { name: 'Mood check-ins' }).waitFor();
});

export const safetyPlan = test('safety plan without JavaScript at 320 px: write, fix an error, edit, staff read it, a low check-in', async (scope) => {
  const p = patient(4);
  const noJs = { javaScript: false };
  const page = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  const save = () => page.getByRole('button', { name: 'Save my safety plan', exact: true }).click();
  await signIn(page, p, { expectPath: '/home', javaScript: false });
  await page.getByRole('link', { name: 'Your safety plan', exact: true }).click();
  await waitForPath(page, '/safety-plan', 'open the safety plan from /home');
  await checkPage(page, '/safety-plan (none yet)', noJs);
  await visit(page, '/safety-plan/edit', noJs);
  await fitsWidth(page, '/safety-plan/edit');
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
  await fitsWidth(page, '/safety-plan');
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

export const library = test('self-help library without JavaScript at 320 px: every page of a guide, by keyboard; staff read the programmes', async (scope) => {
  const noJs = { javaScript: false };
  const page = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  await signIn(page, patient(3), { expectPath: '/home', javaScript: false });
  await page.getByRole('link', { name: 'Self-help library', exact: true }).click();
  await waitForPath(page, '/library', 'open the library from /home');
  await checkPage(page, '/library', noJs);
  await fitsWidth(page, '/library');
  // The first guide's first module, then every page by keyboard.
  await page.locator('main ol a').first().click();
  let pages = 0;
  for (;;) {
    pages += 1;
    const here = new URL(page.url()).pathname;
    await checkPage(page, here, noJs);
    await fitsWidth(page, here);
    const next = page.getByRole('link', { name: 'Next page', exact: true });
    if ((await next.count()) === 0) break;
    await tabTo(page, next, `Next page on ${here}`);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname !== here);
    if (pages > 30) throw new Error('the guide did not end');
  }
  if (pages < 3) throw new Error(`only ${pages} pages in the first guide`);

  // Staff read every programme the same way, with each tool's place marked.
  const staff = await scope.page({ viewport: NARROW });
  await signIn(staff, staffByRole('supporter'), { expectPath: '/staff' });
  await visit(staff, '/staff/programmes', { name: '/staff/programmes at 320 px' });
  await fitsWidth(staff, '/staff/programmes');
  await visit(staff, '/staff/programmes/low-mood/01-getting-started/1', { name: 'a guided programme page (staff)' });
  await fitsWidth(staff, 'a guided programme page (staff)');
});
