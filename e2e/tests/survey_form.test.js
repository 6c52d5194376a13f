// A survey defined on the web form, on a 390 px phone, on the demo province: the administrator
// opens the form from the list of surveys, keeps one respondent group of the filled-in form,
// adds a question and options of its own, sets a criterion's minimum and saves; the survey
// page then shows it. Every button posts the form back (no script is needed) and the page
// never scrolls sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp, signIn, ADMIN, SHOTS } from './support.js';

const LIST = '/ky/2026/dieu-tra';
const PHONE = { width: 390, height: 844 };

let app;
let admin;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startApp({ demo: true });
  admin = await signIn(app, ADMIN, { viewport: PHONE });
});

after(async () => {
  await app?.stop();
});

/** How far the page scrolls sideways (0 when it does not). */
async function sideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

async function assertFits(page, when) {
  const wide = await sideways(page);
  assert.ok(wide <= 0, `${when}: the page scrolls sideways by ${wide}px`);
}

/** Presses a button of the form and waits for the page the server sends back. */
async function press(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test('the administrator defines a small survey on the form at 390 px', async () => {
  await admin.goto(app.url + LIST);
  await press(admin, `a[href="${LIST}/soan"]`);
  assert.match(await admin.locator('h1').innerText(), /Soạn đợt điều tra/);
  await assertFits(admin, 'the form as it opens');

  await admin.fill('#f-code', 'KS-DIEN-THOAI');
  await admin.fill('#f-name', 'Khảo sát thử trên điện thoại');
  // One respondent group is enough: the others go, one "Xóa nhóm" at a time.
  while (await admin.locator('fieldset.survey-group').count() > 1) {
    await press(admin, 'button[value^="remove-group:"] >> nth=-1');
  }
  assert.equal(await admin.inputValue('#f-name'), 'Khảo sát thử trên điện thoại', 'nothing typed is lost');
  await admin.fill('#f-g0-name', 'Lãnh đạo sở, ngành');
  await admin.fill('#f-g0-target', '40');

  // "Thêm câu hỏi": a new row, its text ready for typing.
  const before = await admin.locator('table.survey-questions tbody tr').count();
  await press(admin, 'button[value="add-question:0"]');
  const rows = admin.locator('table.survey-questions tbody tr');
  assert.equal(await rows.count(), before + 1);
  const added = `#f-g0-q${before}`;
  assert.equal(await admin.evaluate(() => document.activeElement.id), `f-g0-q${before}-text`);
  await admin.fill(`${added}-text`, 'Đơn vị giải quyết hồ sơ đúng hẹn?');
  await admin.selectOption(`${added}-target`, { index: 1 });
  const leaf = await admin.inputValue(`${added}-target`);

  // Options of its own start from the standard scale; B is made worth 50 %.
  await press(admin, 'button[value="add-option:0"]');
  assert.equal(await admin.locator('table.survey-options tbody tr').count(), 5);
  await admin.fill('#f-g0-o1-weight', '50');
  await press(admin, 'button[value="refresh"]:not([aria-hidden])');
  const row = admin.locator('table.survey-leaves tbody tr', { has: admin.locator(`input[value="${leaf}"]`) });
  await row.locator('input[name$=".minimum"]').fill('5');
  await assertFits(admin, 'the form with its tables');
  await admin.locator('#f-g0-questions').evaluate((h) => h.scrollIntoView({ block: 'start' }));
  await admin.screenshot({ path: `${SHOTS}survey-form-phone.png`, fullPage: false });

  await press(admin, 'button[value="save"]');
  assert.equal(new URL(admin.url()).pathname, `${LIST}/KS-DIEN-THOAI`);
  assert.match(await admin.locator('[role="status"]').innerText(), /Đã tạo đợt điều tra/);
  assert.match(await admin.locator('h1').innerText(), /Khảo sát thử trên điện thoại/);
  assert.match(await admin.locator('table.survey-sample').innerText(), /Lãnh đạo sở, ngành/);
  await assertFits(admin, 'the new survey');

  // Its questionnaires open on the same form, as saved.
  await press(admin, `a[href="${LIST}/KS-DIEN-THOAI/soan"]`);
  assert.equal(await admin.inputValue('#f-g0-o1-weight'), '50');
  assert.equal(await admin.inputValue(`${added}-text`), 'Đơn vị giải quyết hồ sơ đúng hẹn?');
  await assertFits(admin, 'the form of a saved survey');
});
