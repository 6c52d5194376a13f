// Units that never submit, and withdrawing a unit, in a real browser on the demo province: the
// administrator plans a period whose self-assessment deadline has passed, closes the
// self-assessment of the Department of Justice, which never submitted ("hết hạn, không nộp"),
// after reading what will happen, and withdraws the Department of Health with a reason; the
// progress page shows both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp, signIn, ADMIN, SHOTS } from './support.js';

const PERIOD = '2026-KN';
const GROUP = 'Sở, ban, ngành';
const MILESTONES = ['self_open', 'self_close', 'appraisal_open', 'appraisal_close', 'explanation_open',
  'explanation_close', 'approval', 'publication'];
/** Self-assessment closed ten days ago, appraisal open today. */
const PLAN = [-20, -10, -5, 5, 6, 10, 15, 60];

let app;

async function text(scope, selector) {
  return (await scope.locator(selector).first().textContent()).replace(/\s+/g, ' ').trim();
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** dd/mm/yyyy of today + `days` in Vietnam (UTC+7). */
function vnDay(days) {
  const d = new Date(Date.now() + 7 * 3600_000 + days * 86_400_000);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

before(async () => {
  app = await startApp({ demo: true });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await app?.stop();
});

test('after the deadline the administrator closes an unsubmitted unit and withdraws another with a reason', async () => {
  const page = await signIn(app, ADMIN);
  await page.goto(app.url + '/quan-tri/ky-danh-gia');
  await page.fill('#p-code', PERIOD);
  await page.fill('#p-name', 'Chỉ số CCHC năm 2026 (đơn vị không nộp)');
  await page.fill('#p-year', '2026');
  await submit(page, 'form[action="/quan-tri/ky-danh-gia"] button[type="submit"]');
  await page.fill('#g-name', GROUP);
  await page.selectOption('#g-set', 'SO-2026');
  await submit(page, '#nhom form.form button[type="submit"]');
  for (const [code, search] of [['STP', 'Tư pháp'], ['SYT', 'Y tế']]) {
    await page.fill('#u-q', search);
    await submit(page, 'form[role="search"] button[type="submit"]');
    await page.check(`input[name="unit"][value="${code}"]`);
    await submit(page, 'form[action$="/them-don-vi"] button[type="submit"]');
  }
  for (const [i, name] of MILESTONES.entries()) {
    await page.fill(`[id="ms-${name}"]`, vnDay(PLAN[i]));
  }
  await submit(page, 'form[action$="/moc"] button[type="submit"]');
  assert.equal(await text(page, 'dd.phase'), 'Thẩm định');

  // Withdrawing the Department of Health asks for a reason and a confirmation.
  const withdraw = page.locator('form[action$="/don-vi/SYT/xoa"]');
  await page.click('table.period-members tr:has(form[action$="/don-vi/SYT/xoa"]) summary');
  await withdraw.locator('input[name="reason"]').fill('Sáp nhập vào Sở Nội vụ từ 01/01/2026');
  await withdraw.locator('input[name="xac-nhan"]').check();
  await submit(page, 'form[action$="/don-vi/SYT/xoa"] button[type="submit"]');
  assert.equal(await text(page, '[role="status"]'), 'Đã rút đơn vị khỏi kỳ đánh giá.');
  assert.match(page.dialogs.at(-1), /không có trong bảng xếp hạng/);
  assert.equal(await text(page, 'tr.withdrawn-row[data-unit="SYT"] td:last-child'),
    'Sáp nhập vào Sở Nội vụ từ 01/01/2026');

  // The Department of Justice never submitted: its self-assessment is closed.
  const row = page.locator('tr.progress-row[data-unit="STP"]');
  await row.locator('summary').click();
  await row.locator('input[name="reason"]').fill('Đã nhắc hai lần bằng công văn');
  await row.locator('input[name="xac-nhan"]').check();
  await submit(page, 'tr.progress-row[data-unit="STP"] form button[type="submit"]');
  assert.match(await text(page, '[role="status"]'), /^Đã đóng tự đánh giá của đơn vị \(hết hạn, không nộp\)/);
  assert.match(page.dialogs.at(-1), /thẩm định viên chấm điểm theo tài liệu hiện có/);
  assert.equal(await text(page, 'tr.progress-row[data-unit="STP"] .state'), 'Hết hạn, không nộp');
  assert.match(await text(page, 'tr.progress-row[data-unit="STP"] .closed-note'), /Đã nhắc hai lần bằng công văn$/);
  assert.equal(await page.locator('tr.progress-row[data-unit="STP"] summary').count(), 0);
  await page.locator('#tien-do').screenshot({ path: SHOTS + 'ky-danh-gia-khong-nop.png' });
});
