// Peer support: a member posts in the demo's group and the post is there at once; a risky post
// is held, opens the page with the crisis contacts and says a moderator will look soon; another
// member reports a post and is thanked; the moderator's home is the queue, with the risky post
// first, and they hide it with a reason that its author then sees; the report is in the queue.
//
// Runs after the alerts test (the risky post raises an alert, which must not come before that
// test's own at the top of the duty queue).

import { checkPage, normalise, patient, signIn, staffByRole, visit, waitForPath } from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';

/** Opens the demo group from the navigation and joins it as `name`, if not yet a member. */
async function openGroup(page, name) {
  await page.locator('nav').getByRole('link', { name: 'Groups', exact: true }).click();
  await waitForPath(page, '/peer', 'open Groups from the navigation');
  await checkPage(page, '/peer');
  await page.getByRole('link', { name: 'Coffee and chat', exact: true }).click();
  await waitForPath(page, /^\/peer\/groups\/[^/]+$/, 'open the demo group');
  await checkPage(page, 'group page');
  if ((await page.getByRole('button', { name: 'Join', exact: true }).count()) > 0) {
    await page.getByLabel('Your group name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByText('You have joined the group.').waitFor();
    await checkPage(page, 'group page after joining');
  }
  // A demo person may have joined already, under a name of their own.
  const me = normalise(await page.locator('p', { hasText: 'You are posting as' }).locator('strong').textContent());
  return { path: new URL(page.url()).pathname, me };
}

async function writePost(page, text) {
  await page.getByLabel('Write a post', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
}

export const peer = test('peer support: a member posts, a risky post is held with the crisis panel, a report and the risky post reach the moderator, who hides it with a reason the author sees', async (scope) => {
  const author = patient(11);
  const reader = patient(9);
  // No digits: a long number would be held as a phone number.
  const calm = 'A calmer day today, thank you all';

  const a = await scope.page();
  await signIn(a, author, { expectPath: '/home' });
  const { path: group, me } = await openGroup(a, 'Kind Robin');
  await writePost(a, calm);
  await a.getByText('Your post is in the group.').waitFor();
  await a.getByText(calm).waitFor();
  await checkPage(a, 'group page after posting');

  await writePost(a, 'I want to kill myself tonight');
  await a.getByText('waiting for a moderator, who will look soon', { exact: false }).first().waitFor();
  const firstClass = await a.locator('main > *').first().getAttribute('class');
  if (!/\burgent\b/.test(firstClass || '')) {
    throw new Error(`after a risky post the crisis panel does not open the page (first element: ${firstClass})`);
  }
  await a.locator('aside.urgent a[href="tel:116123"]').first().waitFor();
  await checkPage(a, 'group page after a risky post');

  // Another member does not see the held post, and reports the calm one.
  const b = await scope.page();
  await signIn(b, reader, { expectPath: '/home' });
  await openGroup(b, 'Sea Glass');
  if ((await b.getByText('kill myself').count()) > 0) throw new Error('a held risky post is visible to another member');
  const item = b.locator('li.message', { hasText: calm });
  await item.getByRole('link', { name: /Report this post/ }).click();
  await waitForPath(b, /^\/peer\/posts\/[^/]+\/report$/, 'open the report form');
  await checkPage(b, 'report form');
  await b.getByLabel('Why are you reporting it?', { exact: true }).fill('It made me uneasy');
  await b.getByRole('button', { name: 'Send report', exact: true }).click();
  await b.getByRole('heading', { name: 'Thank you for telling us', exact: true }).waitFor();
  await checkPage(b, 'report thanks');

  // The moderator's home is the queue: the risky post first, the report in it.
  const m = await scope.page();
  await signIn(m, staffByRole('moderator'), { expectPath: '/staff' });
  await m.getByRole('heading', { name: 'Moderation queue', exact: true }).waitFor();
  const first = normalise(await m.locator('li.message').first().textContent());
  if (!/risk/i.test(first) || !first.includes(me)) throw new Error(`the queue does not start with the risky post: ${first}`);
  await m.getByText('Reported by a member', { exact: false }).first().waitFor();
  await m.locator('li.message').first().getByRole('link').first().click();
  await waitForPath(m, /^\/staff\/peer\/posts\/[^/]+$/, 'open the risky post');
  await checkPage(m, 'moderation of one post');
  await m.getByLabel('Hide it: its author sees your reason', { exact: true }).check();
  await m.getByLabel('Your reason', { exact: true }).fill('Hidden to keep the group safe; a moderator will contact you');
  await m.getByRole('button', { name: 'Save', exact: true }).click();
  await waitForPath(m, '/staff/peer', 'hide the post');
  await m.getByText('The post is hidden; its author sees your reason.').waitFor();
  await checkPage(m, 'queue after hiding');

  // The author sees the reason.
  await visit(a, group, { name: 'group page after hiding' });
  await a.getByText('Hidden to keep the group safe', { exact: false }).first().waitFor();
});
