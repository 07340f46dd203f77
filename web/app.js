// The sasaeai map: our own vector tiles on a plain background (no internet base map), a layer
// switcher, a coverage choropleth, the support maps' overlays as a choropleth (aggregates only),
// catchments on click, the 地区カルテ panel and exports.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { esc } from '/web/util.js';

// Kinds (labels, colours) and walking profiles, as the server defines them (from /api/meta).
const KIND_COLOURS = {};
const KIND_LABELS = {};
const PROFILE_LABELS = {};
const EMPTY = { type: 'FeatureCollection', features: [] };

// The question's walker and minutes and the kinds shown are set from /api/meta when the page opens.
const state = { profile: null, minutes: null, kinds: new Set(), questionKinds: new Set(), tileUrls: {}, lastCatchment: null, lastReach: null, lastSpheres: null, supportMetric: 'persons_isolated' };
window.sasaeai = state;

const num = (n) => (n == null ? '—' : Number(n).toLocaleString('ja-JP'));
const pct = (n) => (n == null ? '—' : `${n}%`);

async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail || `${r.status}`);
  return body;
}


// The walking profiles the server knows, with their speeds.
function renderProfiles(profiles) {
  document.getElementById('profile').innerHTML = profiles.map((p) => {
    PROFILE_LABELS[p.id] = p.label;
    const steps = !p.use_steps ? '、階段なし' : p.steps_factor > 1 ? '、階段はゆっくり' : '';
    return `<option value="${esc(p.id)}">${esc(p.label)}（${p.speed_m_per_min} m/分${steps}）</option>`;
  }).join('');
}

// The server's style (/styles/sasaeai.json, the same QGIS opens) with the page's own layers: the
// selected catchment, the reach from a click and the spheres' gaps, drawn under the sites.
function withPageLayers(style) {
  for (const id of ['selection', 'reach', 'sphereGaps']) style.sources[id] = { type: 'geojson', data: EMPTY };
  const own = [
    { id: 'sphere-gaps-fill', type: 'fill', source: 'sphereGaps', paint: { 'fill-color': '#b71c1c', 'fill-opacity': 0.3 } },
    { id: 'reach-fill', type: 'fill', source: 'reach', paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.2 } },
    { id: 'selection-fill', type: 'fill', source: 'selection', paint: { 'fill-color': '#ef6c00', 'fill-opacity': 0.25 } },
    { id: 'selection-line', type: 'line', source: 'selection', paint: { 'line-color': '#ef6c00', 'line-width': 2 } },
  ];
  style.layers.splice(style.layers.findIndex((l) => l.id === 'sites'), 0, ...own);
  return style;
}

// The question the map answers — which places to go count, in how many minutes, at whose pace —
// as the query the analysis tiles, the exports and the karte are asked with.
function questionQuery() {
  return `kinds=${[...state.questionKinds].sort().join(',')}&minutes=${state.minutes}&profile=${state.profile}`;
}

// The tile URLs of a set that shows the analysis, asking the current question.
function questionTiles(set) {
  return state.tileUrls[set].map((u) => `${u.split('?')[0]}?${questionQuery()}`);
}

function describeQuestion() {
  const kinds = [...state.questionKinds].map((k) => KIND_LABELS[k]).join('・');
  return `${kinds}まで、${PROFILE_LABELS[state.profile]}の足で${state.minutes}分`;
}

// What says which question the map answers: the question itself, the legend and the exports.
function showQuestion() {
  document.getElementById('question').textContent = describeQuestion();
  renderLegend();
  renderExports();
}

// A new question: the analysis tiles follow it, and what says which question it is.
function askQuestion(map) {
  for (const set of ['base', 'analysis']) map.getSource(set).setTiles(questionTiles(set));
  showQuestion();
}

function renderQuestionKinds(map) {
  const box = document.getElementById('question-kinds');
  box.innerHTML = Object.entries(KIND_LABELS)
    .map(([k, label]) => `<label><input type="checkbox" data-kind="${k}"${state.questionKinds.has(k) ? ' checked' : ''}><span class="kind-dot" style="background:${KIND_COLOURS[k]}"></span>${label}</label>`)
    .join('');
  box.addEventListener('change', (ev) => {
    const checked = [...box.querySelectorAll('input:checked')].map((i) => i.dataset.kind);
    if (checked.length === 0) {
      ev.target.checked = true; // a question counts at least one kind of place
      return;
    }
    state.questionKinds = new Set(checked);
    askQuestion(map);
  });
}

// The colour ramps, from the style's metadata. Suppressed support figures (<3, x) carry no number
// and are grey.
const ramps = () => {
  const m = state.styleMetadata;
  return { coverage: m['sasaeai:coverage_stops'], support: m['sasaeai:support_stops'], none: m['sasaeai:no_figure'] };
};

function supportColour(metric) {
  const { support, none } = ramps();
  return ['case', ['has', metric], ['interpolate', ['linear'], ['get', metric], ...support.flat()], none];
}

function renderSupportOptions(map, meta) {
  const select = document.getElementById('support-metric');
  select.innerHTML = meta.support_overlays.headline.map((m) => `<option value="${m.id}">${esc(m.label)}</option>`).join('');
  select.value = state.supportMetric;
  select.addEventListener('change', () => {
    state.supportMetric = select.value;
    map.setPaintProperty('support-fill', 'fill-color', supportColour(state.supportMetric));
  });
  const min = meta.privacy.min_count;
  const { support, none } = ramps();
  const last = support.at(-1)[0];
  document.getElementById('support-legend').innerHTML = support.map(([n, c]) => `<span><i style="background:${c}"></i>${n}${n === last ? '人以上' : '人'}</span>`).join('')
    + `<span><i style="background:${none}"></i>&lt;${min}・x（秘匿）</span>`;
  document.getElementById('support-note').textContent = `住民グループの支え合いマップを地区ごとに数えたものです（個人は分かりません）。1〜${min - 1}人は「<${min}」、差し引きで分かってしまう数は「x」と表示します。`;
}

function renderLegend() {
  const stops = ramps().coverage;
  document.getElementById('legend').innerHTML = `65歳以上のカバー率（${esc(describeQuestion())}）：` + stops.map(([p, c]) => `<span><i style="background:${c}"></i>${p}%</span>`).join('');
}

function renderKinds(map) {
  const box = document.getElementById('kinds');
  box.innerHTML = Object.entries(KIND_LABELS)
    .map(([k, label]) => `<label><input type="checkbox" data-kind="${k}" checked><span class="kind-dot" style="background:${KIND_COLOURS[k]}"></span>${label}</label>`)
    .join('');
  box.addEventListener('change', () => {
    state.kinds = new Set([...box.querySelectorAll('input:checked')].map((i) => i.dataset.kind));
    for (const layer of ['sites', 'labels-sites']) map.setFilter(layer, ['in', ['get', 'kind'], ['literal', [...state.kinds]]]);
    map.setFilter('catchments', ['in', ['get', 'kind'], ['literal', [...state.kinds]]]);
    renderExports();
  });
}

const LAYER_IDS = {
  ward: ['areas-ward-line', 'labels-ward'], sphere: ['areas-sphere-line', 'labels-sphere'],
  district: ['areas-district-line', 'labels-district'], chome: ['areas-chome-line', 'labels-chome'],
  network: ['network'], catchments: ['catchments'], gaps: ['gaps'], population: ['population'], choropleth: ['choropleth'],
  support: ['support-fill'],
};

function bindLayers(map) {
  const apply = (input) => {
    for (const id of LAYER_IDS[input.dataset.layer]) map.setLayoutProperty(id, 'visibility', input.checked ? 'visible' : 'none');
    if (input.dataset.layer === 'choropleth') document.getElementById('legend').hidden = !input.checked;
    if (input.dataset.layer === 'support') document.getElementById('support-options').hidden = !input.checked;
  };
  for (const input of document.querySelectorAll('#layers input')) {
    apply(input);
    input.addEventListener('change', () => { apply(input); renderExports(); });
  }
}

function renderExports() {
  const kinds = [...state.kinds].join(',');
  const links = [
    [`/api/export/sites.geojson?kind=${kinds}`, '施設（GeoJSON）'],
    ['/api/export/areas.geojson?level=district', '地区（GeoJSON）'],
    ['/api/export/population.geojson', '人口（GeoJSON）'],
    [`/api/gaps?level=district&${questionQuery()}`, '徒歩圏外（GeoJSON）'],
    [`/api/catchments?kind=${[...state.questionKinds].sort().join(',')}&minutes=${state.minutes}&profile=${state.profile}&dissolve=true`, '徒歩圏（GeoJSON）'],
    [`/api/coverage?level=district&${questionQuery()}&format=csv`, 'カバー率（CSV）'],
    [`/api/karte?level=district&${questionQuery()}&format=csv`, '地区カルテ一覧（CSV）'],
    [`/api/export/analysis.gpkg?level=district&${questionQuery()}`, '分析一式（GeoPackage・QGIS 用）'],
  ];
  document.getElementById('exports').innerHTML = links.map(([href, label]) => `<a href="${href}" download>${label}</a>`).join('');
}

// The panel has a slot for what was clicked (a site or an area's karte) and one for the reach.
function info(html, slot = 'main') {
  document.getElementById(`info-${slot}`).innerHTML = html;
}

async function showSite(map, feature) {
  const p = feature.properties;
  const [site, catchment] = await Promise.all([
    getJson(`/api/sites/${p.id}`),
    getJson(`/api/sites/${p.id}/catchment?minutes=${state.minutes}&profile=${state.profile}`).catch((e) => ({ error: e.message })),
  ]);
  const s = site.properties;
  let html = `<h2>${esc(s.name)}</h2><p>${esc(s.kind_label)}</p><table>
    <tr><th>開催・開所</th><td>${esc(s.schedule ?? '—')}</td></tr>
    <tr><th>住所</th><td>${esc(s.address ?? '—')}</td></tr>
    <tr><th>運営</th><td>${esc(s.operator ?? '—')}</td></tr></table>`;
  if (catchment.error) {
    html += `<p class="muted">徒歩圏を計算できません：${esc(catchment.error)}</p>`;
    map.getSource('selection').setData(EMPTY);
  } else {
    const c = catchment.properties;
    html += `<p>${PROFILE_LABELS[c.profile]}の足で${c.minutes}分：面積 ${num(Math.round(c.area_m2 / 10000) / 100)} km²、到達係数 ${c.reachfactor}</p>`;
    map.getSource('selection').setData(catchment);
    state.lastCatchment = catchment;
  }
  info(html);
}

// The 日常生活圏域 view: each sphere's older residents within the guide's "about 30 minutes" of the
// services it names (both served by /api/meta), as a table, and where they are not drawn in red.
async function showSpheres(map, view) {
  const kinds = view.kinds.join(',');
  const question = `level=sphere&kinds=${kinds}&minutes=${view.minutes}&profile=${state.profile}`;
  try {
    const [coverage, gaps] = await Promise.all([getJson(`/api/coverage?${question}`), getJson(`/api/gaps?${question}`)]);
    map.getSource('sphereGaps').setData(gaps);
    const rows = coverage.rows.map((r) => `<tr><th>${esc(r.name)}</th><td class="n">${num(r.aged65)}</td><td class="n">${pct(r.covered65_pct)}</td><td class="n">${num(r.uncovered65)}</td></tr>`).join('');
    info(`<h2>日常生活圏域：${view.minutes}分で届くか</h2>
      <p class="muted">${view.kinds.map((k) => esc(KIND_LABELS[k])).join('・')}まで、${PROFILE_LABELS[state.profile]}の足で${view.minutes}分。赤は届かない場所。</p>
      <table id="sphere-table"><tr><th>圏域</th><th>65歳以上</th><th>届く割合</th><th>届かない65歳以上</th></tr>${rows}</table>`);
    state.lastSpheres = coverage.rows;
  } catch (e) {
    map.getSource('sphereGaps').setData(EMPTY);
    info(`<p class="muted">${esc(e.message)}</p>`);
    state.lastSpheres = [];
  }
}

async function showKarte(feature) {
  const id = feature.properties.id;
  const k = await getJson(`/api/karte/${id}?minutes=${state.minutes}&profile=${state.profile}`);
  const rows = k.comparison.map((r) => `<tr><th>${esc(r.name)}</th><td class="n">${num(r.total)}</td><td class="n">${pct(r.aged65_rate)}</td><td class="n">${pct(r.covered65_pct)}</td></tr>`).join('');
  const gaps = k.largest_gaps.map((g) => `<li>${esc(g.name)}：${num(g.uncovered65)}人</li>`).join('');
  const support = k.support_overlays;
  const supportRows = support.rows.map((r) => `<tr><th>${esc(r.name)}</th>${support.headline.map((m) => `<td class="n">${esc(r.values[m.id])}</td>`).join('')}</tr>`).join('');
  const supportTable = `<p>支え合いマップから（集計）</p><table id="karte-support"><tr><th></th>${support.headline.map((m) => `<th>${esc(m.label)}</th>`).join('')}</tr>${supportRows}</table>`;
  info(`<h2>${esc(k.area.name)}（${esc(k.area.level_label)}）地区カルテ</h2>
    <table><tr><th></th><th>人口</th><th>高齢化率</th><th>カバー率</th></tr>${rows}</table>
    ${gaps ? `<p>行き場所が遠い町丁</p><ul>${gaps}</ul>` : ''}
    ${supportTable}
    <p><a id="karte-link" href="/karte/${id}?minutes=${state.minutes}&profile=${state.profile}" target="_blank">印刷用の地区カルテを開く</a></p>`);
}

async function showReach(map, lngLat) {
  try {
    const r = await getJson(`/api/reach?lon=${lngLat.lng}&lat=${lngLat.lat}&minutes=${state.minutes}&profile=${state.profile}`);
    map.getSource('reach').setData(r.catchment);
    state.lastReach = r;
    const items = r.sites.features.map((f) => `<tr><td><span class="kind-dot" style="background:${KIND_COLOURS[f.properties.kind]}"></span>${esc(f.properties.name)}</td><td class="n">${f.properties.walk_minutes}分</td></tr>`).join('');
    info(`<h2>ここから${state.minutes}分で行ける場所</h2><p class="muted">${PROFILE_LABELS[state.profile]}の足で、近い順</p><table>${items || '<tr><td>ありません</td></tr>'}</table>`, 'reach');
  } catch (e) {
    map.getSource('reach').setData(EMPTY);
    info(`<p class="muted">${esc(e.message)}</p>`, 'reach');
  }
}

// Staff, coordinators and admins start with the support maps' overlays instead of coverage.
const SEES_OVERLAYS_FIRST = ['staff', 'coordinator', 'admin'];

// Who may import files (staff not limited to some wards decide on the server; the panel is a door).
const IMPORTERS = ['staff', 'admin'];
const FIELD_LABELS = {
  name: '名称', kind: '種類', lat: '緯度', lon: '経度', plane_x: 'X座標（北）', plane_y: 'Y座標（東）', address: '住所',
  schedule: '開催・開所', operator: '運営', population_name: '地域名', code: 'コード', ward: '区', mesh: 'メッシュ',
  total: '総人口', aged65: '65歳以上', aged75: '75歳以上', year: '年', date: '日付', level: 'レベル', parent: '親の区域',
};

// Category → kind chosen on the import panel for the file being imported.
const chosenKinds = new Map();

function importQuery(extra) {
  const q = new URLSearchParams(extra);
  const kind = document.getElementById('import-kind').value;
  if (kind && document.getElementById('import-layer').value === 'sites') q.set('kind', kind);
  // Every column shown, as found or as corrected, so that the import reads what was previewed.
  const columns = [...document.querySelectorAll('#import-preview input[data-field]')]
    .filter((i) => i.value.trim())
    .map((i) => `${i.dataset.field}=${i.value.trim()}`);
  if (columns.length) q.set('columns', columns.join(','));
  // Categories given a kind on this page, sent as lines of a kind table over the built-in one.
  const lines = [...chosenKinds].map(([category, kind]) => `${category},${kind}`);
  if (lines.length) q.set('kind_table', ['value,kind', ...lines].join('\n'));
  return q;
}

async function postImport(me, extra) {
  const layer = document.getElementById('import-layer').value;
  const file = document.getElementById('import-file').files[0];
  if (!file) throw new Error('ファイルを選んでください');
  const r = await fetch(`/api/import/${layer}?${importQuery(extra)}`, {
    method: 'POST', body: await file.arrayBuffer(), headers: { 'x-csrf-token': me.csrf ?? '' },
  });
  const body = await r.json();
  if (!r.ok) {
    const first = (body.errors ?? []).slice(0, 20).map((e) => `<li class="problem">${esc(e.place)} ${esc(e.field ?? '')}: ${esc(e.message)}</li>`).join('');
    throw Object.assign(new Error(body.detail ?? r.statusText), { list: first });
  }
  return body;
}

function renderPreview(p) {
  const how = [p.format, p.encoding, p.delimiter && `区切り ${JSON.stringify(p.delimiter)}`, p.sheet && `シート「${p.sheet}」`].filter(Boolean).join('・');
  const fields = Object.entries(FIELD_LABELS).filter(([f]) => f in p.columns || ['name', 'lat', 'lon'].includes(f));
  const rows = fields.map(([f, label]) => `<tr><th>${esc(label)}</th><td><input data-field="${f}" value="${esc(p.columns[f] ?? '')}" placeholder="列名"></td></tr>`).join('');
  const kinds = Object.entries(p.kinds ?? {}).map(([k, n]) => `${esc(KIND_LABELS[k] ?? k)} ${n}件`).join('、');
  const kindOptions = (chosen) => ['<option value="">（表にない・選んでください）</option>']
    .concat(Object.entries(KIND_LABELS).map(([k, label]) => `<option value="${k}"${k === chosen ? ' selected' : ''}>${esc(label)}</option>`)).join('');
  const categories = (p.categories ?? []).map((c) => `<tr${c.kind ? '' : ' class="problem"'}><td>${esc(c.value)}</td><td>${c.rows}件</td>
    <td><select data-category="${esc(c.value)}" aria-label="「${esc(c.value)}」の種類">${kindOptions(c.kind)}</select></td></tr>`).join('');
  const place = (at) => Object.entries(at).map(([k, v]) => `${k} ${v}`).join('');
  const problems = p.problems.map((e) => `<li class="problem">${esc(place(e.place))} ${esc(e.field ?? '')}: ${esc(e.message)}</li>`).join('');
  return `<p>${esc(how)}</p><table>${rows}</table>
    <p id="import-counts">${p.records}行：取り込める ${p.good}件（住所から配置 ${p.geocoded}件）・座標が疑わしい ${p.suspect}件・エラー ${p.bad}件</p>
    ${kinds ? `<p>${kinds}</p>` : ''}
    ${categories ? `<table id="import-categories"><caption>種別の値ごとの施設の種類</caption><tr><th>値</th><th>行数</th><th>種類</th></tr>${categories}</table>` : ''}
    ${problems ? `<ul>${problems}</ul>` : ''}
    ${p.problem_count > p.problems.length ? `<p class="muted">ほか ${p.problem_count - p.problems.length}件</p>` : ''}
    <p class="muted">列や種類を直したら、もう一度プレビューしてください。</p>`;
}

function bindImport(map, me) {
  const section = document.getElementById('import');
  section.hidden = false;
  const kind = document.getElementById('import-kind');
  kind.innerHTML += Object.entries(KIND_LABELS).map(([k, label]) => `<option value="${k}">${esc(label)}</option>`).join('');
  const preview = document.getElementById('import-preview');
  const confirm = document.getElementById('import-confirm');
  const result = document.getElementById('import-result');
  // A new file starts afresh: the columns and kinds chosen were for the previous one.
  document.getElementById('import-file').addEventListener('change', () => {
    chosenKinds.clear();
    preview.innerHTML = '';
    confirm.hidden = true;
  });
  preview.addEventListener('change', (ev) => {
    const category = ev.target.dataset?.category;
    if (category && ev.target.value) chosenKinds.set(category, ev.target.value);
    else if (category) chosenKinds.delete(category);
  });
  document.getElementById('import-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    confirm.hidden = true;
    result.textContent = '';
    try {
      const { preview: p } = await postImport(me, { dry_run: 'true' });
      preview.innerHTML = renderPreview(p);
      confirm.hidden = !(p.good > 0 && p.bad === 0 && p.suspect === 0);
    } catch (e) {
      preview.innerHTML = `<p class="problem">${esc(e.message)}</p>${e.list ? `<ul>${e.list}</ul>` : ''}`;
    }
  });
  confirm.addEventListener('click', async () => {
    try {
      const summary = await postImport(me, {});
      confirm.hidden = true;
      result.textContent = `${summary.imported}件を取り込みました。`;
      for (const id of ['base', 'analysis', 'population']) {
        const source = map.getSource(id);
        if (source?.setTiles) source.setTiles(source.tiles);
      }
    } catch (e) {
      result.textContent = e.message;
    }
  });
}

function showSignedIn(me) {
  if (!me.signed_in) return;
  document.getElementById('signed-in').textContent = `${me.name}さんでログイン中`;
  if (SEES_OVERLAYS_FIRST.includes(me.role)) {
    document.querySelector('#layers input[data-layer="support"]').checked = true;
    document.querySelector('#layers input[data-layer="choropleth"]').checked = false;
  }
}

async function main() {
  const [meta, me, base] = await Promise.all([getJson('/api/meta'), getJson('/api/me'), getJson('/tiles/base.json')]);
  showSignedIn(me);
  for (const k of meta.kinds) {
    KIND_LABELS[k.id] = k.label;
    KIND_COLOURS[k.id] = k.colour;
  }
  state.kinds = new Set(Object.keys(KIND_COLOURS));
  renderProfiles(meta.profiles);
  state.questionKinds = new Set(meta.defaults.kinds);
  state.minutes = meta.defaults.minutes;
  state.profile = meta.defaults.profile;
  document.getElementById('minutes').value = String(state.minutes);
  document.getElementById('profile').value = state.profile;
  const style = withPageLayers(await getJson(`/styles/sasaeai.json?${questionQuery()}`));
  state.styleMetadata = style.metadata;
  state.tileUrls = { base: style.sources.base.tiles, analysis: style.sources.analysis.tiles };
  if (meta.dataset.fictional) document.getElementById('banner').hidden = false;
  document.getElementById('dataset').textContent = meta.dataset.title ?? '';
  const [w, s, e, n] = base.bounds;
  const map = new maplibregl.Map({
    container: 'map',
    style,
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: 30 },
    attributionControl: { compact: false, customAttribution: base.attribution },
  });
  window.map = map;
  if (me.signed_in && IMPORTERS.includes(me.role)) bindImport(map, me);
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  renderSupportOptions(map, meta);
  renderKinds(map);
  renderQuestionKinds(map);
  showQuestion();
  document.getElementById('profile').addEventListener('change', (ev) => { state.profile = ev.target.value; askQuestion(map); });
  document.getElementById('minutes').addEventListener('change', (ev) => { state.minutes = Number(ev.target.value); askQuestion(map); });
  document.getElementById('sphere-view').addEventListener('click', () => showSpheres(map, meta.sphere_view));
  map.on('load', () => bindLayers(map));
  map.on('click', async (ev) => {
    const site = map.queryRenderedFeatures(ev.point, { layers: ['sites'] })[0];
    if (site) {
      info('', 'reach');
      map.getSource('reach').setData(EMPTY);
      return showSite(map, site);
    }
    map.getSource('selection').setData(EMPTY);
    const district = map.queryRenderedFeatures(ev.point, { layers: ['district-hit'] })[0];
    if (district) showKarte(district);
    else info('');
    return showReach(map, ev.lngLat);
  });
  for (const layer of ['sites', 'district-hit']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  await map.once('idle');
  state.ready = true;
}

main().catch((e) => {
  console.error(e);
  info(`<p>地図を開けません：${esc(e.message)}</p>`);
  console.error('sasaeai map failed', e);
});
