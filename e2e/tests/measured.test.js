// Survey and monitoring-data values entered in the app, on the demo province's period in
// progress: the administrator types one survey value in the sheet and saves it, then uploads a
// scores file, reads its preview (every change, old → new) and confirms the import.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp, signIn, ADMIN, SHOTS } from './support.js';

const PERIOD = '2026';
const SHEET = `/ky/${PERIOD}/diem-khao-sat-so-lieu`;

let app;
let page;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startApp({ demo: true });
  page = await signIn(app, ADMIN);
});

after(async () => {
  await app?.stop();
});

/** Clicks what submits a form and waits for the page it leads to. */
async function submit(selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** The name (`v:UNIT:LEAF`) of the first field of a survey leaf in the sheet. */
async function firstSurveyField() {
  return page.evaluate(() => {
    for (const table of document.querySelectorAll('table.measured')) {
      const heads = [...table.querySelectorAll('thead th')];
      const column = heads.findIndex((th) => th.textContent.includes('Điều tra'));
      if (column < 0) continue;
      for (const row of table.querySelectorAll('tbody tr')) {
        const cell = row.children[column];
        const input = cell && cell.querySelector('input[type="text"]');
        if (input) return input.name;
      }
    }
    return null;
  });
}

const field = (name) => `input[name="${name}"]`;

test('the administrator types a survey value, saves it, then imports a file after its preview', async () => {
  await page.goto(app.url + SHEET);
  assert.match(await page.textContent('h1'), /Nhập điểm điều tra và số liệu/);
  const name = await firstSurveyField();
  assert.ok(name, 'the sheet has a survey field');
  const [, unit, leaf] = name.split(':');

  await page.fill(field(name), '0,5');
  await submit('form.measured-sheet button[type="submit"]');
  assert.match(page.url(), /ok=saved&n=1/);
  assert.match(await page.textContent('[role="status"]'), /Đã lưu: 1 giá trị thay đổi/);
  assert.equal(await page.inputValue(field(name)), '0,5');

  const csv = `unit,criterion,value\n${unit},${leaf},"0,75"\n`;
  await page.setInputFiles('#m-file', { name: 'diem-dieu-tra.csv', mimeType: 'text/csv',
    buffer: Buffer.from(csv, 'utf8') });
  await submit('#nhap-tep button[type="submit"]');
  assert.match(await page.textContent('h1'), /Xem trước tệp diem-dieu-tra\.csv/);
  const change = (await page.textContent('table.measured-changes tbody tr')).replace(/\s+/g, ' ');
  assert.match(change, new RegExp(`${unit}.*${leaf.replace(/\./g, '\\.')}.*0,5 \\(0,50 điểm\\).*0,75 \\(0,75 điểm\\)`));
  await page.screenshot({ path: SHOTS + 'measured-preview.png' });

  await submit('button:has-text("Xác nhận nhập 1 thay đổi")');
  assert.match(page.url(), /ok=imported&n=1/);
  assert.match(await page.textContent('[role="status"]'), /Đã nhập tệp: 1 giá trị thay đổi/);
  assert.equal(await page.inputValue(field(name)), '0,75');
});

test('a file with a wrong value shows its row and column and changes nothing', async () => {
  await page.goto(app.url + SHEET);
  const name = await firstSurveyField();
  const [, unit, leaf] = name.split(':');
  const before = await page.inputValue(field(name));
  await page.setInputFiles('#m-file', { name: 'sai.csv', mimeType: 'text/csv',
    buffer: Buffer.from(`unit,criterion,value\n${unit},${leaf},abc\n`, 'utf8') });
  await submit('#nhap-tep button[type="submit"]');
  const cells = await page.locator('table.measured-problems tbody tr').first().locator('td').allTextContents();
  assert.equal(cells[0].trim(), '2', 'the row of the file');
  assert.equal(cells[1].trim(), 'value', 'the column of the file');
  assert.match(cells[4], /abc/);
  assert.equal(await page.locator('button:has-text("Xác nhận")').count(), 0);
  await page.goto(app.url + SHEET);
  assert.equal(await page.inputValue(field(name)), before);
});
