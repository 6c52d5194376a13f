// The unit profile, the criteria analysis and the what-if on a 390 px phone, on the demo
// province: none of the three pages scrolls sideways, and a unit officer raises the leaf with
// the most points at stake to its maximum and reads the recomputed total and index.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, signIn } from './support.js';

const PHONE = { width: 390, height: 844 };
const OFFICER = { login: 'canbo.stp', name: 'Nguyễn Thị Hạnh', password: 'mat-khau-thu-nghiem-2024',
  grants: [['unit-officer', '--unit', 'STP']] };

let app;

before(async () => {
  app = await startApp({ demo: true, users: [OFFICER] });
});

after(async () => {
  await app?.stop();
});

/** The page's width past the window, in CSS pixels (0 when nothing scrolls sideways). */
async function sideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** A Vietnamese figure ("1.234,50", "+2,25") as a number, for comparisons only. */
function vi(text) {
  return Number(text.trim().replace(/\./g, '').replace(',', '.'));
}

test('the unit profile and the criteria analysis fit a 390 px phone', async () => {
  const context = await app.browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await page.goto(app.url + '/ky/2025/don-vi/STP');
  assert.ok(await page.locator('tr.sub-row').count() > 0, 'sub-criteria are listed');
  assert.match(await page.textContent('.strength'), /Mạnh nhất: .* yếu nhất: /);
  assert.equal(await page.locator('svg.chart-line[role="img"]').count(), 1);
  assert.ok(await sideways(page) <= 0, 'the profile does not scroll sideways');
  // Every area opened and closed again keeps the page within the window.
  for (const summary of await page.locator('details.area-tree > summary').all()) {
    await summary.click();
  }
  assert.ok(await sideways(page) <= 0, 'closed areas do not widen the page');

  await page.click('a:has-text("Phân tích tiêu chí của nhóm")');
  await page.waitForSelector('li.loss-card');
  assert.equal(await page.locator('svg.chart-heatmap').count(), 1);
  assert.equal(await page.locator('svg.chart-histogram').count(), 1);
  for (const summary of await page.locator('details > summary').all()) {
    await summary.click();
  }
  assert.ok(await sideways(page) <= 0, 'the analysis does not scroll sideways, tables opened');
  await context.close();
});

test('an officer raises the leaf with the most points at stake and reads the new index', async () => {
  const page = await signIn(app, OFFICER, { viewport: PHONE });
  await page.goto(app.url + '/ky/2025/don-vi/STP');
  await page.click('a[href="/ky/2025/don-vi/STP/gia-dinh"]');
  await page.waitForSelector('form.whatif-form');
  assert.ok(await sideways(page) <= 0, 'the what-if form does not scroll sideways');

  const first = page.locator('ol.at-stake > li').first();
  const code = (await first.locator('strong').first().textContent()).trim();
  const atStake = vi(await first.locator('.num').textContent());
  const input = page.locator(`input[name="p-${code}"]`);
  await input.evaluate((el) => { el.closest('details').open = true; });
  const id = await input.getAttribute('id');
  const max = (await page.textContent(`#${id}-now`)).match(/([\d.,]+)\s*$/)[1];
  await input.fill(max);
  await Promise.all([
    page.waitForURL(/gia-dinh\?/),
    page.click('form.whatif-form button[type="submit"]'),
  ]);
  await page.waitForSelector('table.outcome');
  const cells = async (row) => (await page.locator('table.outcome tbody tr').nth(row).locator('td').allTextContents());
  const [totalNow, totalThen, totalChange] = await cells(0);
  assert.equal(vi(totalChange), atStake, `the total rises by the points at stake of ${code}`);
  assert.ok(Math.abs(vi(totalThen) - vi(totalNow) - atStake) < 0.006);
  const [indexNow, indexThen] = await cells(1);
  assert.ok(vi(indexThen) > vi(indexNow), `index ${indexNow} → ${indexThen}`);
  assert.equal(await input.inputValue(), max, 'the typed points stay in the form');
  assert.ok(await sideways(page) <= 0, 'the result does not widen the page');
  await page.context().close();
});
