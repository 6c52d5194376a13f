// Finding a unit in a ranking on a 390 px phone, on the demo province: the search form typed
// without diacritics, the column headings ordering the table, the links between years, none
// making the page scroll sideways. Screenshots of the ranking, a unit page and the criteria
// analysis at that width go to e2e/test-results/ (to the user guide's folder with
// UPDATE_SCREENSHOTS=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp, SHOTS } from './support.js';

const PHONE = { width: 390, height: 844 };
let app;
let page;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startApp();
  const context = await app.browser.newContext({ viewport: PHONE, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  page = await context.newPage();
});

after(async () => {
  await app?.stop();
});

/** Fails when the page now shown is wider than the window (scrolls sideways). */
async function assertFits(what) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${what} is ${scrollWidth} px wide at ${innerWidth} px`);
}

/** Names and ranks of the ranking rows shown. */
async function shownRows() {
  return page.$$eval('table.ranking tbody tr', (trs) => trs.map((tr) => ({
    rank: tr.querySelector('td.rank').childNodes[0].textContent.trim(),
    name: tr.querySelector('th[scope="row"] a').textContent.trim(),
    index: tr.querySelector('td.num.strong').childNodes[0].textContent.trim(),
  })));
}

for (const width of [390, 360]) test(`on a ${width} px phone the ranking keeps rank, unit, index and class in view without scrolling`, async () => {
  await page.setViewportSize({ ...PHONE, width });
  await page.goto(app.url + '/ky/2024');
  const edges = await page.$$eval('table.ranking tbody tr', (trs) => trs.map((tr) => ({
    unit: tr.querySelector('th[scope="row"]').textContent.trim().slice(0, 30),
    right: Math.max(...['td.rank', 'th[scope="row"]', 'td.num.strong', '.class-tag']
      .map((s) => tr.querySelector(s).getBoundingClientRect().right)),
  })));
  assert.ok(edges.length > 10, 'the ranking has rows');
  assert.equal(await page.evaluate(() => window.innerWidth), width);
  const out = edges.filter((e) => e.right > width);
  assert.deepEqual(out, [], `rank, unit, index and class within ${width} px`);
  await assertFits('the ranking');
  await page.setViewportSize(PHONE);
});

test('a search typed without diacritics on a phone finds Sở Nội vụ with its real rank', async () => {
  await page.goto(app.url + '/ky/2024');
  const all = await shownRows();
  const official = all.find((r) => r.name === 'Sở Nội vụ');
  assert.ok(official, 'the 2024 ranking lists Sở Nội vụ');
  await page.fill('#tim', 'so noi vu');
  await Promise.all([page.waitForNavigation(), page.click('form.ranking-search button[type="submit"]')]);
  assert.match(page.url(), /[?&]tim=so\+noi\+vu/);
  const found = await shownRows();
  assert.deepEqual(found.map((r) => r.name), ['Sở Nội vụ']);
  assert.equal(found[0].rank, official.rank, 'a search never re-ranks');
  assert.match(await page.textContent('.search-found'), /Tìm thấy 1 đơn vị/);
  assert.equal(await page.inputValue('#tim'), 'so noi vu');
  await assertFits('the search result');
});

test('a heading orders the table by index on a phone and says so', async () => {
  await page.goto(app.url + '/ky/2024');
  const section = page.locator('section.group').first();
  await Promise.all([page.waitForNavigation(), section.locator('thead a.sort', { hasText: 'Chỉ số (%)' }).click()]);
  assert.match(page.url(), /sap-xep=chi-so&thu-tu=giam/);
  assert.equal(await section.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
  const number = (s) => Number(s.replace(/\./g, '').replace(',', '.'));
  const down = (await shownRows()).map((r) => number(r.index));
  const firstGroup = await section.locator('tbody tr').count();
  const firstDown = down.slice(0, firstGroup);
  assert.deepEqual(firstDown, [...firstDown].sort((a, b) => b - a), 'highest index first');
  await assertFits('the ranking ordered by index');
  await page.locator('section.group').first().locator('table.ranking').scrollIntoViewIfNeeded();
  await page.screenshot({ path: SHOTS + 'dien-thoai-xep-hang.png' });

  await Promise.all([page.waitForNavigation(),
    page.locator('section.group').first().locator('thead a.sort', { hasText: 'Chỉ số (%)' }).click()]);
  assert.match(page.url(), /sap-xep=chi-so&thu-tu=tang/);
  assert.equal(await page.locator('section.group').first().locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
  const up = (await shownRows()).map((r) => number(r.index)).slice(0, firstGroup);
  assert.deepEqual(up, [...firstDown].reverse().sort((a, b) => a - b), 'lowest index first');
  await assertFits('the ranking ordered by index, lowest first');
});

test('the years link to each other and a unit page links its other years, on a phone', async () => {
  await page.goto(app.url + '/ky/2024');
  assert.equal(await page.getAttribute('.year-links a[rel="prev"]', 'href'), '/ky/2023');
  assert.equal(await page.getAttribute('.year-links a[rel="next"]', 'href'), '/ky/2025');
  await page.click('table.ranking tbody th[scope="row"] a >> nth=0');
  await page.waitForSelector('.year-links');
  assert.match(await page.getAttribute('.year-links a[rel="prev"]', 'href'), /^\/ky\/2023\/don-vi\//);
  await assertFits('the unit page');
  await page.screenshot({ path: SHOTS + 'dien-thoai-don-vi.png' });
  await page.click('.page-links a[href*="/phan-tich"]');
  await page.waitForLoadState();
  await assertFits('the criteria analysis');
  await page.screenshot({ path: SHOTS + 'dien-thoai-phan-tich.png' });
});
