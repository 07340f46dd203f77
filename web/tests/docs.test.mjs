// Browser check of the API's page, run by tests/browser.rs against the real server:
//   node web/tests/docs.test.mjs http://127.0.0.1:PORT
// /api/docs loads Swagger UI from the server itself (no other host is asked for anything), shows
// every operation of /api/openapi.json, and a guarded operation opens to say who may call it.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [base] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
const elsewhere = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) elsewhere.push(r.url()); });
  await page.goto(`${base}/api/docs`);
  await page.waitForSelector('.opblock', { timeout: 60_000 });
  const document = await (await fetch(`${base}/api/openapi.json`)).json();
  const operations = Object.values(document.paths).flatMap((item) => Object.keys(item).filter((k) => ['get', 'post', 'put', 'delete'].includes(k)));
  const shown = await page.locator('.opblock').count();
  assert.equal(shown, operations.length, 'every operation of the document is on the page');

  // A guarded operation says who may call it.
  const block = page.locator('.opblock', { has: page.locator('[data-path="/api/admin/users"]') });
  await block.locator('.opblock-summary').first().click();
  await page.waitForSelector('text=Who may call it: admins');
  assert.deepEqual(elsewhere, [], 'nothing asked of another host');
  assert.deepEqual(errors, [], 'no script errors');
  console.log(`api docs: ${shown} operations shown`);
} finally {
  await browser.close();
}
