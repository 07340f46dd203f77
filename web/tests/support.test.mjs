// Browser check of the 支え合いマップ page, run by tests/browser.rs against the real server with
// accounts alice and bob (residents) and sam (staff) made by the CLI:
//   node web/tests/support.test.mjs http://127.0.0.1:PORT PASSWORD OUT_DIR
// Alice signs in, makes a group, draws a person and a helper with terra-draw, links them, sees
// them in the list, and prints the A3 landscape map (a PDF is made from the print layout). Bob, in
// another group, sees none of it, not even by asking the API. Sam, staff, sees the overlays'
// choropleth on the main map. Any console error fails the check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, password, out] = process.argv.slice(2);
const PERSON = 'T・M';
const HELPER = '民生委員K';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];

async function signedIn(name, path = '/support') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${name}: ${e}`));
  await page.goto(base + path);
  await page.waitForFunction(() => window.supportMap?.ready === true, null, { timeout: 60_000 });
  await page.fill('#login-form input[name=name]', name);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#account:not([hidden])');
  return page;
}

async function clickAt(page, lngLat) {
  // A click projected while the camera still moves (fitting the group's area) lands elsewhere.
  await page.waitForFunction(() => !window.map.isMoving());
  const canvas = await page.locator('#map canvas.maplibregl-canvas').boundingBox();
  const at = await page.evaluate((c) => window.map.project(c), lngLat);
  await page.mouse.click(canvas.x + at.x, canvas.y + at.y);
}

async function listed(page, text) {
  await page.waitForFunction((t) => document.getElementById('list').textContent.includes(t), text, { timeout: 20_000 });
}

async function draw(page, tool, lngLat, label, tag) {
  await page.click(`#tools button[data-tool=${tool}]`);
  await clickAt(page, lngLat);
  await page.waitForSelector('#feature-form:not([hidden])');
  if (label) await page.fill('#f-label', label);
  if (tag) await page.check(`#f-tags input[value="${tag}"]`);
  await page.click('#f-save');
  await page.waitForSelector('#feature-form', { state: 'hidden' });
}

try {
  // Alice: a group, a person, a helper, a link.
  const alice = await signedIn('alice');
  await waitForGroupsForm(alice);
  const area = await alice.$eval('#group-area', (s) => s.options[1].value);
  await alice.fill('#group-form input[name=name]', 'ひまわり町会 支え合いの会');
  await alice.selectOption('#group-area', area);
  await alice.click('#group-form button[type=submit]');
  await alice.waitForSelector('#group-tools:not([hidden])');
  await alice.waitForFunction(() => window.map.loaded() && window.supportMap.area);
  // The centre of the group's area once the camera has settled on it: taken mid-flight, it can lie
  // outside the area, where nothing may be drawn.
  await alice.waitForFunction(() => !window.map.isMoving());
  const centre = await alice.evaluate(() => {
    const b = window.map.getBounds();
    return [(b.getWest() + b.getEast()) / 2, (b.getSouth() + b.getNorth()) / 2];
  });
  const person = centre;
  const helper = await alice.evaluate(([x, y]) => {
    const p = window.map.project([x, y]);
    const q = window.map.unproject([p.x + 120, p.y - 60]);
    return [q.lng, q.lat];
  }, centre);
  await draw(alice, 'person', person, PERSON, 'ひとり暮らし');
  await listed(alice, PERSON);
  await draw(alice, 'helper', helper, HELPER, '民生委員');
  await listed(alice, HELPER);
  await alice.click('#tools button[data-tool=link]');
  await alice.waitForTimeout(300);
  await clickAt(alice, person);
  await alice.waitForFunction(() => window.supportMap.linkFrom !== null);
  await clickAt(alice, helper);
  await alice.waitForSelector('#feature-form:not([hidden])');
  await alice.check('#f-tags input[value="見守り"]');
  await alice.click('#f-save');
  await listed(alice, `${PERSON} → ${HELPER}（見守り）`);
  const drawn = await alice.evaluate(() => window.supportMap.features.features.map((f) => [f.properties.type, f.geometry?.type]));
  assert.deepEqual(drawn.map((d) => d.join(':')).sort(), ['helper:Point', 'link:LineString', 'person:Point']);
  const group = await alice.evaluate(() => window.supportMap.group.id);

  // Print: the A3 landscape layout with the group's name, the edition, the date and a legend.
  await alice.evaluate(() => { window.print = () => { window.__printed = true; }; });
  await alice.click('#print');
  await alice.waitForFunction(() => window.__printed === true, null, { timeout: 30_000 });
  const printed = await alice.evaluate(() => ({
    title: document.getElementById('print-title').textContent,
    meta: document.getElementById('print-meta').textContent,
    legend: document.getElementById('print-legend').textContent,
    panelHidden: getComputedStyle(document.getElementById('panel')).display === 'none',
    mapWidth: document.getElementById('map').getBoundingClientRect().width,
  }));
  assert.match(printed.title, /ひまわり町会/);
  assert.match(printed.meta, /\d{4}年度版・\d{4}年\d{1,2}月\d{1,2}日印刷/);
  assert.match(printed.legend, /気になる人.*支える人.*つながり/);
  assert.ok(printed.panelHidden, 'the panel is not printed');
  assert.ok(printed.mapWidth > 1400, `the map spans the A3 width: ${printed.mapWidth}`);
  await alice.screenshot({ path: join(out, 'support-print.png'), fullPage: true });
  await alice.emulateMedia({ media: 'print' });
  const pdfPath = join(out, 'support-a3.pdf');
  await alice.pdf({ path: pdfPath, preferCSSPageSize: true, printBackground: true });
  const pdf = readFileSync(pdfPath, 'latin1');
  const box = pdf.match(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/);
  assert.ok(box, 'the PDF has a page');
  assert.ok(Math.abs(Number(box[1]) - 1190.55) < 2 && Math.abs(Number(box[2]) - 841.89) < 2, `A3 landscape: ${box[0]}`);

  // Bob, another group's resident: nothing of alice's group, not even through the API.
  const bob = await signedIn('bob');
  await waitForGroupsForm(bob);
  assert.equal(await bob.isVisible('#group-tools'), false, 'bob has no group open');
  const quiet = errors.length;
  const seen = await bob.evaluate(async (id) => {
    const r = await fetch(`/api/groups/${id}/features`);
    return { status: r.status, body: await r.text(), page: document.body.innerText };
  }, group);
  assert.equal(seen.status, 404);
  await bob.waitForTimeout(200);
  errors.splice(quiet); // Chromium reports the 404 bob was meant to get.
  for (const secret of [PERSON, HELPER]) {
    assert.ok(!seen.body.includes(secret) && !seen.page.includes(secret), `bob sees ${secret}`);
  }

  // Sam, staff: no group maps; on the main map the overlays' choropleth.
  const sam = await signedIn('sam');
  assert.equal(await sam.isVisible('#staff-note'), true);
  assert.equal(await sam.isVisible('#groups'), false);
  await sam.goto(`${base}/`);
  await sam.waitForFunction(() => window.sasaeai?.ready === true, null, { timeout: 60_000 });
  assert.equal(await sam.isChecked('#layers input[data-layer=support]'), true, 'staff start with the overlays');
  await sam.waitForFunction(() => window.map.queryRenderedFeatures({ layers: ['support-fill'] }).length > 0, null, { timeout: 20_000 });
  const choropleth = await sam.evaluate(() => window.map.queryRenderedFeatures({ layers: ['support-fill'] }).map((f) => f.properties));
  assert.ok(choropleth.every((p) => typeof p.persons_text === 'string'), 'every district carries its figure');
  assert.ok(choropleth.some((p) => p.persons_text === '<3'), 'alice\'s one person shows as <3');
  assert.ok(choropleth.every((p) => ![1, 2].includes(p.persons)), 'no figure of 1 or 2');
  assert.match(await sam.textContent('#support-legend'), /秘匿/);
  assert.ok(!(await sam.content()).includes(PERSON), 'staff never see a label');
  await sam.screenshot({ path: join(out, 'support-staff.png') });

  assert.deepEqual(errors, [], 'no console errors');
  console.log(`support map ok: group ${group}, ${drawn.length} features drawn, A3 PDF ${box[1]}×${box[2]} pt, ${choropleth.length} districts in the staff choropleth`);
} finally {
  await browser.close();
}

async function waitForGroupsForm(page) {
  await page.waitForSelector('#groups:not([hidden])');
  await page.waitForFunction(() => document.getElementById('group-area').options.length > 1, null, { timeout: 20_000 });
}
