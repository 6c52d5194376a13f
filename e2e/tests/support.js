// Starts the real `chiso serve` on a free port against a fresh SQLite file (the demo province is
// loaded into the empty database) and a headless Debian chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.CHISO_BIN || new URL('../../target/debug/chiso', import.meta.url).pathname;
const BROWSER = process.env.CHROMIUM || '/usr/bin/chromium';

/** The administrator every browser test can sign in as. */
export const ADMIN = { login: 'quantri', name: 'Quản trị Sở Nội vụ', password: 'mat-khau-thu-nghiem-2024' };

/** Where screenshots go: e2e/test-results/, or the user guide's folder with UPDATE_SCREENSHOTS=1. */
export const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../test-results/',
  import.meta.url).pathname;

/**
 * Starts the application.
 *
 * Without options the database is empty until `serve` loads the demo province into it. With
 * `demo: true` the demo is loaded first by `chiso demo`, so that `users` (each
 * `{ login, name, password, grants }`, where every grant is the argument list of
 * `chiso user grant LOGIN …`, e.g. `['unit-officer', '--unit', 'STP']`) can be given roles
 * on the demo's units before the server starts.
 */
export async function startApp({ demo = false, users = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-e2e-'));
  const dbUrl = `sqlite://${join(dir, 'e2e.db')}`;
  const chiso = (args, password) => execFileSync(BIN, [...args, '--database-url', dbUrl],
    { env: password === undefined ? process.env : { ...process.env, CHISO_PASSWORD: password }, stdio: 'pipe' });
  if (demo) {
    chiso(['demo']);
  }
  chiso(['user', 'add', ADMIN.login, '--admin', '--name', ADMIN.name], ADMIN.password);
  for (const u of users) {
    chiso(['user', 'add', u.login, '--name', u.name], u.password);
    for (const grant of u.grants ?? []) {
      chiso(['user', 'grant', u.login, ...grant]);
    }
  }
  const child = spawn(BIN, ['serve', '--bind', '127.0.0.1:0', '--data-dir', dir, '--database-url', dbUrl],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chiso did not start:\n${log}`)), 120_000);
    const onData = (buf) => {
      log += buf.toString();
      const m = log.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`chiso exited ${code}:\n${log}`)); });
  });
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: BROWSER,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  } catch (err) {
    // Without a browser the test fails; the server must not outlive it and hold the run open.
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    browser,
    async stop() {
      await browser.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A page in a browser context of its own (its own cookies), signed in as `user` through the
 * sign-in form.
 */
export async function signIn(app, user, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await app.browser.newContext({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  const page = await context.newPage();
  // Confirmations (data-confirm) and the unsaved-values warning are accepted, as a person who
  // read them would; their texts are kept for the tests to check.
  page.dialogs = [];
  page.on('dialog', (dialog) => {
    page.dialogs.push(dialog.message());
    dialog.accept();
  });
  await page.goto(app.url + '/dang-nhap');
  await page.fill('#login', user.login);
  await page.fill('#password', user.password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/dang-nhap')),
    page.click('form[action="/dang-nhap"] button[type="submit"]'),
  ]);
  return page;
}

/** A small valid one-page PDF whose page shows `text` (ASCII), e.g. as evidence to upload. */
export function pdfBytes(text) {
  const safe = text.replace(/[()\\]/g, '');
  const stream = `BT /F1 14 Tf 72 760 Td (${safe}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) {
    out += `${String(o).padStart(10, '0')} 00000 n \n`;
  }
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
