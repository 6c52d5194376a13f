// The demo province's survey of the period in progress: the administrator reads the sample and
// the points, opens the answers behind one number, issues a personal link; a respondent opens it
// on a 390 px phone without signing in, answers with the "same answer for all" helper, saves,
// comes back to find the answers, and sends the questionnaire once; the page never scrolls
// sideways. The administrator then sees the response counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp, signIn, ADMIN, SHOTS } from './support.js';

const LIST = '/ky/2026/dieu-tra';
const SURVEY = `${LIST}/XHH-2026`;
const PHONE = { width: 390, height: 844 };

let app;
let admin;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startApp({ demo: true });
  admin = await signIn(app, ADMIN);
});

after(async () => {
  await app?.stop();
});

/** Responses counted for the first respondent group on the survey page. */
async function collected() {
  await admin.goto(app.url + SURVEY);
  return admin.locator('table.survey-sample tbody tr').first().locator('td').nth(3).innerText();
}

test('the administrator follows the sample and opens the answers behind a number', async () => {
  await admin.goto(app.url + LIST);
  await admin.click(`a[href="${SURVEY}"] >> nth=0`);
  await admin.waitForURL((u) => u.pathname === SURVEY);
  assert.match(await admin.locator('h1').innerText(), /Điều tra xã hội học/);
  // The last unit of each group has fewer answers than the minimum and awaits a decision.
  assert.ok(await admin.locator('table.survey-points .flag').count() > 0);
  await admin.screenshot({ path: `${SHOTS}survey.png`, fullPage: false });
  await Promise.all([admin.waitForNavigation(), admin.click('table.survey-points tbody a >> nth=0')]);
  assert.match(await admin.locator('h1').innerText(), /tiêu chí/);
  assert.ok(await admin.locator('table.survey-breakdown').count() > 0);
});

test('a respondent answers on a phone, saves, comes back and sends once', async () => {
  const before = await collected();
  await admin.check('input[name="kind"][value="personal"]');
  await admin.fill('#link-count', '1');
  await admin.fill('#link-label', 'Phiếu thử');
  await Promise.all([admin.waitForNavigation(), admin.click('form[action$="/duong-dan"] button[type="submit"]')]);
  const link = await admin.locator('a.link-address').first().getAttribute('href');
  assert.match(link, /\/phieu\/[0-9a-f]+$/);

  const context = await app.browser.newContext({ viewport: PHONE, locale: 'vi-VN', isMobile: true, hasTouch: true });
  const phone = await context.newPage();
  await phone.goto(link);
  const question = phone.locator('fieldset.q-question').first();
  // "Same answer for all" ticks B for every unit of the first question.
  await question.locator('[data-choose="B"]').click();
  const radios = question.locator('input[type="radio"][value="B"]');
  const units = await radios.count();
  assert.ok(units > 1);
  for (let i = 0; i < units; i += 1) {
    assert.equal(await radios.nth(i).isChecked(), true);
  }
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `the questionnaire scrolls sideways by ${wide}px`);
  await phone.screenshot({ path: `${SHOTS}survey-phone.png`, fullPage: false });
  await Promise.all([phone.waitForNavigation(), phone.click('button[value="save"]')]);
  assert.match(await phone.locator('[role="status"]').innerText(), /Đã lưu/);

  // Coming back: the answers are there.
  await phone.goto(link);
  assert.equal(await phone.locator('fieldset.q-question').first().locator('input[value="B"]').first().isChecked(), true);
  await Promise.all([phone.waitForNavigation(), phone.click('button[value="send"]')]);
  assert.match(await phone.locator('main').innerText(), /Xin cảm ơn/);
  assert.equal(await phone.locator('button[value="send"]').count(), 0, 'sent once only');
  await context.close();

  const after = await collected();
  assert.equal(Number(after.replace(/\./g, '')), Number(before.replace(/\./g, '')) + 1);
});
