// Staff: every role signs in with its second factor, visits every page its navigation links to
// (and a few patient records), and signs out.

import { ROLE_PAGES, linkPaths, signIn, signOut, staffByRole, visit } from '../lib/helpers.mjs';
import { test } from '../lib/harness.mjs';
import { server } from '../lib/server.mjs';

// One test per role present in the file, so a missing page for one role does not hide the rest.
// The roles come from demo-accounts.json, so call this once the server has started.
export function staffTests() {
  const roles = [...new Set((server.accounts.staff || []).map((s) => s.role))];
  return roles.map((role) =>
    test(`staff sign-in and pages: ${role}`, async (scope) => {
      const account = staffByRole(role);
      const page = await scope.page();
      // An analyst's home is the reports dashboard.
      const home = role === 'analyst' ? '/staff/reports' : '/staff';
      await signIn(page, account, { expectPath: home });

      const visited = new Set(['/staff', home]);
      const patientLinks = await linkPaths(page, 'main a[href]');
      const navLinks = await linkPaths(page, 'nav a[href]');
      if (navLinks.length === 0) throw new Error(`no links inside <nav> on ${home} for ${role}`);
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
      // Pages the home links to in its main part rather than the navigation.
      for (const link of patientLinks.filter((l) => l === '/staff/team' && !visited.has(l))) {
        visited.add(link);
        await visit(page, link, { name: `${link} (as ${role})` });
      }
      if (!visited.has('/account')) await visit(page, '/account', { name: `/account (as ${role})` });
      await signOut(page, '/staff');
    }),
  );
}
