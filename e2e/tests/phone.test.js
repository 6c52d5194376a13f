// Every page on a phone, on the demo province: each person of the demo (the administrator, the
// council chair, an appraiser, a unit officer, a unit leader, an observer) and a visitor who is
// not signed in follow every link of the pages they can reach, one page of each kind, at the
// width of a 390 px phone (and of a 320 px one); no page may scroll sideways (wide tables
// scroll inside their own frame). Then the period in progress moves on to its appraisal
// window, with forms to fill, a closed and a withdrawn unit, and the pages are visited again.
// On a 1366 px desktop, the cells of every "Thao tác" (actions) column stay within the window
// and within their table's frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startApp, signIn, ADMIN, SHOTS } from './support.js';

const PASSWORD = 'mat-khau-thu-nghiem-2024';
const CHAIR = { login: 'chutich', name: 'Võ Thanh Sơn', password: PASSWORD, grants: [['council-chair']] };
const APPRAISER = { login: 'thamdinh', name: 'Lê Quang Huy', password: PASSWORD,
  grants: [['appraiser', '--unit', 'STP', '--unit', 'SYT']] };
const OFFICER = { login: 'canbo.stp', name: 'Nguyễn Thị Hạnh', password: PASSWORD,
  grants: [['unit-officer', '--unit', 'STP']] };
const LEADER = { login: 'lanhdao.stp', name: 'Trần Văn Minh', password: PASSWORD,
  grants: [['unit-leader', '--unit', 'STP']] };
const OBSERVER = { login: 'theodoi', name: 'Đỗ Thị Mai', password: PASSWORD, grants: [['observer']] };

const PHONE = { width: 390, height: 844 };
const NARROW = { width: 320, height: 844 };
const DESKTOP = { width: 1366, height: 768 };

/** The words of the site's addresses; any other segment is a code (of a period, unit, set, node, person …). */
const WORDS = new Set(['ky', 'don-vi', 'tieu-chi', 'tham-dinh', 'so-sanh', 'phe-duyet', 'nhat-ky', 'tu-danh-gia',
  'diem-khao-sat-so-lieu', 'quan-tri', 'nguoi-dung', 'vai-tro', 'khoa-api', 'ky-danh-gia', 'bo-chi-so', 'them',
  'nhap-tep', 'sap-nhap-chia-tach', 'viec-can-lam', 'tai-khoan', 'mat-khau', 'dang-nhap', 'giai-trinh', 'xem-truoc',
  'phuong-phap', 'phan-tich', 'gia-dinh']);

/** The periods whose pages are visited: the last published one and the one in progress. */
const PERIODS = ['2025', '2026'];

/**
 * Pages of one kind are told apart by their path with every code replaced by `*`, except the
 * period's: each kind of page is seen for a published period and for one in progress.
 */
function kind(path) {
  const parts = path.split('/');
  const period = (i) => (i === 2 && parts[1] === 'ky') || (i === 3 && parts[2] === 'ky-danh-gia');
  return parts.map((s, i) => (s === '' || WORDS.has(s) || period(i) ? s : '*')).join('/');
}

/** The kind of page with the period's code replaced too, as `MUST_REACH` names them. */
function shape(path) {
  return kind(path).replace(/^\/(ky|quan-tri\/ky-danh-gia)\/[^/]+/, '/$1/*');
}

/**
 * Links that are not pages to look at: signing out, the language switch, files (decisions,
 * evidence, index set downloads, exports) and the API.
 */
function skipped(url) {
  const period = url.pathname.match(/^\/(?:ky|quan-tri\/ky-danh-gia)\/([^/]+)/);
  return (period && !PERIODS.includes(period[1])) || url.pathname.startsWith('/api/') || url.pathname.startsWith('/static/')
    || url.pathname === '/dang-xuat' || url.searchParams.has('lang')
    || /\/(tai-xuong|quyet-dinh|minh-chung)(\/|$)|\.(csv|xlsx|pdf|json)$/.test(url.pathname);
}

/**
 * What sticks out of the window on the page now shown: for each element whose right edge is
 * past the window while its parent's is not (the one that pushes the page wider), its tag,
 * id and classes, its width and a little of its text. Elements inside a frame that scrolls or
 * clips on its own do not widen the page and are left out.
 */
async function overflow(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const clips = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
    const name = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '')
      + [...el.classList].map((c) => `.${c}`).join('');
    const culprits = [];
    // Whether a frame that scrolls or clips on its own holds `el`: the chain of containing
    // blocks is followed, so that an absolutely placed element escaping a frame counts.
    const held = (el) => {
      let position = getComputedStyle(el).position;
      if (position === 'fixed') return true;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const style = getComputedStyle(a);
        if (position === 'absolute' && style.position === 'static') continue;
        if (clips(a)) return true;
        position = style.position;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.right <= width + 0.5 || held(el)) continue;
      const parent = el.parentElement;
      if (parent !== document.body && parent.getBoundingClientRect().right > width + 0.5 && !held(parent)
        && getComputedStyle(el).position !== 'absolute') continue;
      const text = (el.textContent || el.value || '').replace(/\s+/g, ' ').trim().slice(0, 40);
      culprits.push({ el: name(el), width: Math.round(box.width), right: Math.round(box.right), text });
    }
    culprits.sort((a, b) => b.right - a.right);
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: width,
      culprits: culprits.slice(0, 3),
    };
  });
}

/**
 * Visits, at the phone's width, every page `page` can reach by links from `start`, one page of
 * each kind (see [`kind`]), and returns the paths visited and the pages that scroll sideways.
 */
async function crawl(app, page, start) {
  const origin = new URL(app.url).origin;
  const queue = start.map((p) => new URL(p, app.url).href);
  const seen = new Set(queue.map((u) => kind(new URL(u).pathname)));
  const visited = [];
  const wide = [];
  while (queue.length > 0) {
    const href = queue.shift();
    const res = await page.goto(href);
    const path = new URL(href).pathname + new URL(href).search;
    visited.push({ path, status: res.status() });
    if (res.status() >= 400 || !(res.headers()['content-type'] || '').startsWith('text/html')) continue;
    // The phone of the issue, then the narrowest one the stylesheet is made for.
    for (const width of [PHONE.width, NARROW.width]) {
      await page.setViewportSize({ ...PHONE, width });
      const o = await overflow(page);
      if (o.scrollWidth > o.innerWidth) {
        wide.push(`${path} is ${o.scrollWidth} px wide at ${o.innerWidth} px; widest: `
          + (o.culprits.map((c) => `${c.el} (${c.width} px, right edge ${c.right} px, "${c.text}")`).join('; ')
            || 'none found'));
      }
    }
    await page.setViewportSize(PHONE);
    const links = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
    for (const link of links) {
      const url = new URL(link);
      url.hash = '';
      if (url.origin !== origin || skipped(url)) continue;
      const k = kind(url.pathname);
      if (seen.has(k)) continue;
      seen.add(k);
      queue.push(url.href);
    }
  }
  return { visited, wide };
}

let app;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startApp({ demo: true, users: [CHAIR, APPRAISER, OFFICER, LEADER, OBSERVER] });
});

after(async () => {
  await app?.stop();
});

/** Paths (kinds) that a person's crawl must have reached, so that a lost link fails the test. */
const MUST_REACH = {
  visitor: ['/', '/ky/*', '/ky/*/don-vi/*', '/ky/*/phuong-phap', '/dang-nhap'],
  admin: ['/quan-tri/nguoi-dung', '/quan-tri/nguoi-dung/*/vai-tro', '/quan-tri/nguoi-dung/*/khoa-api',
    '/quan-tri/ky-danh-gia', '/quan-tri/ky-danh-gia/*', '/quan-tri/bo-chi-so', '/quan-tri/bo-chi-so/*',
    '/quan-tri/bo-chi-so/*/tieu-chi/*', '/quan-tri/don-vi', '/quan-tri/don-vi/*', '/quan-tri/don-vi/them',
    '/quan-tri/don-vi/nhap-tep', '/quan-tri/don-vi/sap-nhap-chia-tach', '/viec-can-lam', '/tai-khoan/mat-khau',
    '/tai-khoan/khoa-api', '/ky/*/tu-danh-gia/*', '/ky/*/tham-dinh', '/ky/*/tham-dinh/*',
    '/ky/*/tham-dinh/*/so-sanh', '/ky/*/nhat-ky/*', '/ky/*/phe-duyet', '/ky/*/diem-khao-sat-so-lieu'],
  chair: ['/viec-can-lam', '/ky/*/phe-duyet', '/ky/*/tham-dinh', '/ky/*/tham-dinh/*', '/tai-khoan/mat-khau'],
  appraiser: ['/viec-can-lam', '/ky/*/tham-dinh', '/ky/*/tham-dinh/*', '/ky/*/tham-dinh/*/so-sanh',
    '/ky/*/nhat-ky/*', '/tai-khoan/mat-khau'],
  officer: ['/viec-can-lam', '/ky/*/tu-danh-gia/*', '/tai-khoan/mat-khau'],
  leader: ['/viec-can-lam', '/ky/*/tu-danh-gia/*', '/tai-khoan/mat-khau'],
  observer: ['/viec-can-lam', '/tai-khoan/mat-khau'],
};

/**
 * Where each person starts: the home page, the to-do list, the account pages, and the pages of
 * the assessment of the published period and of the one in progress.
 */
const START = ['/', '/viec-can-lam', '/tai-khoan/mat-khau', '/tai-khoan/khoa-api',
  ...PERIODS.flatMap((p) => [`/quan-tri/ky-danh-gia/${p}`, `/ky/${p}/tham-dinh`, `/ky/${p}/phe-duyet`, `/ky/${p}/diem-khao-sat-so-lieu`])];

for (const [who, user] of [['admin', ADMIN], ['chair', CHAIR], ['appraiser', APPRAISER], ['officer', OFFICER],
  ['leader', LEADER], ['observer', OBSERVER], ['visitor', null]]) {
  test(`no page reachable by the ${who} scrolls sideways on a 390 px phone`, async () => {
    let page;
    if (user) {
      page = await signIn(app, user, { viewport: PHONE });
    } else {
      const context = await app.browser.newContext({ viewport: PHONE, locale: 'vi-VN' });
      page = await context.newPage();
    }
    const { visited, wide } = await crawl(app, page, user ? START : ['/', '/dang-nhap']);
    if (process.env.PHONE_VERBOSE) console.log(who, visited.map((v) => `${v.status} ${v.path}`).join("\n"));
    await page.context().close();
    const kinds = new Set(visited.filter((v) => v.status < 400).map((v) => shape(v.path.split('?')[0])));
    const missing = MUST_REACH[who].filter((k) => !kinds.has(k));
    assert.deepEqual(missing, [], `the ${who} reached ${[...kinds].join(', ')}`);
    assert.deepEqual(wide, [], `pages wider than the phone for the ${who}`);
  });
}

test('no cell of a "Thao tác" column is cut off on a 1366 px desktop', async () => {
  const page = await signIn(app, ADMIN, { viewport: DESKTOP });
  const pages = ['/quan-tri/nguoi-dung', '/tai-khoan/khoa-api', `/quan-tri/nguoi-dung/${CHAIR.login}/khoa-api`];
  await page.goto(app.url + '/quan-tri/ky-danh-gia');
  const setup = await page.$$eval('main table a[href^="/quan-tri/ky-danh-gia/"]', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(setup.length > 0, 'the periods list links to a period page');
  pages.push(...setup.slice(0, 2));
  let checked = 0;
  for (const path of pages) {
    await page.goto(app.url + path);
    const cells = await page.evaluate(() => {
      const out = [];
      for (const table of document.querySelectorAll('table')) {
        const heads = [...table.querySelectorAll('thead th')];
        const col = heads.findIndex((th) => th.textContent.trim() === 'Thao tác');
        if (col < 0) continue;
        let frame = table.parentElement;
        while (frame && frame !== document.body && getComputedStyle(frame).overflowX === 'visible') {
          frame = frame.parentElement;
        }
        const limit = Math.min(window.innerWidth, frame.getBoundingClientRect().right);
        for (const row of table.querySelectorAll('tbody tr')) {
          const cell = row.children[col];
          if (!cell) continue;
          // The cell and what shows in it (a closed disclosure's form does not).
          const shown = [...cell.querySelectorAll('*')].filter((e) => e.checkVisibility());
          const right = Math.max(cell.getBoundingClientRect().right,
            ...shown.map((e) => e.getBoundingClientRect().right));
          out.push({ right: Math.round(right), limit: Math.round(limit), row: row.children[0].textContent.trim().slice(0, 30) });
        }
      }
      return out;
    });
    checked += cells.length;
    const cut = cells.filter((c) => c.right > c.limit + 0.5);
    assert.deepEqual(cut, [], `"Thao tác" cells cut off on ${path}`);
  }
  assert.ok(checked > 0, 'some "Thao tác" column was checked');
  await page.context().close();
});

test('a new API key, shown once, and the list of keys fit a 390 px phone', async () => {
  const page = await signIn(app, OFFICER, { viewport: PHONE });
  await page.goto(app.url + '/tai-khoan/khoa-api');
  await page.fill('#name', 'Báo cáo tổng hợp của Sở Tư pháp gửi Văn phòng UBND tỉnh');
  await Promise.all([page.waitForNavigation(), page.click('form.form button[type="submit"]')]);
  assert.ok(await page.inputValue('#secret'), 'the new key is shown');
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.innerWidth,
    `the page of API keys is ${o.scrollWidth} px wide; widest: ${JSON.stringify(o.culprits)}`);
  await page.context().close();
});

/** dd/mm/yyyy of today + `days` in Vietnam (UTC+7). */
function vnDay(days) {
  const d = new Date(Date.now() + 7 * 3600_000 + days * 86_400_000);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

test('in the appraisal window the appraisal forms, a closed and a withdrawn unit fit a 390 px phone', async () => {
  // On a desktop the administrator moves the period in progress on to its appraisal window,
  // withdraws the Department of Health and closes the unsubmitted Department of Justice.
  const admin = await signIn(app, ADMIN, { viewport: DESKTOP });
  const submit = (selector) => Promise.all([admin.waitForNavigation(), admin.click(selector)]);
  await admin.goto(`${app.url}/quan-tri/ky-danh-gia/2026#moc`);
  const plan = { self_open: -20, self_close: -10, appraisal_open: -5, appraisal_close: 5, explanation_open: 6,
    explanation_close: 10, approval: 15, publication: 60 };
  for (const [name, days] of Object.entries(plan)) {
    await admin.fill(`[id="ms-${name}"]`, vnDay(days));
  }
  await submit('form[action$="/moc"] button[type="submit"]');
  assert.equal((await admin.textContent('dd.phase')).trim(), 'Thẩm định');
  await admin.click('table.period-members tr:has(form[action$="/don-vi/SYT/xoa"]) summary');
  const withdraw = admin.locator('form[action$="/don-vi/SYT/xoa"]');
  await withdraw.locator('input[name="reason"]').fill('Sáp nhập vào Sở Nội vụ từ 01/01/2026 theo Nghị quyết của HĐND tỉnh');
  await withdraw.locator('input[name="xac-nhan"]').check();
  await submit('form[action$="/don-vi/SYT/xoa"] button[type="submit"]');
  const row = admin.locator('tr.progress-row[data-unit="STP"]');
  await row.locator('summary').click();
  await row.locator('input[name="reason"]').fill('Đã nhắc hai lần bằng công văn');
  await row.locator('input[name="xac-nhan"]').check();
  await submit('tr.progress-row[data-unit="STP"] form button[type="submit"]');
  assert.equal((await admin.textContent('tr.progress-row[data-unit="STP"] .state')).trim(), 'Hết hạn, không nộp');
  await admin.context().close();

  const wide = [];
  for (const user of [ADMIN, APPRAISER, OFFICER]) {
    const page = await signIn(app, user, { viewport: PHONE });
    const found = await crawl(app, page, START);
    wide.push(...found.wide);
    if (user === APPRAISER) {
      await page.goto(`${app.url}/ky/2026/tham-dinh/STP`);
      assert.ok(await page.locator('form.review-form').count() > 0, 'the appraiser sees the appraisal forms');
      await page.locator('article.review-leaf').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: SHOTS + 'dien-thoai-tham-dinh.png' });
      const o = await overflow(page);
      assert.ok(o.scrollWidth <= o.innerWidth,
        `/ky/2026/tham-dinh/STP is ${o.scrollWidth} px wide; widest: ${JSON.stringify(o.culprits)}`);
    }
    await page.context().close();
  }
  assert.deepEqual(wide, [], 'pages wider than the phone in the appraisal window');
});
