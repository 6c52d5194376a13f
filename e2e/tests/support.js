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

export async function startApp() {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-e2e-'));
  const dbUrl = `sqlite://${join(dir, 'e2e.db')}`;
  execFileSync(BIN, ['user', 'add', ADMIN.login, '--admin', '--name', ADMIN.name, '--database-url', dbUrl],
    { env: { ...process.env, CHISO_PASSWORD: ADMIN.password }, stdio: 'pipe' });
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
  const browser = await chromium.launch({
    executablePath: BROWSER,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
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
