// Every page on a phone, on the demo province: each person of the demo (the administrator, the
// council chair, an appraiser, a unit officer, a unit leader, an observer) and a visitor who is
// not signed in follow every link of the pages they can reach, one page of each kind, at the
// width of a 390 px phone; no page may scroll sideways (wide tables scroll inside their own
// frame). On a 1366 px desktop, the cells of every "Thao tác" (actions) column stay within the
// window and within their table's frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, signIn, ADMIN } from './support.js';

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
const DESKTOP = { width: 1366, height: 768 };

/** The words of the site's addresses; any other segment is a code (of a period, unit, set, node, person …). */
const WORDS = new Set(['ky', 'don-vi', 'tieu-chi', 'tham-dinh', 'so-sanh', 'phe-duyet', 'nhat-ky', 'tu-danh-gia',
  'diem-khao-sat-so-lieu', 'quan-tri', 'nguoi-dung', 'vai-tro', 'khoa-api', 'ky-danh-gia', 'bo-chi-so', 'them',
  'nhap-tep', 'sap-nhap-chia-tach', 'viec-can-lam', 'tai-khoan', 'mat-khau', 'dang-nhap', 'giai-trinh', 'xem-truoc']);

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
    const o = await overflow(page);
    if (o.scrollWidth > o.innerWidth) {
      wide.push(`${path} is ${o.scrollWidth} px wide at ${o.innerWidth} px; widest: `
        + (o.culprits.map((c) => `${c.el} (${c.width} px, right edge ${c.right} px, "${c.text}")`).join('; ')
          || 'none found'));
    }
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
  app = await startApp({ demo: true, users: [CHAIR, APPRAISER, OFFICER, LEADER, OBSERVER] });
});

after(async () => {
  await app?.stop();
});

/** Paths (kinds) that a person's crawl must have reached, so that a lost link fails the test. */
const MUST_REACH = {
  visitor: ['/', '/ky/*', '/ky/*/don-vi/*', '/dang-nhap'],
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
