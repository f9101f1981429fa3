// The server under test: `$BOTHY_BIN demo` on a free port with a throw-away data directory,
// plus the small utilities the rest of the suite shares (sleep, indent, the output tail).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** tests/browser */
export const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(HERE, '..', '..');

const BOTHY_BIN = path.resolve(process.env.BOTHY_BIN || path.join(REPO, 'target', 'debug', 'bothy'));
// Monitoring settings for the demo service (`content.monitoring_dir`): open all week, so that no
// test depends on the time it runs (a person who raises an alert is told their care team will
// see it today, and alerts are due in hours), and urgent and high alerts due one minute after
// they are raised, so the alerts test can watch an unacknowledged alert escalate. See the file.
const MONITORING_DIR = path.join(HERE, 'monitoring');
const READY_TIMEOUT_MS = 60_000;
/** The demo service's Jitsi key in the browser tests, to check the links' tokens with. */
export const JITSI_SECRET = 'a browser-test key for Jitsi room links';

// ---------------------------------------------------------------------------------------------
// Small utilities

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Keeps the last `max` lines written to a stream. */
class Tail {
  constructor(max = 60) {
    this.max = max;
    this.lines = [];
    this.partial = '';
  }
  push(chunk) {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop();
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  text() {
    return [...this.lines, this.partial].filter((l) => l !== '').join('\n');
  }
}

export function indent(text, prefix = '    ') {
  return String(text)
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// The server

export const server = {
  child: null,
  dataDir: null,
  baseUrl: null,
  accounts: null,
  exit: null,
  stdout: new Tail(),
  stderr: new Tail(),
};

/** An absolute URL on the server under test. */
export const url = (p) => new URL(p, server.baseUrl + '/').toString();

export async function startServer() {
  if (!existsSync(BOTHY_BIN)) {
    throw new Error(`BOTHY_BIN ${BOTHY_BIN} does not exist (run \`cargo build -p bothy\` first)`);
  }
  server.dataDir = mkdtempSync(path.join(os.tmpdir(), 'bothy-browser-'));
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  server.baseUrl = `http://${listen}`;
  const args = ['demo', '--listen', listen, '--data-dir', server.dataDir];
  const env = {
    NO_COLOR: '1',
    BOTHY__CONTENT__MONITORING_DIR: MONITORING_DIR,
    // The key for the demo service's Jitsi room links (its provider is in monitoring/demo.toml).
    BOTHY__VIDEO__JITSI_SECRET: JITSI_SECRET,
  };
  // With the test SMTP server running, email goes to it over SMTP, as a service's would
  // (lib/mail.mjs reads it back); without, to the outbox in the data directory.
  const smtpDir = process.env.BOTHY_TEST_SMTP_DIR;
  if (smtpDir) {
    Object.assign(env, {
      BOTHY__EMAIL__TRANSPORT: 'smtp',
      BOTHY__EMAIL__SMTP_HOST: '127.0.0.1',
      BOTHY__EMAIL__SMTP_PORT: readFileSync(path.join(smtpDir, 'port'), 'utf8').trim(),
      BOTHY__EMAIL__SMTP_TLS: 'none',
      BOTHY__EMAIL__FROM: 'no-reply@bothy.test',
    });
  }
  const shown = Object.entries(env)
    .filter(([k]) => k !== 'NO_COLOR' && k !== 'BOTHY__VIDEO__JITSI_SECRET')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(`starting: ${shown} ${BOTHY_BIN} ${args.join(' ')}`);
  // Own process group, so the server and anything it starts can be stopped together.
  server.child = spawn(BOTHY_BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...env },
  });
  server.child.stdout.on('data', (d) => server.stdout.push(d));
  server.child.stderr.on('data', (d) => server.stderr.push(d));
  server.child.on('exit', (code, signal) => {
    server.exit = { code, signal };
  });
  server.child.on('error', (err) => {
    server.exit = { code: null, signal: null, error: err };
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (server.exit) {
      throw new Error(`bothy demo exited before it was ready (${describeExit()})`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `bothy demo did not answer GET /readyz with 200 within ${READY_TIMEOUT_MS / 1000} s ` +
          `(last: ${lastProblem})`,
      );
    }
    try {
      const res = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastProblem = `status ${res.status}`;
    } catch (err) {
      lastProblem = err.cause?.code || err.message;
    }
    await sleep(250);
  }

  // The accounts file is written by `demo`; give it until the same deadline to appear whole.
  const file = path.join(server.dataDir, 'demo-accounts.json');
  for (;;) {
    try {
      server.accounts = JSON.parse(readFileSync(file, 'utf8'));
      break;
    } catch (err) {
      if (Date.now() > deadline || server.exit) {
        throw new Error(`could not read ${file}: ${err.message}`);
      }
      await sleep(250);
    }
  }
  if (server.accounts.base_url && server.accounts.base_url.replace(/\/$/, '') !== server.baseUrl) {
    console.log(
      `note: demo-accounts.json base_url is ${server.accounts.base_url}; using it instead of ${server.baseUrl}`,
    );
  }
  server.baseUrl = (server.accounts.base_url || server.baseUrl).replace(/\/$/, '');
  console.log(
    `ready at ${server.baseUrl}: ${server.accounts.staff?.length ?? 0} staff, ` +
      `${server.accounts.patients?.length ?? 0} patients`,
  );
}

function describeExit() {
  const e = server.exit;
  if (!e) return server.child ? 'still running' : 'not started';
  if (e.error) return `failed to start: ${e.error.message}`;
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

function signalServer(signal) {
  const child = server.child;
  if (!child || server.exit || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export async function stopServer() {
  if (server.child && !server.exit) {
    signalServer('SIGTERM');
    const deadline = Date.now() + 5_000;
    while (!server.exit && Date.now() < deadline) await sleep(50);
    if (!server.exit) signalServer('SIGKILL');
  }
  removeDataDir();
}

function removeDataDir() {
  if (server.dataDir) {
    try {
      rmSync(server.dataDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
    server.dataDir = null;
  }
}

/** Last resort: however the runner ends, do not leave the server running or the data behind. */
export function stopServerOnExit() {
  process.on('exit', () => {
    signalServer('SIGKILL');
    removeDataDir();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\nreceived ${sig}; stopping`);
      process.exit(130);
    });
  }
}

export function serverDiagnostics() {
  const parts = [`server: ${describeExit()}`];
  const err = server.stderr.text();
  const out = server.stdout.text();
  parts.push(err ? `server stderr (tail):\n${indent(err)}` : 'server stderr: (empty)');
  if (out) parts.push(`server stdout (tail):\n${indent(out)}`);
  return parts.join('\n');
}
