// The whole assessment cycle in a real browser, on the demo province: the administrator plans a
// period; the Department of Justice fills in its self-assessment with evidence and
// explanations and its leader submits (the Department of Health too, so there is a ranking);
// the appraiser adjusts two criteria and asks for an explanation; the unit answers; the
// appraiser re-appraises; the council chair approves; the results, the comparison and the
// change log show the outcome; the administrator publishes the results by decision and
// corrects them with a second version. Between steps the administrator moves the period's
// milestones on through the milestones form, so that each window is open today.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp, signIn, pdfBytes, ADMIN, SHOTS } from './support.js';

const PASSWORD = 'mat-khau-thu-nghiem-2024';
const OFFICER = { login: 'canbo.stp', name: 'Nguyễn Thị Hạnh', password: PASSWORD,
  grants: [['unit-officer', '--unit', 'STP']] };
const LEADER = { login: 'lanhdao.stp', name: 'Trần Văn Minh', password: PASSWORD,
  grants: [['unit-leader', '--unit', 'STP']] };
const OTHER_LEADER = { login: 'lanhdao.syt', name: 'Phạm Thị Lan', password: PASSWORD,
  grants: [['unit-leader', '--unit', 'SYT']] };
const APPRAISER = { login: 'thamdinh', name: 'Lê Quang Huy', password: PASSWORD,
  grants: [['appraiser', '--unit', 'STP', '--unit', 'SYT']] };
const CHAIR = { login: 'chutich', name: 'Võ Thanh Sơn', password: PASSWORD, grants: [['council-chair']] };

const PERIOD = '2026-TD';
const PERIOD_NAME = 'Chỉ số CCHC năm 2026 (đợt thẩm định thử)';
const GROUP = 'Sở, ban, ngành';
const UNIT = 'STP';
const UNIT_NAME = 'Sở Tư pháp';
const OTHER = 'SYT';
const OTHER_NAME = 'Sở Y tế';
const SELF = `/ky/${PERIOD}/tu-danh-gia/${UNIT}`;
const REVIEW = `/ky/${PERIOD}/tham-dinh/${UNIT}`;

/**
 * What the Department of Justice enters, area by area, covering every kind of input of the
 * 2026 department set: yes/no (and "không phát sinh"), ratio, date, grade, count, points in
 * steps, a bonus and a deduction.
 */
const ENTRIES = {
  1: { '1.1.1': { yes: 'yes' }, '1.1.2': { ratio: ['10', '10'] }, '1.2': { date: '08/12/2026' },
    '1.3': { na: true } },
  2: { '2.1': { ratio: ['12', '12'] }, '2.2.1': { ratio: ['18', '20'] }, '2.2.2': { grade: 'T' },
    '2.3': { value: '1,25' } },
  3: { '3.1.1': { yes: 'yes' }, '3.1.2': { value: '2' }, '3.2.2': { value: '1' }, '3.2.3': { value: '150' },
    '3.3': { yes: 'na' } },
  4: { '4.1': { grade: 'XS' }, '4.2': { yes: 'yes' } },
  5: { '5.1.1': { yes: 'yes' }, '5.1.2': { ratio: ['45', '50'] }, '5.2': { ratio: ['40', '40'] },
    '5.3': { value: '0' }, '5.4': { grade: 'T' } },
  6: { '6.2': { yes: 'yes' }, '6.3': { value: '2,5' } },
  7: { '7.3': { grade: 'XS' }, '7.4': { value: '0' }, '7.5': { value: '2,75' } },
  8: { '8.1': { ratio: ['19', '20'] }, '8.2': { grade: 'T', data: 'Hoàn thành 11/12 chỉ tiêu của ngành' } },
  9: { '9.1': { value: '1' } },
  10: { '10.1': { value: '1' } },
};
/** 43,75 from the criteria, plus the bonus of 1, minus the deduction of 0,5; 1.3 does not
 * apply, so the maximum of the self-assessed criteria drops from 50 to 48,5. */
const SELF_TOTAL = '44,25';
const SELF_MAX = '48,50';
/** The criterion with an evidence file; every other one gets a written explanation instead. */
const WITH_EVIDENCE = '1.1.1';
const EVIDENCE = { name: 'ke-hoach-cchc-2026.pdf', mimeType: 'application/pdf',
  buffer: pdfBytes('Ke hoach CCHC nam 2026 - So Tu phap') };

/** What the Department of Health enters: a middling year, every criterion filled in. */
const OTHER_ENTRIES = Object.fromEntries(Object.entries(ENTRIES).map(([area, entries]) => [area,
  Object.fromEntries(Object.keys(entries).map((code) => [code, middling(entries[code])]))]));
function middling(e) {
  if (e.yes) return { yes: 'yes' };
  if (e.ratio || e.na) return { ratio: ['8', '10'] };
  if (e.date) return { date: '15/12/2026' };
  if (e.grade) return { grade: 'HT' };
  return { value: '1' };
}
const OTHER_TOTAL = '28,95';

/** The appraiser's two adjustments: criterion, appraised value, comment. */
const ADJUSTMENTS = [
  ['1.1.2', '9/10', 'Còn 01 nhiệm vụ của kế hoạch hoàn thành chậm so với tiến độ'],
  ['2.3', '0,75', 'Chưa có báo cáo theo dõi thi hành pháp luật 6 tháng'],
];
/** The criterion the unit is asked to explain, the request and the unit's answer. */
const REQUESTED = '2.3';
const REQUEST = 'Đề nghị đơn vị cung cấp báo cáo theo dõi thi hành pháp luật 6 tháng đầu năm';
const ANSWER = 'Đơn vị gửi kèm Báo cáo số 112/BC-STP về theo dõi thi hành pháp luật 6 tháng';
const ANSWER_FILE = { name: 'bao-cao-thi-hanh-phap-luat.pdf', mimeType: 'application/pdf',
  buffer: pdfBytes('Bao cao theo doi thi hanh phap luat 6 thang - So Tu phap') };
/** The re-appraisal after the answer: value and comment. */
const REAPPRAISED = ['1', 'Đã bổ sung báo cáo 6 tháng; báo cáo năm còn chậm nên chấm 1 điểm'];
/** 44,25 − 1 (1.1.2) − 0,25 (2.3), over the set's 100 points less 1,5 for 1.3. */
const OFFICIAL_TOTAL = '43,00';
const OFFICIAL_INDEX = '43,65';

/** Milestones (days from today) that put the period in each phase of the cycle today. */
const PLANS = {
  self_assessment: [-3, 10, 11, 20, 21, 25, 30, 60],
  appraisal: [-20, -10, -5, 5, 6, 10, 15, 60],
  explanation: [-30, -25, -20, -10, -5, 5, 10, 60],
  explanation_closed: [-30, -25, -20, -10, -5, -2, 5, 60],
  approval: [-40, -35, -30, -20, -15, -10, -1, 60],
};
const MILESTONES = ['self_open', 'self_close', 'appraisal_open', 'appraisal_close', 'explanation_open',
  'explanation_close', 'approval', 'publication'];

let app;
/** One signed-in page per person, each in its own browser context. */
const pages = {};

/** An attribute selector for an id (criteria codes in ids contain dots). */
const id = (value) => `[id="${value}"]`;

/** The text of the first element matching `selector`, whitespace collapsed. */
async function text(scope, selector) {
  return (await scope.locator(selector).first().textContent()).replace(/\s+/g, ' ').trim();
}

/** Clicks what submits a form (or follows a link) and waits for the page it leads to. */
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** Saves a screenshot of the page from its top down to the bottom of `until` (else the viewport). */
async function shot(page, name, until) {
  await page.evaluate(() => window.scrollTo(0, 0));
  if (!until) {
    await page.screenshot({ path: SHOTS + name });
    return;
  }
  const box = await page.locator(until).last().boundingBox();
  const width = page.viewportSize().width;
  await page.screenshot({ path: SHOTS + name, fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.ceil(box.y + box.height + 24) } });
}

/** dd/mm/yyyy of today + `days` in Vietnam (UTC+7), as the milestones form takes it. */
function vnDay(days) {
  const d = new Date(Date.now() + 7 * 3600_000 + days * 86_400_000);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** The administrator types the milestones of `phase` into the period's form and saves them. */
async function moveTo(phase, label) {
  const page = pages.admin;
  await page.goto(`${app.url}/quan-tri/ky-danh-gia/${PERIOD}#moc`);
  for (const [i, name] of MILESTONES.entries()) {
    await page.fill(id(`ms-${name}`), vnDay(PLANS[phase][i]));
  }
  await submit(page, 'form[action$="/moc"] button[type="submit"]');
  assert.equal(await text(page, '[role="status"]'), 'Đã lưu mốc thời gian.');
  assert.equal(await text(page, 'dd.phase'), label, `the period is now in phase ${phase}`);
}

/** Types one area's entries (code → entry) into the self-assessment page. */
async function fillArea(page, entries, explain) {
  for (const [code, e] of Object.entries(entries)) {
    if (e.yes) await page.check(`input[name="value:${code}"][value="${e.yes}"]`);
    if (e.ratio) {
      await page.fill(`[name="num:${code}"]`, e.ratio[0]);
      await page.fill(`[name="den:${code}"]`, e.ratio[1]);
    }
    if (e.date) await page.fill(`[name="value:${code}"]`, e.date);
    if (e.grade) await page.selectOption(`[name="value:${code}"]`, e.grade);
    if (e.value) await page.fill(`[name="value:${code}"]`, e.value);
    if (e.na) await page.check(`[name="na:${code}"]`);
    if (e.data) await page.fill(`[name="data:${code}"]`, e.data);
    const explanation = page.locator(`[name="explanation:${code}"]`);
    if (explain(code) && await explanation.count() > 0) {
      await explanation.fill(`Tài liệu kiểm chứng của tiêu chí ${code} đang lưu tại văn thư, sẽ bổ sung khi thẩm định.`);
    }
  }
}

/** Saves one area with its own button; the notice counts the criteria saved. */
async function saveArea(page, area, count) {
  await submit(page, `button[name="area"][value="${area}"]`);
  assert.equal(await text(page, '[role="status"]'), `Đã lưu nháp ${count} tiêu chí.`, `area ${area} saved`);
}

before(async () => {
  app = await startApp({ demo: true, users: [OFFICER, LEADER, OTHER_LEADER, APPRAISER, CHAIR] });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await app?.stop();
});

test('the administrator plans a period with one group, two departments and self-assessment open today', async () => {
  const page = pages.admin = await signIn(app, ADMIN);
  await page.goto(app.url + '/quan-tri/ky-danh-gia');
  await page.fill('#p-code', PERIOD);
  await page.fill('#p-name', PERIOD_NAME);
  await page.fill('#p-year', '2026');
  await page.selectOption('#p-previous', '2025');
  await submit(page, 'form[action="/quan-tri/ky-danh-gia"] button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, `/quan-tri/ky-danh-gia/${PERIOD}`);
  assert.equal(await text(page, 'h1'), PERIOD_NAME);

  await page.fill('#g-name', GROUP);
  await page.selectOption('#g-set', 'SO-2026');
  await submit(page, '#nhom form.form button[type="submit"]');
  assert.equal(await text(page, '[role="status"]'), 'Đã lưu nhóm.');
  assert.equal(await text(page, 'table.period-groups tbody th'), GROUP);

  for (const [code, search] of [[UNIT, 'Tư pháp'], [OTHER, 'Y tế']]) {
    await page.fill('#u-q', search);
    await submit(page, 'form[role="search"] button[type="submit"]');
    await page.check(`input[name="unit"][value="${code}"]`);
    await submit(page, 'form[action$="/them-don-vi"] button[type="submit"]');
    assert.equal(await text(page, '[role="status"]'), 'Đã thêm 1 đơn vị.');
  }
  const members = await page.locator('table.period-members tbody th').allTextContents();
  assert.deepEqual(members, [UNIT_NAME, OTHER_NAME]);

  await moveTo('self_assessment', 'Tự đánh giá');
  assert.equal(await page.locator('#tien-do tr.progress-row').count(), 2);
  assert.equal(await text(page, '#tien-do [data-state="not_started"]'), '2');
  await shot(page, 'ky-danh-gia-thiet-lap.png', 'table.period-members');
  await page.locator('#moc').screenshot({ path: SHOTS + 'ky-danh-gia-moc.png' });
});

test('the unit officer finds the task, fills every criterion with live points, uploads evidence and explains the rest', async () => {
  const page = pages.officer = await signIn(app, OFFICER);
  await page.goto(app.url + '/viec-can-lam');
  const task = page.locator(`table.todo a[href="${SELF}"]`);
  assert.equal(await task.count(), 1, 'the to-do list links to the self-assessment');
  assert.equal((await task.textContent()).trim(), `Nhập tự đánh giá của ${UNIT_NAME}`);
  await shot(page, 'viec-can-lam.png', 'table.todo');
  await submit(page, `table.todo a[href="${SELF}"]`);
  assert.equal(new URL(page.url()).pathname, SELF);
  assert.equal(await text(page, '#total-points'), '0,00');

  // The "còn thiếu" bar jumps to the first criterion without a value, its field ready.
  await page.click('.todo-nav a:has-text("Chưa có giá trị")');
  assert.equal(new URL(page.url()).hash, `#leaf-${WITH_EVIDENCE}`);
  assert.equal(await page.evaluate(() => document.activeElement.closest('article').id), `leaf-${WITH_EVIDENCE}`);

  // The evidence first: a real PDF on the first criterion, which then needs no explanation.
  // A value typed in another area before the upload is saved with it, not lost.
  await page.fill('[name="value:2.3"]', ENTRIES[2]['2.3'].value);
  await page.setInputFiles(id(`file-${WITH_EVIDENCE}`), EVIDENCE);
  await submit(page, `button[formaction$="/tieu-chi/${WITH_EVIDENCE}/minh-chung"]`);
  assert.equal(await text(page, '[role="status"]'), 'Đã lưu các giá trị đã nhập và tải lên 1 tệp.');
  assert.equal(await text(page, `${id(`leaf-${WITH_EVIDENCE}`)} .cycle-evidence a`), EVIDENCE.name);
  assert.equal(await page.inputValue('[name="value:2.3"]'), ENTRIES[2]['2.3'].value, 'the typed value survived the upload');
  assert.equal(await text(page, '#total-points'), '1,25');

  // The live preview: points and the total follow what is typed, before anything is saved.
  await page.check(`input[name="value:${WITH_EVIDENCE}"][value="yes"]`);
  await page.waitForFunction(() => document.getElementById('total-points').textContent.trim() === '2,25');
  assert.equal(await text(page, id(`pts-${WITH_EVIDENCE}`)), '1,00');
  await page.fill('[name="num:1.1.2"]', '10');
  await page.fill('[name="den:1.1.2"]', '10');
  await page.waitForFunction(() => document.getElementById('total-points').textContent.trim() === '4,25');
  assert.equal(await text(page, id('pct-1.1.2')), '100,00 %');

  // Criteria that require evidence and have none are flagged until explained.
  assert.match(await text(page, id('leaf-1.2')), /Cần giải trình/);
  assert.doesNotMatch(await text(page, id(`leaf-${WITH_EVIDENCE}`)), /Cần giải trình/);
  for (const [area, entries] of Object.entries(ENTRIES)) {
    await fillArea(page, entries, (code) => code !== WITH_EVIDENCE);
    // 2.3, saved with the upload, changes again here: its explanation is written now.
    await saveArea(page, area, Object.keys(entries).length);
  }
  assert.equal(await text(page, '#total-points'), SELF_TOTAL);
  assert.equal(await text(page, '#total-max'), SELF_MAX);
  assert.equal(await text(page, id('pts-2.2.1')), '1,35');
  assert.match(await text(page, id('why-1.3')), /Không phát sinh → không tính vào điểm tối đa/);
  assert.match(await text(page, '.cycle-panel'), /Đã nhập đủ các tiêu chí/);
  assert.equal(await page.locator('.cycle-leaf .badge.warn').count(), 0, 'every missing document is explained');
  assert.equal(await page.locator('.cycle-submit button').count(), 0, 'only the leader submits');
  await page.goto(app.url + SELF);
  await shot(page, 'tu-danh-gia.png', id(`leaf-${WITH_EVIDENCE}`));
});

test('the leader submits, and the second department does the same', async () => {
  const page = pages.leader = await signIn(app, LEADER);
  await page.goto(app.url + SELF);
  assert.match(await text(page, '.cycle-panel'), /Đã nhập đủ các tiêu chí/);
  await shot(page, 'nop-tu-danh-gia.png', '.cycle-panel');
  await submit(page, '.cycle-submit button[type="submit"]');
  // Submitting is irreversible: the leader was asked to confirm, saying what follows.
  assert.match(page.dialogs.at(-1), /^Nộp bản tự đánh giá\? Sau khi nộp, đơn vị không sửa được nữa/);
  assert.equal(await text(page, '[role="status"]'), 'Đã nộp kết quả tự đánh giá.');
  assert.equal(await text(page, '.cycle-facts strong'), 'Đã nộp');
  assert.equal(await page.locator('form.cycle-values').count(), 0, 'a submitted self-assessment cannot be edited');
  assert.equal(await text(page, '#total-points'), SELF_TOTAL);

  const other = await signIn(app, OTHER_LEADER);
  await other.goto(`${app.url}/ky/${PERIOD}/tu-danh-gia/${OTHER}`);
  for (const [area, entries] of Object.entries(OTHER_ENTRIES)) {
    await fillArea(other, entries, () => true);
    await saveArea(other, area, Object.keys(entries).length);
  }
  assert.equal(await text(other, '#total-points'), OTHER_TOTAL);
  await submit(other, '.cycle-submit button[type="submit"]');
  assert.equal(await text(other, '[role="status"]'), 'Đã nộp kết quả tự đánh giá.');
  await other.context().close();
});

test('in the appraisal window the appraiser adjusts two criteria with comments and asks for an explanation', async () => {
  await moveTo('appraisal', 'Thẩm định');
  const page = pages.appraiser = await signIn(app, APPRAISER);
  await page.goto(`${app.url}/ky/${PERIOD}/tham-dinh`);
  const units = await page.locator('table.review-list tbody th').allTextContents();
  assert.deepEqual(units.map((u) => u.trim()), [UNIT_NAME, OTHER_NAME]);
  assert.equal(await page.locator('table.review-list .state-submitted').count(), 2);
  await submit(page, `table.review-list a[href="${REVIEW}"]`);

  // The unit's evidence downloads as it was uploaded.
  const href = await page.locator(`${id(`tc-${WITH_EVIDENCE}`)} a[href*="/minh-chung/"]`).getAttribute('href');
  const download = await page.request.get(app.url + href);
  assert.equal(download.status(), 200);
  assert.deepEqual(Buffer.from(await download.body()), EVIDENCE.buffer);

  // A changed score without a comment is refused, and nothing is saved.
  await page.fill(id('value-tc-1.1.2'), '9/10');
  await submit(page, `form[action="${REVIEW}/tieu-chi/1.1.2"] button[type="submit"]`);
  assert.equal(await text(page, id('err-tc-1.1.2')),
    'Nhận xét: bắt buộc vì điểm thẩm định 1 khác điểm tự đánh giá 2.');
  assert.equal(await text(page, '.facts div:nth-child(2) dd'), 'Đã nộp');

  for (const [code, value, comment] of ADJUSTMENTS) {
    await page.fill(id(`value-tc-${code}`), value);
    await page.fill(id(`comment-tc-${code}`), comment);
    await submit(page, `form[action="${REVIEW}/tieu-chi/${code}"] button[type="submit"]`);
    assert.equal(await text(page, '[role="status"]'), `Đã lưu điểm thẩm định tiêu chí ${code}.`);
    assert.match(await text(page, `${id(`tc-${code}`)} .side-appraisal`), new RegExp(`Đã điều chỉnh.*${comment}`));
  }
  await page.fill(id(`request-tc-${REQUESTED}`), REQUEST);
  await submit(page, `form[action="${REVIEW}/tieu-chi/${REQUESTED}/giai-trinh"] button[type="submit"]`);
  assert.equal(await text(page, '[role="status"]'), `Đã gửi yêu cầu giải trình tiêu chí ${REQUESTED} tới đơn vị.`);
  assert.equal(await text(page, '.facts div:nth-child(2) dd'), 'Đã yêu cầu giải trình');
  await page.goto(app.url + REVIEW);
  await shot(page, 'tham-dinh.png', id('tc-1.1.2'));

  // The second department, by keyboard: its first criterion confirmed as entered (no comment
  // needed) with Enter, which saves and leaves the next criterion ready for typing.
  await page.goto(`${app.url}/ky/${PERIOD}/tham-dinh/${OTHER}`);
  await page.fill(id('value-tc-1.1.1'), 'có');
  await Promise.all([page.waitForNavigation(), page.press(id('value-tc-1.1.1'), 'Enter')]);
  assert.equal(await text(page, '[role="status"]'), 'Đã lưu điểm thẩm định tiêu chí 1.1.1.');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'value-tc-1.1.2');
  assert.equal(await text(page, '.facts div:nth-child(2) dd'), 'Đang thẩm định');

  // Then the rest of the unit, agreed with as entered, in under 10 actions: open the list,
  // open the unit, press the button and confirm.
  let actions = 0;
  await page.goto(`${app.url}/ky/${PERIOD}/tham-dinh`);
  actions += 1;
  await submit(page, `table.review-list a[href$="/tham-dinh/${OTHER}"]`);
  actions += 1;
  const left = Number(await text(page, '.todo-nav a:has-text("Chưa thẩm định") .badge'));
  assert.ok(left > 10, `${left} criteria left to appraise`);
  await submit(page, 'form.confirm-all button[type="submit"]');
  actions += 2;
  assert.match(page.dialogs.at(-1), new RegExp(`^Ghi điểm thẩm định bằng giá trị đơn vị tự đánh giá cho ${left} tiêu chí`));
  assert.ok(actions < 10, `${actions} actions`);
  assert.equal(await text(page, '[role="status"]'),
    `Đã đồng ý với tự đánh giá ở ${left} tiêu chí; mỗi tiêu chí được ghi vào nhật ký thay đổi.`);
  assert.equal(await page.locator('.todo-nav a:has-text("Chưa thẩm định")').count(), 0, 'nothing left to appraise');
  assert.equal(await page.locator('form.confirm-leaf').count(), 0);

  const admin = pages.admin;
  await admin.goto(`${app.url}/quan-tri/ky-danh-gia/${PERIOD}#tien-do`);
  assert.equal(await text(admin, '#tien-do [data-state="explanation_requested"]'), '1');
  assert.equal(await text(admin, '#tien-do [data-state="under_appraisal"]'), '1');
  await admin.locator('#tien-do').screenshot({ path: SHOTS + 'ky-danh-gia-tien-do.png' });
});

test('in the explanation window the unit answers with a document, and the appraiser re-appraises', async () => {
  await moveTo('explanation', 'Giải trình');
  const page = pages.officer;
  await page.goto(app.url + SELF);
  const request = page.locator('article.cycle-request');
  assert.equal(await request.count(), 1);
  assert.match(await request.textContent(), new RegExp(REQUEST));
  await request.locator('textarea[name="answer"]').fill(ANSWER);
  await request.locator('input[type="file"][name="file"]').setInputFiles(ANSWER_FILE);
  await submit(page, 'article.cycle-request button[type="submit"]');
  assert.equal(await text(page, '[role="status"]'), 'Đã gửi giải trình.');
  assert.match(await text(page, 'article.cycle-request'), new RegExp(ANSWER));
  const files = await page.locator(`${id(`leaf-${REQUESTED}`)} .cycle-evidence a`).allTextContents();
  assert.deepEqual(files, [ANSWER_FILE.name]);

  await moveTo('explanation_closed', 'Thẩm định lại sau giải trình');
  const appraiser = pages.appraiser;
  await appraiser.goto(app.url + REVIEW);
  assert.match(await text(appraiser, id(`tc-${REQUESTED}`)), new RegExp(ANSWER));
  assert.equal(await appraiser.locator(`form[action="${REVIEW}/tieu-chi/1.1.2"]`).count(), 0,
    'only the answered criterion may be re-appraised');
  await appraiser.fill(id(`value-tc-${REQUESTED}`), REAPPRAISED[0]);
  await appraiser.fill(id(`comment-tc-${REQUESTED}`), REAPPRAISED[1]);
  await submit(appraiser, `form[action="${REVIEW}/tieu-chi/${REQUESTED}"] button[type="submit"]`);
  assert.equal(await text(appraiser, '[role="status"]'), `Đã lưu điểm thẩm định tiêu chí ${REQUESTED}.`);
  assert.match(await text(appraiser, `${id(`tc-${REQUESTED}`)} .side-appraisal`), new RegExp(REAPPRAISED[1]));
});

test('the council chair approves, and the results, comparison and change log show the outcome', async () => {
  const chair = await signIn(app, CHAIR);
  // Before the approval milestone the page says why instead of offering the button.
  await chair.goto(`${app.url}/ky/${PERIOD}/phe-duyet`);
  assert.equal(await text(chair, '#approve .approval-blocked'), 'Chưa đến thời gian phê duyệt.');
  assert.equal(await chair.locator('form[action$="/phe-duyet"]').count(), 0);
  assert.equal(await chair.locator('table.review-approval .state-finalised').count(), 0);

  await moveTo('approval', 'Phê duyệt');
  await chair.goto(`${app.url}/ky/${PERIOD}/phe-duyet`);
  // Survey and monitoring-data criteria have no points yet: approving as it is needs a reason
  // for each, and without them the approval is refused, listing them.
  const gaps = chair.locator('textarea.gap-reason');
  assert.ok(await gaps.count() > 0, 'the survey and data criteria are listed');
  await submit(chair, 'form[action$="/phe-duyet"] button[type="submit"]');
  assert.match(await text(chair, '[role="alert"]'), /^Chưa thể phê duyệt: còn \d+ tiêu chí/);
  assert.equal(await chair.locator('table.review-approval .state-finalised').count(), 0);
  for (const g of await gaps.all()) await g.fill('Chưa tổ chức điều tra xã hội học trong đợt thử');
  await shot(chair, 'phe-duyet.png', 'form[action$="/phe-duyet"]');
  await submit(chair, 'form[action$="/phe-duyet"] button[type="submit"]');
  assert.match(await text(chair, '[role="status"]'), /^Đã phê duyệt kết quả thẩm định \(2 đơn vị/);
  assert.equal(await chair.locator('table.review-approval .state-finalised').count(), 2);

  // The ranking: the Department of Justice first with its appraised total.
  await chair.goto(`${app.url}/ky/${PERIOD}`);
  const row = (await text(chair, `tr:has(a[href$="/don-vi/${UNIT}"])`));
  assert.match(row, new RegExp(`^1/2 ${UNIT} ${UNIT_NAME}.* ${OFFICIAL_TOTAL} 98,50 ${OFFICIAL_INDEX} Yếu`));
  assert.match(await text(chair, `tr:has(a[href$="/don-vi/${OTHER}"])`), new RegExp(`^2/2 ${OTHER} ${OTHER_NAME} ${OTHER_TOTAL}`));
  await shot(chair, 'ket-qua-sau-phe-duyet.png');

  // The comparison: exactly the two adjusted criteria differ, each with its reason.
  const appraiser = pages.appraiser;
  await appraiser.goto(app.url + REVIEW + '/so-sanh');
  const changed = await appraiser.locator('table.review-diff tbody tr.diff-changed th code').allTextContents();
  assert.deepEqual(changed, ['1.1.2', '2.3']);
  assert.match(await text(appraiser, 'table.review-diff tr.diff-changed:has(code:text-is("1.1.2"))'),
    new RegExp(`2,00 1,00 -1,00 ${ADJUSTMENTS[0][2]}`));
  assert.match(await text(appraiser, 'table.review-diff tr.diff-changed:has(code:text-is("2.3"))'),
    new RegExp(`1,25 1,00 -0,25 ${REAPPRAISED[1]}`));
  await shot(appraiser, 'so-sanh.png', 'table.review-diff >> nth=1');

  // The change log of the criterion: the adjustment, the request, the answer, the re-appraisal.
  await appraiser.goto(`${app.url}/ky/${PERIOD}/nhat-ky/${UNIT}?tieu-chi=${REQUESTED}`);
  const log = await text(appraiser, 'table.review-log');
  for (const reason of [ADJUSTMENTS[1][2], REQUEST, ANSWER, REAPPRAISED[1]]) assert.match(log, new RegExp(reason));
  const entry = appraiser.locator('table.review-log tbody tr', { hasText: REAPPRAISED[1] })
    .filter({ hasText: APPRAISER.login });
  assert.equal(await entry.count(), 1, 'the re-appraisal is one entry');
  const points = entry.locator('.log-changes li', { hasText: 'Điểm:' });
  assert.equal(await text(points, '.log-old'), '0,75');
  assert.equal(await text(points, '.log-new'), '1');
  await shot(appraiser, 'nhat-ky.png', 'table.review-log');

  const admin = pages.admin;
  await admin.goto(`${app.url}/quan-tri/ky-danh-gia/${PERIOD}#tien-do`);
  assert.equal(await text(admin, '#tien-do [data-state="finalised"]'), '2');
});

/** Yesterday in Vietnam, dd/mm/yyyy: a decision date the server accepts whatever the day. */
function yesterday() {
  const d = new Date(Date.now() + 7 * 3600 * 1000 - 24 * 3600 * 1000);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

test('the administrator publishes the approved results by decision, then corrects them', async () => {
  const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  const visitor = await context.newPage();
  // Approved is not published: the public is told so.
  const before = await visitor.goto(`${app.url}/ky/${PERIOD}`);
  assert.equal(before.status(), 404);
  assert.match(await text(visitor, 'main'), /chưa được công bố/);

  const admin = pages.admin;
  const DECISION = '123/QĐ-UBND';
  const day = yesterday();
  await admin.goto(`${app.url}/quan-tri/ky-danh-gia/${PERIOD}#cong-bo`);
  await admin.fill('#pub-decision', DECISION);
  await admin.fill('#pub-date', day);
  await admin.check('form.publish input[name="xac-nhan"]');
  await admin.locator('#cong-bo').screenshot({ path: SHOTS + 'cong-bo.png' });
  await submit(admin, 'form.publish button[type="submit"]');
  assert.equal(await text(admin, '[role="status"]'), 'Đã công bố kết quả (phiên bản 1).');

  await visitor.goto(`${app.url}/ky/${PERIOD}`);
  assert.match(await text(visitor, '.facts'), new RegExp(`Quyết định số ${DECISION} ngày ${day}`));
  assert.match(await text(visitor, `tr:has(a[href$="/don-vi/${UNIT}"])`), new RegExp(`^1/2 ${UNIT} ${UNIT_NAME}`));

  // A correction: the period reopens, the published version stays public, version 2 follows.
  await admin.goto(`${app.url}/quan-tri/ky-danh-gia/${PERIOD}#cong-bo`);
  await admin.fill('#cor-reason', 'Sai tên quyết định trong báo cáo');
  await admin.check('form.correction input[name="xac-nhan"]');
  await submit(admin, 'form.correction button[type="submit"]');
  assert.match(await text(admin, '[role="status"]'), /^Đã mở đính chính/);
  await admin.fill('#pub-decision', '140/QĐ-UBND');
  await admin.fill('#pub-date', day);
  await admin.fill('#pub-reason', 'Đính chính số quyết định công bố');
  await admin.check('form.publish input[name="xac-nhan"]');
  await admin.locator('#cong-bo').screenshot({ path: SHOTS + 'dinh-chinh.png' });
  await submit(admin, 'form.publish button[type="submit"]');
  assert.equal(await text(admin, '[role="status"]'), 'Đã công bố kết quả (phiên bản 2).');

  await visitor.goto(`${app.url}/ky/${PERIOD}`);
  assert.match(await text(visitor, 'main'), /Đã đính chính \(phiên bản 2\): Đính chính số quyết định công bố/);
  await visitor.click(`nav.versions a[href$="?phien-ban=1"]`);
  assert.match(await text(visitor, 'main'), /Đây là phiên bản 1, đã được đính chính bằng phiên bản 2\./);
  await shot(visitor, 'ket-qua-dinh-chinh.png', 'nav.versions');
  await context.close();
});
