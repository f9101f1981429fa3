// The test harness: tests are `{ name, fn }`, run one after another, each with its own browser
// contexts (a Scope) and a time limit; a failing test prints what went wrong, saves its pages,
// and shows the tail of the server's output.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ACTION_TIMEOUT_MS, pagesChecked } from './helpers.mjs';
import { HERE, REPO, indent, server, serverDiagnostics } from './server.mjs';

const TEST_TIMEOUT_MS = 180_000;
const NAVIGATION_TIMEOUT_MS = 30_000;
const ARTIFACTS = path.resolve(
  process.env.BOTHY_BROWSER_ARTIFACTS || path.join(REPO, 'test-results', 'browser'),
);

/** A test: `fn(scope)` gets a Scope for its browser contexts. */
export function test(name, fn) {
  return { name, fn };
}

function slug(text) {
  return text.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 80);
}

/** Per-test browser contexts, closed after the test; their pages are dumped on failure. */
class Scope {
  constructor(browser) {
    this.browser = browser;
    this.contexts = [];
  }
  async context(options = {}) {
    const ctx = await this.browser.newContext({ baseURL: server.baseUrl, ...options });
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    ctx.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    this.contexts.push(ctx);
    return ctx;
  }
  async page(options = {}) {
    return (await this.context(options)).newPage();
  }
  async diagnostics(testName) {
    const lines = [];
    let n = 0;
    for (const ctx of this.contexts) {
      for (const page of ctx.pages()) {
        n += 1;
        lines.push(`page ${n}: ${page.url()}`);
        try {
          mkdirSync(ARTIFACTS, { recursive: true });
          const base = path.join(ARTIFACTS, `${slug(testName)}-${n}`);
          writeFileSync(`${base}.html`, await page.content());
          await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 });
          const rel = path.relative(process.cwd(), base);
          lines.push(`  saved ${rel.startsWith('..') ? base : rel}.{html,png}`);
        } catch (err) {
          lines.push(`  (could not save page: ${err.message.split('\n')[0]})`);
        }
      }
    }
    return lines.join('\n');
  }
  async close() {
    await Promise.allSettled(this.contexts.map((c) => c.close()));
  }
}

// Stack frames in the suite's own files (tests/browser, not its node_modules), as paths or URLs.
const OWN = [HERE + path.sep, pathToFileURL(HERE).href + '/'];
const NOT_OWN = [path.join(HERE, 'node_modules'), pathToFileURL(path.join(HERE, 'node_modules')).href];
const isOwnFrame = (l) => OWN.some((p) => l.includes(p)) && !NOT_OWN.some((p) => l.includes(p));

/** The error message, and where in the suite's files it was raised (not the whole stack). */
function describeError(err) {
  if (!(err instanceof Error)) return String(err);
  const here = (err.stack || '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l) && isOwnFrame(l))
    .slice(0, 3)
    .map((l) => l.trim());
  return [err.message, ...here].join('\n');
}

/** Runs `tests` in order (those matching `grep`, if given); returns the counts. */
export async function runTests(tests, { browser, grep }) {
  let passed = 0;
  let failed = 0;
  const failures = [];
  for (const t of tests) {
    if (grep && !grep.test(t.name)) continue;
    const scope = new Scope(browser);
    const started = Date.now();
    const checkedBefore = pagesChecked;
    const stats = () => `${((Date.now() - started) / 1000).toFixed(1)} s, ${pagesChecked - checkedBefore} page${pagesChecked - checkedBefore === 1 ? '' : 's'} checked`;
    let timer;
    try {
      await Promise.race([
        t.fn(scope),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${TEST_TIMEOUT_MS / 1000} s`)),
            TEST_TIMEOUT_MS,
          );
        }),
      ]);
      passed += 1;
      console.log(`ok    ${t.name} (${stats()})`);
    } catch (err) {
      failed += 1;
      failures.push(t.name);
      console.log(`FAIL  ${t.name} (${stats()})`);
      console.log(indent(describeError(err)));
      console.log(indent(await scope.diagnostics(t.name)));
      console.log(indent(serverDiagnostics()));
    } finally {
      clearTimeout(timer);
      await scope.close();
    }
  }
  return { passed, failed, failures };
}
