// End-to-end browser tests for Bothy.
//
// Starts `$BOTHY_BIN demo` on a free port with a throw-away data directory, drives Debian's
// Chromium through playwright-core, and checks every page it visits with axe-core (WCAG 2.2 AA)
// and for the crisis panel. Prints a final line `N passed, N failed` and exits non-zero on any
// failure.
//
// Environment:
//   BOTHY_BIN            path to the bothy binary (default: <repo>/target/debug/bothy)
//   BOTHY_CHROMIUM       path to the Chromium binary (default: /usr/bin/chromium)
//   BOTHY_BROWSER_GREP   only run tests whose name matches this regular expression
//                        (also: `node run.mjs --grep REGEX`)
//   BOTHY_BROWSER_VERBOSE  list every page checked (also: `node run.mjs --verbose`)
//   BOTHY_BROWSER_ARTIFACTS  where screenshots and HTML of failing pages go
//                        (default: <repo>/test-results/browser)
//
// The server is in lib/server.mjs, shared helpers in lib/helpers.mjs, the harness in
// lib/harness.mjs, and the tests, by area, in tests/.

import { chromium } from 'playwright-core';

import { runTests } from './lib/harness.mjs';
import { options, selfTestTotp } from './lib/helpers.mjs';
import { indent, serverDiagnostics, startServer, stopServer, stopServerOnExit } from './lib/server.mjs';
import { alerts } from './tests/alerts.mjs';
import { appointments } from './tests/appointments.mjs';
import { frontDoor } from './tests/front_door.mjs';
import { peer } from './tests/peer.mjs';
import { library, measures, patientSignIn, safetyPlan } from './tests/patient.mjs';
import {
  demoAccounts,
  keyboard,
  narrowScreen,
  publicPages,
  signInWithoutJavaScript,
  wrongPassword,
} from './tests/public.mjs';
import { reports } from './tests/reports.mjs';
import { staffTests } from './tests/staff.mjs';
import { treatment } from './tests/treatment.mjs';

const CHROMIUM = process.env.BOTHY_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const GREP = (() => {
  const i = process.argv.indexOf('--grep');
  const pattern = i >= 0 ? process.argv[i + 1] : process.env.BOTHY_BROWSER_GREP;
  return pattern ? new RegExp(pattern, 'i') : null;
})();
options.verbose = process.argv.includes('--verbose') || !!process.env.BOTHY_BROWSER_VERBOSE;

/** Every test, in the order they run; the staff tests need the accounts of the started server. */
function allTests() {
  return [
    demoAccounts,
    publicPages,
    ...staffTests(),
    reports,
    // Must run before any other test that raises an alert: it expects its own alert at the top
    // of the queue (see tests/alerts.mjs).
    alerts,
    patientSignIn,
    measures,
    frontDoor,
    safetyPlan,
    library,
    treatment,
    appointments,
    peer,
    signInWithoutJavaScript,
    narrowScreen,
    keyboard,
    wrongPassword,
  ];
}

stopServerOnExit();

async function main() {
  selfTestTotp();
  let result = { passed: 0, failed: 0, failures: [] };
  let browser;
  try {
    try {
      await startServer();
    } catch (err) {
      console.log(`FAIL  start server\n${indent(err.message)}\n${indent(serverDiagnostics())}`);
      result.failed += 1;
      result.failures.push('start server');
      return result;
    }
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    } catch (err) {
      console.log(`FAIL  launch ${CHROMIUM}\n${indent(err.message)}`);
      result.failed += 1;
      result.failures.push('launch browser');
      return result;
    }
    console.log(`browser: Chromium ${browser.version()}`);
    result = await runTests(allTests(), { browser, grep: GREP });
    return result;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
  }
}

const { passed, failed, failures } = await main();
if (failures.length) console.log(`\nfailed: ${failures.join('; ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
