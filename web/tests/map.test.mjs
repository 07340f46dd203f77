// Browser check of the map page, run by tests/browser.rs against the real server:
//   node web/tests/map.test.mjs http://127.0.0.1:PORT/ SCREENSHOT.png
// Opens the page in Debian's Chromium, waits for the map, finds rendered sites and areas, clicks a
// site and sees its catchment, clicks a street and sees what is reachable, and fails on any console
// error.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.sasaeai?.ready === true, null, { timeout: 60_000 });

  assert.equal(await page.isVisible('#banner'), true, 'the 架空データ banner shows on the demo');
  const attribution = await page.textContent('.maplibregl-ctrl-attrib');
  assert.match(attribution, /架空/, 'attribution names the data');

  const rendered = await page.evaluate(() => ({
    sites: map.queryRenderedFeatures({ layers: ['sites'] }).map((f) => ({ id: f.properties.id, name: f.properties.name, kind: f.properties.kind, at: map.project(f.geometry.coordinates) })),
    districts: map.queryRenderedFeatures({ layers: ['district-hit'] }).length,
    wards: map.queryRenderedFeatures({ layers: ['areas-ward-line'] }).length,
  }));
  assert.ok(rendered.sites.length >= 40, `sites rendered: ${rendered.sites.length}`);
  assert.ok(rendered.districts >= 8 && rendered.wards >= 2, `areas rendered: ${JSON.stringify(rendered)}`);

  // The map is the server's style (the one QGIS opens) with names written on it, from the page's own
  // fonts; the walking profiles and kinds are the server's.
  const drawn = await page.evaluate(async () => {
    const meta = await (await fetch('/api/meta')).json();
    return {
      labels: map.queryRenderedFeatures({ layers: ['labels-district'] }).map((f) => f.properties.name),
      styleName: map.getStyle().name,
      profiles: [...document.querySelectorAll('#profile option')].map((o) => o.value),
      serverProfiles: meta.profiles.map((p) => p.id),
    };
  });
  assert.equal(drawn.styleName, 'sasaeai');
  assert.ok(drawn.labels.length >= 4, `district names written: ${drawn.labels}`);
  assert.deepEqual(drawn.profiles, drawn.serverProfiles);

  const canvas = await page.locator('#map canvas').boundingBox();
  const cafe = rendered.sites.find((s) => s.kind === 'cafe');
  await page.mouse.click(canvas.x + cafe.at.x, canvas.y + cafe.at.y);
  await page.waitForFunction((id) => window.sasaeai.lastCatchment?.properties?.site_id === id, cafe.id, { timeout: 20_000 });
  const catchment = await page.evaluate(() => window.sasaeai.lastCatchment.properties);
  assert.equal(catchment.profile, 'elderly');
  assert.ok(catchment.area_m2 > 100_000, `catchment area ${catchment.area_m2}`);
  assert.match(await page.textContent('#info-main'), new RegExp(cafe.name));
  await page.waitForTimeout(500);
  const selected = await page.evaluate(() => map.queryRenderedFeatures({ layers: ['selection-fill'] }).length);
  assert.ok(selected > 0, 'the catchment is drawn');

  // A street corner away from any site: the reach from there.
  const corner = await page.evaluate(() => map.project([140.0375, 34.6235]));
  await page.mouse.click(canvas.x + corner.x, canvas.y + corner.y);
  await page.waitForFunction(() => window.sasaeai.lastReach !== null, null, { timeout: 20_000 });
  assert.match(await page.textContent('#info-reach'), /行ける場所/);

  // The 日常生活圏域 view: every sphere of the demo with its 30-minute coverage, the table as the API says.
  await page.click('#sphere-view');
  await page.waitForFunction(() => window.sasaeai.lastSpheres !== null, null, { timeout: 30_000 });
  const spheres = await page.evaluate(() => window.sasaeai.lastSpheres);
  assert.equal(spheres.length, 4, 'the demo town has four 日常生活圏域');
  const api = await page.evaluate(async () => (await (await fetch('/api/coverage?level=sphere&kinds=care_center,care_service,clinic&minutes=30&profile=elderly')).json()).rows);
  assert.deepEqual(spheres.map((r) => r.covered65), api.map((r) => r.covered65));
  const shown = await page.$$eval('#sphere-table tr', (rows) => rows.slice(1).map((r) => r.children[3].textContent));
  assert.deepEqual(shown, api.map((r) => Number(r.uncovered65).toLocaleString('ja-JP')), 'the table shows the API figures');

  // The tiles follow the question: clinics within 30 minutes, asked with the selectors, are what the
  // catchments show and what the choropleth's figures are (the coverage table's for that question).
  await page.selectOption('#minutes', '30');
  await page.check('#question-kinds input[data-kind="clinic"]');
  for (const kind of ['cafe', 'engawa', 'kayoinoba']) await page.uncheck(`#question-kinds input[data-kind="${kind}"]`);
  await page.waitForFunction(() => {
    const shown = map.queryRenderedFeatures({ layers: ['catchments'] });
    return shown.length > 0 && shown.every((f) => f.properties.kind === 'clinic' && f.properties.minutes === 30);
  }, null, { timeout: 30_000 });
  assert.match(await page.textContent('#legend'), /医療機関.*30分/, 'the legend says which question it shows');
  assert.match(await page.getAttribute('#exports a[href*="/api/coverage"]', 'href'), /kinds=clinic&minutes=30/);
  assert.match(await page.getAttribute('#exports a[href*="analysis.gpkg"]', 'href'), /kinds=clinic&minutes=30/);
  await page.waitForFunction(() => map.isSourceLoaded('base') && map.areTilesLoaded(), null, { timeout: 30_000 });
  const figures = await page.evaluate(async () => {
    const drawn = Object.fromEntries(map.querySourceFeatures('base', { sourceLayer: 'areas_district' }).map((f) => [f.properties.id, f.properties.covered65_pct ?? null]));
    const table = await (await fetch('/api/coverage?level=district&kinds=clinic&minutes=30&profile=elderly')).json();
    return { drawn, table: table.rows.map((r) => [r.area_id, r.covered65_pct]) };
  });
  const compared = figures.table.filter(([id]) => id in figures.drawn);
  assert.ok(compared.length >= 8, `districts drawn: ${compared.length}`);
  for (const [id, pct] of compared) assert.equal(figures.drawn[id], pct, `district ${id}`);

  await page.screenshot({ path: screenshot });
  assert.deepEqual(errors, [], 'no console errors');
  console.log(`map ok: ${rendered.sites.length} sites, ${rendered.districts} district features, catchment ${Math.round(catchment.area_m2)} m²; screenshot ${screenshot}`);
} finally {
  await browser.close();
}
