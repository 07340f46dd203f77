// Browser check of the staff import panel, run by tests/browser.rs against the real server:
//   node web/tests/import.test.mjs http://127.0.0.1:PORT PASSWORD
// Staff sam signs in, picks a CSV of a site list whose longitude column has another name,
// previews it (nothing written), maps the column, previews again, imports, and sees the sites in the
// API; then a list with a category the kind table does not know, whose kind staff choose on the
// page; anonymous visitors see no panel.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [base, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
const sites = (page) => page.evaluate(async () => (await (await fetch('/api/sites?kind=engawa')).json()).features.length);
try {
  const anonymous = await browser.newPage();
  await anonymous.goto(`${base}/`);
  await anonymous.waitForFunction(() => window.sasaeai?.ready === true, null, { timeout: 60_000 });
  assert.equal(await anonymous.isVisible('#import'), false, 'no import panel for anonymous visitors');

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/support`);
  await page.fill('#login-form input[name=name]', 'sam');
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#account:not([hidden])');
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.sasaeai?.ready === true, null, { timeout: 60_000 });
  await page.waitForSelector('#import:not([hidden])');
  const before = await sites(page);

  // A list whose longitude column is called 東経, as Excel saves it (UTF-8 with a BOM).
  const csv = '名称,住所,緯度,東経\r\nえんがわ北,ささえ市港1-1,34.6232,140.0439\r\nえんがわ南,ささえ市港2-2,34.6240,140.0420\r\n';
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]);
  await page.selectOption('#import-kind', 'engawa');
  await page.setInputFiles('#import-file', { name: 'えんがわ.csv', mimeType: 'text/csv', buffer: bytes });
  await page.click('#import-preview-button');
  await page.waitForSelector('#import-counts');
  const first = await page.textContent('#import-preview');
  assert.match(first, /no column for lon/, `the missing column is named: ${first}`);
  assert.match(await page.textContent('#import-counts'), /取り込める 0件.*エラー 2件/);
  assert.equal(await page.isVisible('#import-confirm'), false, 'nothing to confirm yet');
  assert.equal(await sites(page), before, 'a preview writes nothing');

  // Map the longitude to its column and preview again.
  await page.fill('#import-preview input[data-field=lon]', '東経');
  await page.click('#import-preview-button');
  await page.waitForFunction(() => document.getElementById('import-counts')?.textContent.includes('取り込める 2件'), null, { timeout: 20_000 });
  await page.waitForSelector('#import-confirm:not([hidden])');
  await page.click('#import-confirm');
  await page.waitForFunction(() => document.getElementById('import-result').textContent.length > 0, null, { timeout: 20_000 });
  assert.match(await page.textContent('#import-result'), /2件を取り込みました/);
  assert.equal(await sites(page), before + 2, 'the two 縁側 are in the API');

  // A list whose 種別 names a category the kind table does not know: the preview lists it, staff
  // choose its kind, and the import uses that choice.
  const ikoi = (p) => p.evaluate(async () => (await (await fetch('/api/sites?kind=ikoi')).json()).features.length);
  const ikoiBefore = await ikoi(page);
  const mixed = '名称,種別,緯度,経度\n港の縁側,地域の縁側,34.6236,140.0431\n長寿の家みなと,長寿の家,34.6228,140.0447\n';
  await page.selectOption('#import-kind', '');
  await page.setInputFiles('#import-file', { name: '施設.csv', mimeType: 'text/csv', buffer: Buffer.from(mixed, 'utf8') });
  await page.click('#import-preview-button');
  await page.waitForSelector('#import-categories');
  assert.match(await page.textContent('#import-counts'), /取り込める 1件.*エラー 1件/);
  assert.match(await page.textContent('#import-preview'), /unknown site kind "長寿の家"/);
  const unknown = '#import-categories select[data-category="長寿の家"]';
  assert.equal(await page.inputValue(unknown), '', 'an unknown category is not guessed');
  assert.equal(await page.inputValue('#import-categories select[data-category="地域の縁側"]'), 'engawa');
  await page.selectOption(unknown, 'ikoi');
  await page.click('#import-preview-button');
  await page.waitForFunction(() => document.getElementById('import-counts')?.textContent.includes('取り込める 2件'), null, { timeout: 20_000 });
  assert.equal(await page.inputValue(unknown), 'ikoi', 'the choice stays on the new preview');
  await page.waitForSelector('#import-confirm:not([hidden])');
  await page.evaluate(() => { document.getElementById('import-result').textContent = ''; });
  await page.click('#import-confirm');
  await page.waitForFunction(() => document.getElementById('import-result').textContent.length > 0, null, { timeout: 20_000 });
  assert.match(await page.textContent('#import-result'), /2件を取り込みました/);
  assert.equal(await ikoi(page), ikoiBefore + 1, 'the いこいの家 came in with the kind chosen on the page');

  assert.deepEqual(errors, []);
  console.log('staff import panel: preview, column mapping, kind choice and import work');
} finally {
  await browser.close();
}
