// Service reports: an analyst lands on the dashboard, filters by deprivation quintile with the
// GET form, and downloads a table as CSV (every page axe-checked); a supporter is refused.

import { NARROW, checkPage, fitsWidth, signIn, staffByRole, visit, waitForPath } from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';
import { url } from '../lib/server.mjs';

export const reports = test('reports: an analyst sees the dashboard, filters by deprivation quintile and downloads CSV; a supporter cannot reach it', async (scope) => {
  const page = await scope.page();
  await signIn(page, staffByRole('analyst'), { expectPath: '/staff/reports' });
  await page.getByRole('heading', { level: 1, name: /^Reports: / }).waitFor();
  await page.getByRole('table', { name: 'Waits from referral to first treatment' }).waitFor();
  if ((await page.locator('svg.chart[role=img]').count()) === 0) {
    throw new Error('/staff/reports: no chart');
  }

  await page.getByLabel('Deprivation quintile', { exact: true }).selectOption('1');
  await page.getByLabel('Break down by', { exact: true }).selectOption('age');
  await page.getByRole('button', { name: 'Show figures', exact: true }).click();
  await waitForPath(page, '/staff/reports', 'filter the dashboard');
  const query = new URL(page.url()).searchParams;
  if (query.get('quintile') !== '1' || query.get('by') !== 'age') {
    throw new Error(`the filter form sent ${page.url()}`);
  }
  await page.getByText('deprivation quintile 1 only').first().waitFor();
  await page.getByRole('columnheader', { name: 'Age band' }).first().waitFor();
  await checkPage(page, '/staff/reports filtered by quintile 1, by age band');

  // The link's address, fetched with the page's session (as the browser's download would be).
  const link = page.locator('a[href^="/staff/reports/csv/waits?"]');
  if (!/^Download this table as CSV/.test(await link.textContent())) throw new Error('the CSV link is not named');
  const href = await link.getAttribute('href');
  if ((await link.getAttribute('download')) === null) throw new Error('the CSV link is not a download');
  const got = await page.request.get(url(href));
  if (got.status() !== 200) throw new Error(`GET ${href}: ${got.status()}`);
  const type = got.headers()['content-type'];
  const disposition = got.headers()['content-disposition'] || '';
  if (type !== 'text/csv; charset=utf-8' || !disposition.startsWith('attachment; filename="waits-')) {
    throw new Error(`GET ${href}: ${type}; ${disposition}`);
  }
  const csv = await got.text();
  const header = csv.split('\r\n')[0];
  if (!header.startsWith('Age band,Started treatment,Within 6 weeks')) {
    throw new Error(`the CSV starts ${JSON.stringify(header)}`);
  }
  if (!/\r\nTotal,/.test(csv)) throw new Error('the CSV has no Total row');

  // The same table as Parquet, for data tools: a whole file (magic number at both ends).
  const parquet = page.locator('a[href^="/staff/reports/parquet/waits?"]');
  if (!/^as Parquet/.test(await parquet.textContent())) throw new Error('the Parquet link is not named');
  const pq = await page.request.get(url(await parquet.getAttribute('href')));
  if (pq.status() !== 200 || pq.headers()['content-type'] !== 'application/vnd.apache.parquet') {
    throw new Error(`GET the Parquet table: ${pq.status()} ${pq.headers()['content-type']}`);
  }
  const bytes = await pq.body();
  if (bytes.subarray(0, 4).toString() !== 'PAR1' || bytes.subarray(-4).toString() !== 'PAR1') {
    throw new Error('the Parquet download is not a whole Parquet file');
  }

  // The monthly report, and the dashboard on a 320 px screen.
  await visit(page, '/staff/reports/monthly', { name: '/staff/reports/monthly' });
  await page.getByRole('heading', { level: 1, name: /^Monthly report, / }).waitFor();
  await page.setViewportSize(NARROW);
  await visit(page, '/staff/reports', { name: '/staff/reports at 320 px' });
  await fitsWidth(page, '/staff/reports');

  const supporter = await scope.page();
  await signIn(supporter, staffByRole('supporter'), { expectPath: '/staff' });
  const res = await supporter.goto(url('/staff/reports'));
  if (res.status() !== 403) throw new Error(`a supporter got ${res.status()} for /staff/reports`);
  await checkPage(supporter, '/staff/reports refused to a supporter');
});
