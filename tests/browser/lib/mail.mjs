// The messages the server under test sent, wherever they went: every file in the outbox in its
// data directory (text messages always; email too unless the run sends it over SMTP), and, when
// BOTHY_TEST_SMTP_DIR names the test SMTP server's directory (tests/smtp/server.py, started by
// scripts/test), every email that server received since this run began. Each message is given
// in the outbox's shape: { channel, to, subject, body, html, attachments, file, text }.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { server, sleep } from './server.mjs';

/** The test SMTP server's directory, when this run sends email to it. */
export const SMTP_DIR = process.env.BOTHY_TEST_SMTP_DIR || null;

// Messages the SMTP server stored before this run are not this run's: its files are named
// `{time in nanoseconds}-{random}.json`.
const RUN_STARTED_NS = BigInt(Date.now()) * 1_000_000n;

/** The SMTP test server's port, for the server's [email] settings. */
export function smtpPort() {
  return readFileSync(path.join(SMTP_DIR, 'port'), 'utf8').trim();
}

function jsonFiles(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')).sort() : [];
}

/** Every message sent so far. */
export function sentMessages() {
  const out = [];
  const outbox = path.join(server.dataDir, 'outbox');
  for (const f of jsonFiles(outbox)) {
    const text = readFileSync(path.join(outbox, f), 'utf8');
    const m = JSON.parse(text);
    out.push({ ...m, attachments: m.attachment ? [m.attachment] : [], file: f, text });
  }
  if (SMTP_DIR) {
    const dir = path.join(SMTP_DIR, 'messages');
    for (const f of jsonFiles(dir)) {
      const stamp = f.split('-')[0];
      if (!/^\d+$/.test(stamp) || BigInt(stamp) < RUN_STARTED_NS) continue;
      const text = readFileSync(path.join(dir, f), 'utf8');
      const m = JSON.parse(text);
      for (const to of m.rcpt_tos || []) {
        out.push({
          channel: 'email',
          to,
          subject: m.subject,
          body: m.text || '',
          html: m.html || '',
          attachments: (m.attachments || []).map((a) => ({
            file_name: a.filename,
            content_type: a.content_type,
            content: a.content,
          })),
          file: f,
          text,
        });
      }
    }
  }
  return out;
}

/** Waits up to `timeoutMs` for a message for which `wanted` is true; throws naming `what`. */
export async function waitForMessage(wanted, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = sentMessages().find(wanted);
    if (found) return found;
    if (Date.now() > deadline) {
      const where = SMTP_DIR ? `the outbox or ${SMTP_DIR}/messages` : 'the outbox';
      throw new Error(`no ${what} in ${where} within ${timeoutMs / 1000} s`);
    }
    await sleep(500);
  }
}
