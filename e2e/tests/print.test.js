// Printing the ranking of the demo province: chromium prints /ky/2024 to an A4 PDF, which
// pdftotext reads back. The first page must hold the first rows of the ranking (not an
// almost empty page with the table pushed to the next), the navigation must be left out,
// the column headings must repeat on every page the table runs over, and in print the class
// labels must stay readable without colour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from './support.js';

let app;
let dir;

before(async () => {
  app = await startApp();
  dir = mkdtempSync(join(tmpdir(), 'chiso-print-'));
});

after(async () => {
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The text of each page of `pdf` (a Buffer), whitespace collapsed. */
function pdfPages(pdf) {
  const file = join(dir, 'ranking.pdf');
  writeFileSync(file, pdf);
  const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  return text.split('\f').map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
}

/** The first `n` rows of the page's first ranking table: name, index, class, as shown. */
async function firstRows(page, n) {
  return page.$$eval('table.ranking tbody tr', (trs, n) => trs.slice(0, n).map((tr) => ({
    name: tr.querySelector('th[scope="row"] a').textContent.trim(),
    code: tr.querySelector('code').textContent.trim(),
    index: tr.querySelector('td.num.strong').childNodes[0].textContent.trim(),
    class: tr.querySelector('.class-tag').textContent.trim(),
  })), n);
}

test('the printed 2024 ranking starts on page 1 with its first rows and without navigation', async () => {
  const page = await app.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  await page.goto(app.url + '/ky/2024');
  const rows = await firstRows(page, 3);
  assert.equal(rows.length, 3, 'the ranking has rows');
  for (const r of rows) {
    assert.match(r.index, /^\d{1,3},\d{2}$/, `index in the Vietnamese format: ${r.index}`);
  }
  const nav = (await page.textContent('nav.site-nav')).replace(/\s+/g, ' ').trim();
  const pages = pdfPages(await page.pdf({ format: 'A4', printBackground: true }));
  assert.ok(pages.length >= 2, `the ranking of the demo runs over several pages (${pages.length})`);
  const first = pages[0];
  for (const r of rows) {
    // A long name wraps in its cell, so its words are looked for one by one.
    for (const word of r.name.split(' ')) {
      assert.ok(first.includes(word), `page 1 holds "${r.name}" (${word}):\n${first}`);
    }
    assert.ok(first.includes(`${r.code} `), `page 1 holds ${r.code}:\n${first}`);
    assert.ok(first.includes(r.index), `page 1 holds ${r.index}:\n${first}`);
    assert.ok(first.includes(r.class), `page 1 holds the class "${r.class}":\n${first}`);
  }
  // The table fits the page's width: its last column is printed, not cut at the margin.
  assert.equal(first.split('Tăng/giảm').length - 1, 2, `both changes' headings are printed:\n${first}`);
  const all = pages.join('\n');
  for (const word of ['Đăng nhập', 'English', 'Tìm đơn vị', 'Tải kết quả']) {
    assert.ok(!all.includes(word), `"${word}" (navigation, forms, downloads) is not printed`);
  }
  assert.ok(nav.includes('Đăng nhập'), 'the screen shows the navigation the print leaves out');
  // Every page a ranking runs over repeats the column headings.
  const names = await page.$$eval('table.ranking tbody th[scope="row"] a', (as) => as.map((a) => a.textContent.trim()));
  const withRows = pages.filter((p) => names.some((n) => p.includes(n)));
  assert.ok(withRows.length >= 2, `the rows fill several pages (${withRows.length})`);
  for (const [i, p] of withRows.entries()) {
    assert.ok(p.includes('Tổng điểm') && p.includes('Xếp loại'), `the headings repeat on page ${i + 1} with rows:\n${p}`);
  }
  await page.close();
});

test('in print the navigation is not displayed and class labels are dark text in a frame', async () => {
  const page = await app.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  await page.goto(app.url + '/ky/2024');
  const screen = await page.$eval('.class-tag', (el) => getComputedStyle(el).backgroundColor);
  await page.emulateMedia({ media: 'print' });
  const hidden = await page.$$eval('nav.site-nav, .lang-switch, .skip-link, form.ranking-search, .downloads, nav.breadcrumb',
    (els) => els.map((el) => [el.className, getComputedStyle(el).display]));
  assert.ok(hidden.length >= 5, 'the page has these parts on screen');
  for (const [name, display] of hidden) {
    assert.equal(display, 'none', `${name} is not printed`);
  }
  const tags = await page.$$eval('.class-tag', (els) => els.map((el) => {
    const s = getComputedStyle(el);
    const [r, g, b] = s.color.match(/\d+/g).map(Number);
    return { text: el.textContent.trim(), color: s.color, luminance: (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255,
      border: parseFloat(s.borderTopWidth), borderStyle: s.borderTopStyle, background: s.backgroundColor };
  }));
  assert.ok(tags.length > 10, 'class labels are shown');
  assert.notEqual(screen, 'rgba(0, 0, 0, 0)', 'on screen the class is a coloured tag');
  for (const t of tags) {
    assert.ok(t.luminance < 0.25, `"${t.text}" is dark text in print (${t.color})`);
    assert.ok(t.border > 0 && t.borderStyle !== 'none', `"${t.text}" has a visible frame in print`);
  }
  const thead = await page.$eval('table.ranking thead', (el) => getComputedStyle(el).display);
  assert.equal(thead, 'table-header-group');
  const wraps = await page.$$eval('section.group, .table-wrap', (els) => els.map((el) => {
    const s = getComputedStyle(el);
    return [el.className, s.breakInside, s.overflowX];
  }));
  for (const [name, breakInside, overflowX] of wraps) {
    assert.notEqual(breakInside, 'avoid-page', `${name} may run over pages`);
    assert.equal(overflowX, 'visible', `${name} is no frame that scrolls`);
  }
  await page.close();
});
