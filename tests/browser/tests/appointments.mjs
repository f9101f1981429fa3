// Appointments: the clinical lead books a video appointment from a person's record without
// JavaScript on a 320 px screen (a date in the past first, refused with the form kept); the
// invitation arrives by email, over SMTP to the test server when BOTHY_TEST_SMTP_DIR is set, with
// its signed Jitsi link and its calendar file; the person sees the same link on their home page,
// and the clinician's appointment list shows it.

import crypto from 'node:crypto';

import { NARROW, checkPage, fitsWidth, patient, signIn, staffByRole, visit, waitForPath } from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';
import { waitForMessage } from '../lib/mail.mjs';
import { JITSI_SECRET } from '../lib/server.mjs';

/** A date `days` from now, as a date field takes it. */
function dateIn(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The claims of an HS256 token signed with `secret`; throws if the signature does not match. */
function verifiedClaims(token, secret) {
  const [header, payload, signature] = token.split('.');
  const expected = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  if (signature !== expected) throw new Error(`the link's token is not signed with the deployment's key: ${token}`);
  const alg = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).alg;
  if (alg !== 'HS256') throw new Error(`the token's algorithm is ${alg}`);
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

export const appointments = test('appointments: a video appointment booked without JavaScript at 320 px is invited by email with its link and calendar file', async (scope) => {
  const p = patient(10);
  const noJs = { javaScript: false };
  const staff = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  await signIn(staff, staffByRole('clinical_lead'), { expectPath: '/staff', javaScript: false });
  await visit(staff, `/staff/patients/${p.id}`, { name: 'patient page before booking', javaScript: false });
  await staff.getByRole('link', { name: 'Book an appointment', exact: true }).click();
  await waitForPath(staff, `/staff/patients/${p.id}/appointments/new`, 'open the booking form');
  await checkPage(staff, 'booking form', noJs);
  await fitsWidth(staff, 'booking form');

  // A date in the past is refused, with what was typed kept.
  await staff.getByLabel('Video', { exact: true }).check();
  await staff.getByLabel('Date', { exact: true }).fill(dateIn(-2));
  await staff.getByLabel('Start time (UK time, 24 hours)', { exact: true }).fill('10:30');
  await staff.getByLabel('Length in minutes', { exact: true }).fill('50');
  await staff.getByRole('button', { name: 'Book and send the invitation', exact: true }).click();
  await staff.locator('.error-summary').waitFor();
  await staff.getByText('The appointment must be in the future').first().waitFor();
  await checkPage(staff, 'booking form with an error', noJs);
  await fitsWidth(staff, 'booking form with an error');
  if ((await staff.getByLabel('Start time (UK time, 24 hours)', { exact: true }).inputValue()) !== '10:30') {
    throw new Error('the booking form lost the time typed');
  }

  // Two days ahead: booked, and the record says so.
  await staff.getByLabel('Date', { exact: true }).fill(dateIn(2));
  await staff.getByRole('button', { name: 'Book and send the invitation', exact: true }).click();
  await waitForPath(staff, `/staff/patients/${p.id}`, 'book the appointment');
  await staff.getByText('Appointment booked').waitFor();
  await checkPage(staff, 'patient page with an appointment', noJs);
  await fitsWidth(staff, 'patient page with an appointment');

  // The invitation: by email (the person agreed to email first), with the link and the file.
  const m = await waitForMessage(
    (x) => x.channel === 'email' && x.to === p.email && x.subject === 'Your appointment',
    `appointment invitation to ${p.email}`,
  );
  const found = /Join: (https:\/\/meet\.example\.org\/(bothy-[0-9a-f]{32})\?jwt=([A-Za-z0-9_.-]+))/.exec(m.body);
  if (!found) throw new Error(`the invitation has no Jitsi link: ${m.body}`);
  const [, link, room, token] = found;
  const claims = verifiedClaims(token, JITSI_SECRET);
  const want = { iss: 'bothy-browser', aud: 'jitsi', sub: 'meet.example.org', room };
  for (const [k, v] of Object.entries(want)) {
    if (claims[k] !== v) throw new Error(`the token's ${k} is ${claims[k]}, not ${v}`);
  }
  if (!(claims.exp * 1000 > Date.now() + 86_400_000)) throw new Error(`the token expires too soon: ${claims.exp}`);
  const nameParts = p.name.split(/\s+/).filter((w) => w.length > 1);
  if (nameParts.some((w) => m.body.includes(w))) throw new Error(`the invitation names the person: ${m.body}`);
  const ics = m.attachments.find((a) => a.file_name === 'appointment.ics');
  if (!ics) throw new Error(`the invitation has no calendar file: ${JSON.stringify(m.attachments)}`);
  if (!/^text\/calendar/i.test(ics.content_type) || !/method="?request/i.test(ics.content_type)) {
    throw new Error(`the calendar file's type is ${ics.content_type}`);
  }
  const unfolded = ics.content.replace(/\r\n /g, '');
  for (const line of ['BEGIN:VCALENDAR', 'METHOD:REQUEST', `URL:${link}`, 'STATUS:CONFIRMED']) {
    if (!unfolded.includes(`\r\n${line}\r\n`) && !unfolded.startsWith(`${line}\r\n`)) {
      throw new Error(`the calendar file lacks ${line}: ${ics.content}`);
    }
  }
  if (!/\r\nSUMMARY:Appointment with /.test(unfolded)) throw new Error(`the calendar file's summary: ${ics.content}`);

  // The person sees the same link on their home page.
  const page = await scope.page({ javaScriptEnabled: false, viewport: NARROW });
  await signIn(page, p, { expectPath: '/home', javaScript: false });
  await page.getByRole('heading', { name: 'Your appointments', exact: true }).waitFor();
  const href = await page.getByRole('link', { name: 'Join the video call', exact: true }).getAttribute('href');
  if (href !== link) throw new Error(`the home page's link differs from the invitation's: ${href}`);
  await checkPage(page, '/home with an appointment', noJs);
  await fitsWidth(page, '/home with an appointment');

  // The form that moves it to another time (not sent: one invitation is enough here).
  await visit(staff, `/staff/patients/${p.id}`, { name: 'patient page with an appointment, again', javaScript: false });
  await staff.getByRole('link', { name: /^Move it to another time/ }).first().click();
  await waitForPath(staff, /^\/staff\/appointments\/[^/]+\/edit$/, 'open the form that moves it');
  await checkPage(staff, 'the form that moves an appointment', noJs);
  await fitsWidth(staff, 'the form that moves an appointment');

  // The clinical lead's list shows it, with a way to record what happened.
  await visit(staff, '/staff/appointments', { name: '/staff/appointments (clinical lead, 320 px)', javaScript: false });
  await staff.locator('tr', { hasText: p.name }).first().waitFor();
  await fitsWidth(staff, '/staff/appointments');
});
