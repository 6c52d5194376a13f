// A reader downloads the published results from the pages in a real browser — the official
// workbook of a period, a group's CSV, a unit's JSON — and reads the methodology page on a
// 390 px phone without scrolling sideways; on the demo province.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startApp } from './support.js';

let app;
let context;

before(async () => {
  app = await startApp();
  context = await app.browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await context?.close();
  await app?.stop();
});

/** Clicks `selector` on `page` and returns the download it starts, with its bytes. */
async function download(page, selector) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(selector).first().click(),
  ]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

test('the period page downloads its official Excel workbook and a group CSV', async () => {
  const page = await context.newPage();
  await page.goto(app.url + '/ky/2024');
  const book = await download(page, 'a.download-xlsx');
  assert.equal(book.name, 'chi-so-cchc-2024.xlsx');
  assert.equal(book.bytes.subarray(0, 2).toString(), 'PK', 'an XLSX is a zip');
  assert.ok(book.bytes.length > 5000, `workbook of ${book.bytes.length} bytes`);

  const group = page.locator('section.group').first();
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    group.locator('a.download-csv').click(),
  ]);
  assert.match(csv.suggestedFilename(), /^chi-so-cchc-2024-[a-z0-9-]+\.csv$/);
  const text = readFileSync(await csv.path(), 'utf8');
  assert.match(text.split('\n')[0], /^group,rank,unit,name,total,max,index,class/);
  assert.ok(text.trim().split('\n').length > 2, 'rows of the group');
  await page.close();
});

test('a unit page downloads the unit result as JSON and its result sheet as PDF, and links the methodology', async () => {
  const page = await context.newPage();
  await page.goto(app.url + '/ky/2024');
  await page.locator('tr', { hasText: '89,83' }).first().locator('a').first().click();
  await page.waitForSelector('a.download-json');
  const file = await download(page, 'a.download-json');
  assert.match(file.name, /^chi-so-cchc-2024-[a-z0-9-]+\.json$/);
  const result = JSON.parse(file.bytes.toString('utf8'));
  assert.equal(result.index, 89.83);
  assert.ok(result.nodes.length > 3, 'the breakdown');
  const sheet = await download(page, 'a.download-pdf');
  assert.equal(sheet.name, file.name.replace(/\.json$/, '.pdf'));
  assert.equal(sheet.bytes.subarray(0, 4).toString(), '%PDF', 'the result sheet is a PDF');
  await page.click('.methodology-link a');
  await page.waitForURL(/\/ky\/2024\/phuong-phap$/);
  await page.close();
});

test('the methodology page fits a 390 px phone', async () => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(app.url + '/ky/2024/phuong-phap');
  const body = await page.textContent('body');
  assert.match(body, /Từ 90 trở lên/);
  assert.match(body, /Cách tính chỉ số/);
  const o = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(o.scrollWidth <= o.innerWidth, `the methodology page is ${o.scrollWidth} px wide at ${o.innerWidth} px`);
  await page.close();
});
