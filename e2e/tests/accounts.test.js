// An administrator signs in through the form, sees the user administration, and signs out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, ADMIN } from './support.js';

let app;
let page;

before(async () => {
  app = await startApp();
  page = await app.browser.newPage();
});

after(async () => {
  await app?.stop();
});

test('a wrong password is refused with a message that does not say which part was wrong', async () => {
  await page.goto(app.url + '/dang-nhap');
  await page.fill('#login', ADMIN.login);
  await page.fill('#password', 'khong-dung-mat-khau');
  await page.click('form[action="/dang-nhap"] button[type="submit"]');
  const alert = await page.textContent('[role="alert"]');
  assert.match(alert, /Tên đăng nhập hoặc mật khẩu không đúng/);
});

test('the administrator signs in, manages users and signs out', async () => {
  await page.goto(app.url + '/dang-nhap');
  await page.fill('#login', ADMIN.login);
  await page.fill('#password', ADMIN.password);
  await page.click('form[action="/dang-nhap"] button[type="submit"]');
  await page.waitForLoadState('load');
  assert.match(await page.textContent('header'), new RegExp(ADMIN.name));

  await page.goto(app.url + '/quan-tri/nguoi-dung');
  assert.match(await page.textContent('main'), new RegExp(ADMIN.login));

  await page.click('form[action="/dang-xuat"] button');
  await page.waitForLoadState('load');
  assert.doesNotMatch(await page.textContent('header'), new RegExp(ADMIN.name));
  const res = await page.goto(app.url + '/quan-tri/nguoi-dung');
  assert.ok(page.url().includes('/dang-nhap'), `signed-out visitor is sent to sign in (${res.status()})`);
});
