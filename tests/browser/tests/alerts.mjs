// Alerts: a risk answer raises an alert that the duty clinician handles by keyboard, and one
// nobody acknowledges escalates to the clinical lead and the duty phone.
//
// Runs before any other test that raises an alert (run.mjs keeps that order): the queue lists
// the earliest deadline first, and this test expects its own alert at the top. Monitoring
// settings (tests/browser/monitoring/demo.toml) keep the service open all week with one-minute
// deadlines for urgent and high alerts.


import {
  NARROW,
  checkPage,
  fitsWidth,
  normalise,
  patient,
  signIn,
  staffByRole,
  tabTo,
  visit,
  waitForPath,
} from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';
import { waitForMessage } from '../lib/mail.mjs';
import { sleep, url } from '../lib/server.mjs';

export const alerts = test('alerts: PHQ-9 item 9 "several days" shows the crisis panel, the duty clinician acknowledges and closes the alert by keyboard, an unacknowledged alert escalates', async (scope) => {
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
    const urgent = page.locator('aside.urgent');
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
  const leadContext = await scope.context({ viewport: NARROW });
  const leadPage = await leadContext.newPage();
  await signIn(leadPage, lead, { expectPath: '/staff' });
  for (const [p, name] of [['/alerts', '/alerts'], [secondPath, '/alerts/{id}'], ['/alerts/load', '/alerts/load']]) {
    await visit(leadPage, p, { name: `${name} (clinical lead, 320 px)` });
    await fitsWidth(leadPage, `${name} (clinical lead)`);
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
  await fitsWidth(leadPage, '/alerts with an escalated alert');
  await visit(leadPage, secondPath, { name: 'escalated /alerts/{id} (clinical lead, 320 px)' });
  await leadPage.getByText('Escalated to the clinical lead').waitFor();
  await visit(noJs, '/alerts', { name: '/alerts with an escalated alert (clinical lead)', javaScript: false });

  // The worker sends it to the clinical lead by email and to the duty phone by text, with no
  // personal or clinical content.
  const dutyPhone = '7700900123';
  const about = (m) => (m.body || '').includes(secondPath);
  const toLead = await waitForMessage(
    (m) => about(m) && m.channel === 'email' && m.to === lead.email,
    `email to the clinical lead (${lead.email}) about ${secondPath}`,
  );
  const toPhone = await waitForMessage(
    (m) => about(m) && m.channel === 'sms' && String(m.to).replace(/\D/g, '').endsWith(dutyPhone),
    `text to the duty phone about ${secondPath}`,
  );
  const nameParts = second.name.split(/\s+/).filter((w) => w.length > 1);
  for (const { file, text } of [toLead, toPhone]) {
    const found = nameParts.filter((w) => text.toLowerCase().includes(w.toLowerCase()));
    if (found.length || /PHQ|better off dead|hurting/i.test(text)) {
      throw new Error(`the escalation message ${file} carries personal or clinical content (${found.join(', ') || 'clinical wording'}): ${text}`);
    }
  }
});
