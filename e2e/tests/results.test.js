// A reader of the published results in a real browser: the list of periods, a ranking table with
// its chart, a unit's page, and the English switch — on the demo province.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp } from './support.js';

// Screenshots go to e2e/test-results/; with UPDATE_SCREENSHOTS=1 they refresh the user guide's.
const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../test-results/',
  import.meta.url).pathname;
let app;
let page;

before(async () => {
  app = await startApp();
  page = await app.browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await app?.stop();
});

test('the home page lists four published demo periods, the next one in progress, and says the data is a demo', async () => {
  await page.goto(app.url + '/');
  const body = await page.textContent('body');
  for (const year of ['2022', '2023', '2024', '2025', '2026']) {
    assert.ok(body.includes(year), `period ${year} listed`);
  }
  assert.equal(await page.locator('tr', { hasText: 'Đã công bố' }).count(), 4);
  assert.match(await page.locator('tr', { hasText: '2026' }).first().textContent(), /Đang thực hiện/);
  assert.match(body, /[Dd]ữ liệu mẫu/);
  await page.screenshot({ path: SHOTS + 'ky-danh-gia.png', fullPage: true });
});

test('the 2024 ranking shows the district at 89,83, class Tốt, rank 5/7 with a chart', async () => {
  await page.goto(app.url + '/');
  await page.click('a[href$="/ky/2024"]');
  await page.waitForSelector('table');
  const row = page.locator('tr', { hasText: '89,83' }).first();
  const text = await row.textContent();
  assert.match(text, /Tốt/);
  assert.match(text, /5\/7/);
  const bars = await page.locator('svg rect').count();
  assert.ok(bars > 7, `chart has bars (${bars})`);
  await page.screenshot({ path: SHOTS + 'xep-hang.png', fullPage: true });
});

test('a unit page shows the per-area breakdown', async () => {
  await page.goto(app.url + '/ky/2024');
  const link = page.locator('tr', { hasText: '89,83' }).first().locator('a').first();
  await link.click();
  await page.waitForSelector('table');
  const body = await page.textContent('body');
  assert.match(body, /Cải cách thủ tục hành chính|Cải cách TTHC/i);
  assert.match(body, /89,83/);
  await page.screenshot({ path: SHOTS + 'don-vi.png', fullPage: true });
});

test('switching to English persists across pages', async () => {
  await page.goto(app.url + '/?lang=en');
  await page.goto(app.url + '/ky/2024');
  const body = await page.textContent('body');
  assert.match(body, /Rank/);
  await page.goto(app.url + '/?lang=vi');
  await page.goto(app.url + '/ky/2024');
  assert.match(await page.textContent('body'), /Hạng/);
  assert.doesNotMatch(await page.textContent('body'), /Rank\b/);
});
