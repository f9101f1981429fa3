// Treatment: a clinician enrols a person on a guided programme; the person, without JavaScript
// on a 320 px screen, works through the first module, writes a thought record and a sleep diary
// night, and messages their care team; the clinical lead reads and replies, unlocks the next module
// and writes a review; the person reads the reply and the feedback.

import {
  NARROW,
  checkPage,
  fitsWidth,
  patient,
  signIn,
  signOut,
  staffByRole,
  visit,
  waitForPath,
} from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';

export const treatment = test('treatment without JavaScript at 320 px: programme, thought record, sleep diary, messages; the care team replies, unlocks and reviews', async (scope) => {
  const p = patient(8);
  const noJs = { javaScript: false };

  // The clinical lead enrols the person on the low mood programme with a staff. One
  // signed-in page serves every staff step: sign-ins per account are rate-limited, and the
  // other tests sign staff in too.
  const staff = await scope.page({ viewport: NARROW });
  await signIn(staff, staffByRole('clinical_lead'), { expectPath: '/staff' });
  await visit(staff, `/staff/patients/${p.id}`, { name: 'patient page before enrolment' });
  await staff.getByLabel('Programme', { exact: true }).selectOption('low-mood');
  // The demo supporter guides it (whether or not the person was on their caseload before).
  await staff.getByLabel('Supporter', { exact: true }).selectOption({ label: staffByRole('supporter').name });
  await staff.getByRole('button', { name: 'Enrol on this programme', exact: true }).click();
  await staff.getByText('0 of 6 modules done').waitFor();
  await checkPage(staff, 'patient page with an enrolment');
  await fitsWidth(staff, 'patient page with an enrolment');

  // The person, without JavaScript: home shows the programme and its next step.
  const page = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  await signIn(page, p, { expectPath: '/home', javaScript: false });
  await page.getByRole('heading', { name: 'Your programmes', exact: true }).waitFor();
  await page.locator('section[aria-labelledby="programmes-heading"] a').first().click();
  await waitForPath(page, /^\/programme\/[^/]+$/, 'open the programme from /home');
  await checkPage(page, 'programme overview', noJs);
  await fitsWidth(page, 'programme overview');
  await page.getByRole('link', { name: /^Module 1:/ }).click();
  // Every page of module 1, then finish it.
  for (let pages = 1; ; pages += 1) {
    const here = new URL(page.url()).pathname;
    await checkPage(page, here, noJs);
    await fitsWidth(page, here);
    const finish = page.getByRole('button', { name: 'I have finished this module', exact: true });
    if ((await finish.count()) > 0) {
      await finish.click();
      break;
    }
    const next = page.getByRole('link', { name: 'Next page', exact: true });
    if ((await next.count()) === 0) throw new Error(`${here}: neither a next page nor a way to finish`);
    await next.click();
    await page.waitForURL((u) => u.pathname !== here);
    if (pages > 30) throw new Error('module 1 did not end');
  }
  await page.waitForLoadState();
  await checkPage(page, 'after finishing module 1', noJs);

  // A thought record: first sent with an impossible rating, fixed, then saved.
  await visit(page, '/tools', { javaScript: false });
  await fitsWidth(page, '/tools');
  await page.getByRole('link', { name: 'Thought record', exact: true }).click();
  await waitForPath(page, '/tools/thought-record', 'open the thought record');
  await checkPage(page, '/tools/thought-record', noJs);
  await fitsWidth(page, '/tools/thought-record');
  await page.getByLabel('The situation', { exact: true }).fill('A friend did not answer my message');
  await page.getByLabel('Your feelings', { exact: true }).fill('Sad and a bit ashamed');
  await page.getByLabel('How strong was the feeling?', { exact: true }).fill('150');
  await page.getByLabel('The thought', { exact: true }).fill('Nobody wants to hear from me');
  await page.getByLabel('How much did you believe it?', { exact: true }).fill('80');
  await page.getByRole('button', { name: 'Save my thought record', exact: true }).click();
  await page.locator('.error-summary').waitFor();
  await checkPage(page, '/tools/thought-record with an error', noJs);
  if ((await page.getByLabel('The situation', { exact: true }).inputValue()) === '') {
    throw new Error('the thought record lost what was typed');
  }
  await page.getByLabel('How strong was the feeling?', { exact: true }).fill('70');
  await page.getByRole('button', { name: 'Save my thought record', exact: true }).click();
  await waitForPath(page, '/tools/thought-record', 'save the thought record');
  await page.getByText('Nobody wants to hear from me').first().waitFor();
  await checkPage(page, '/tools/thought-record with an entry', noJs);

  // One night in the sleep diary: yesterday evening.
  const yesterday = new Date(Date.now() - 36 * 3600 * 1000).toISOString().slice(0, 10);
  await visit(page, '/tools/sleep-diary', { javaScript: false });
  await fitsWidth(page, '/tools/sleep-diary');
  await page.getByLabel('The date the night began', { exact: true }).fill(yesterday);
  await page.getByLabel('When you went to bed', { exact: true }).fill('23:00');
  await page.getByLabel('About how many minutes it took you to fall asleep', { exact: true }).fill('30');
  await page.getByLabel('About how many minutes you were awake in the night, in all', { exact: true }).fill('30');
  await page.getByLabel('When you woke up for the last time', { exact: true }).fill('06:30');
  await page.getByLabel('When you got out of bed', { exact: true }).fill('07:00');
  await page.getByRole('button', { name: 'Save this night', exact: true }).click();
  await waitForPath(page, '/tools/sleep-diary', 'save a night');
  // 8 hours in bed, 6.5 asleep: 81%.
  await page.getByText(/81(\.\d)?\s*%/).first().waitFor();
  await checkPage(page, '/tools/sleep-diary with a night', noJs);

  // The form tools: a plan in the activity diary, a goal with a rating, a step of an exposure
  // ladder with a practice, and a worry.
  const today = new Date().toISOString().slice(0, 10);
  await visit(page, '/tools/activities', { javaScript: false });
  await fitsWidth(page, '/tools/activities');
  await page.getByLabel('What you did, or plan to do', { exact: true }).fill('Walk to the park');
  await page.getByLabel('I plan to do it', { exact: true }).check();
  await page.getByLabel('Evening', { exact: true }).check();
  await page.getByLabel('How much you enjoyed it', { exact: true }).fill('7');
  await page.getByRole('button', { name: 'Save the activity', exact: true }).click();
  await page.locator('.error-summary').waitFor();
  await page.getByText('Leave the ratings empty for a plan').first().waitFor();
  await checkPage(page, '/tools/activities with an error', noJs);
  await page.getByLabel('How much you enjoyed it', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Save the activity', exact: true }).click();
  await waitForPath(page, '/tools/activities', 'save a plan');
  await page.getByText('Walk to the park').first().waitFor();
  await checkPage(page, '/tools/activities with a plan', noJs);

  await visit(page, '/tools/goals', { javaScript: false });
  await page.getByLabel('Your goal', { exact: true }).fill('Meet a friend for coffee');
  await page.getByLabel('How close are you to it now?', { exact: true }).first().fill('2');
  await page.getByRole('button', { name: 'Add the goal', exact: true }).click();
  await waitForPath(page, '/tools/goals', 'add a goal');
  await page.locator('#rating').fill('4');
  await page.getByRole('button', { name: 'Save the rating', exact: true }).click();
  await waitForPath(page, '/tools/goals', 'rate a goal');
  await page.getByText('Progress: 4 out of 10').waitFor();
  await checkPage(page, '/tools/goals with a rating', noJs);
  await fitsWidth(page, '/tools/goals');

  await visit(page, '/tools/exposure', { javaScript: false });
  await page.getByLabel('A situation you avoid or that makes you anxious', { exact: true }).fill('Sit in a busy cafe for ten minutes');
  await page.getByLabel('How anxious would it make you?', { exact: true }).fill('60');
  await page.getByRole('button', { name: 'Add the step', exact: true }).click();
  await waitForPath(page, '/tools/exposure', 'add a step');
  await page.getByLabel('Which day', { exact: true }).fill(today);
  await page.getByLabel('How many minutes did you stay?', { exact: true }).fill('15');
  await page.getByLabel('Anxiety at the start', { exact: true }).fill('55');
  await page.getByLabel('Anxiety at the end', { exact: true }).fill('30');
  await page.getByRole('button', { name: 'Save the practice', exact: true }).click();
  await waitForPath(page, '/tools/exposure', 'record a practice');
  await page.getByText('Anxiety at the end: 30 out of 100').waitFor();
  await checkPage(page, '/tools/exposure with a practice', noJs);
  await fitsWidth(page, '/tools/exposure');

  await visit(page, '/tools/worries', { javaScript: false });
  await page.getByLabel('What you are worried about', { exact: true }).fill('What if I cannot pay the gas bill');
  await page.getByLabel(/^Practical:/).check();
  await page.getByLabel('How worried do you feel?', { exact: true }).fill('70');
  await page.getByRole('button', { name: 'Save the worry', exact: true }).click();
  await waitForPath(page, '/tools/worries', 'save a worry');
  await page.getByText('What if I cannot pay the gas bill').first().waitFor();
  await checkPage(page, '/tools/worries with a worry', noJs);
  await fitsWidth(page, '/tools/worries');

  // A message to the care team.
  await visit(page, '/messages', { javaScript: false });
  await fitsWidth(page, '/messages');
  await page.getByLabel('Subject', { exact: true }).fill('Module 1');
  await page.getByLabel('Your message', { exact: true }).fill('I finished the first module. The activity diary was hard to keep.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await waitForPath(page, /^\/messages\/[^/]+$/, 'send the first message');
  await checkPage(page, 'a conversation', noJs);
  await fitsWidth(page, 'a conversation');
  const thread = new URL(page.url()).pathname;
  await signOut(page, '/home', { javaScript: false });

  // Their programme's supporter has them on the caseload, first: no one above them has an open alert or risk at
  // referral, the only needs ranked above an unread message.
  const supporter = await scope.page({ viewport: NARROW });
  await signIn(supporter, staffByRole('supporter'), { expectPath: '/staff' });
  const rows = supporter.locator('#caseload tbody tr');
  const names = await rows.locator('th').allInnerTexts();
  const at = names.findIndex((n) => n.includes(p.name));
  if (at < 0) throw new Error(`${p.name} is not on the supporter's caseload: ${names.join(', ')}`);
  for (let i = 0; i < at; i += 1) {
    const cells = await rows.nth(i).locator('td').allInnerTexts();
    if (cells[0].trim() === 'None' && cells[1].trim() === 'No') {
      throw new Error(`${names[i]} (no alert, no risk at referral) is above ${p.name}, who sent a message`);
    }
  }
  const mine = rows.nth(at).locator('td');
  if (!(await mine.nth(2).innerText()).includes('1 unread')) throw new Error('the unread message is not shown');
  await checkPage(supporter, '/staff with an unread message');
  await fitsWidth(supporter, '/staff caseload');

  // The clinician reads the record, replies and unlocks the next module (finishing module 1
  // opened module 2, so the next is 3).
  await visit(staff, `/staff/patients/${p.id}`, { name: 'patient page with programme, tools and messages' });
  await staff.getByRole('heading', { name: 'Messages', exact: true }).waitFor();
  await staff.locator('section[aria-labelledby="messages-heading"] a').first().click();
  await waitForPath(staff, /\/messages\//, 'open the thread as staff');
  await checkPage(staff, 'a conversation (staff)');
  await staff.getByLabel(/^Reply to /).fill('Well done. Try the diary for two days this week.');
  await staff.getByRole('button', { name: 'Send', exact: true }).click();
  await staff.getByText('Try the diary for two days this week.').waitFor();
  await visit(staff, `/staff/patients/${p.id}`, { name: 'patient page after the reply' });
  await staff.getByRole('button', { name: /^Unlock next module: 3,/ }).click();
  await staff.getByRole('button', { name: /^Unlock next module: 4,/ }).waitFor();
  // The clinical lead's review queue (every enrolment of the service) and one review, with a
  // starting text chosen without JavaScript.
  await reviewOne(staff);

  // The person reads the reply.
  const again = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  await signIn(again, p, { expectPath: '/home', javaScript: false });
  await visit(again, thread, { javaScript: false, name: 'the conversation with a reply' });
  await again.getByText('Try the diary for two days this week.').waitFor();
  // And the review's feedback on the programme page.
  await visit(again, '/home', { javaScript: false, name: '/home with new feedback' });
  await again.locator('section[aria-labelledby="programmes-heading"] a').first().click();
  await waitForPath(again, /^\/programme\/[^/]+$/, 'open the programme again');
  await again.getByRole('heading', { name: 'Feedback from your supporter', exact: true }).waitFor();
  await again.getByText('Module 3 is open now.').waitFor();
  await checkPage(again, 'programme overview with feedback', noJs);
});

/** Opens the first review in the queue, fills it from a starting text and saves it. */
async function reviewOne(staff) {
  await visit(staff, '/staff/reviews', { name: '/staff/reviews at 320 px' });
  await fitsWidth(staff, '/staff/reviews');
  await staff.locator('main table a').first().click();
  await waitForPath(staff, /^\/staff\/enrolments\/[^/]+\/review$/, 'open the review');
  await checkPage(staff, 'a review page');
  await fitsWidth(staff, 'a review page');
  await staff.locator('a[href*="?template="]').first().click();
  await waitForPath(staff, /^\/staff\/enrolments\/[^/]+\/review$/, 'choose a starting text');
  if ((await staff.getByLabel(/^Feedback for /).inputValue()).trim() === '') {
    throw new Error('the starting text did not fill the feedback');
  }
  await staff.getByLabel(/^Feedback for /).fill('Good work on module 1 and your thought record. Module 3 is open now.');
  await staff.getByRole('button', { name: 'Save the review', exact: true }).click();
  await staff.getByRole('heading', { name: 'Earlier reviews', exact: true }).waitFor();
  await checkPage(staff, 'a review page after writing');
}
