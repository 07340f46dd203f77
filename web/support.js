// The 支え合いマップ page: sign in, pick one of my groups, draw the people of concern, those who
// help them, gathering places and troubles (terra-draw on MapLibre), link them, read the year's
// list, switch between yearly editions, and print an A3 landscape map for the meeting table.
// Everything shown here comes from the group's own routes, which answer its members only.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { TerraDraw, TerraDrawPointMode, TerraDrawPolygonMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { absolute, esc } from '/web/util.js';

const TYPES = {
  person: { symbol: '●', colour: '#d84315' },
  helper: { symbol: '■', colour: '#1565c0' },
  place: { symbol: '▲', colour: '#2e7d32' },
  note: { symbol: '！', colour: '#f57f17' },
  link: { symbol: '―', colour: '#6a1b9a' },
};
const ROLE_LABELS = { admin: '管理者', staff: '職員', coordinator: 'コーディネーター', resident: '住民' };
const GROUP_ROLE_LABELS = { owner: '管理', editor: '描く', viewer: '見る' };
const EMPTY = { type: 'FeatureCollection', features: [] };

const state = {
  meta: null, me: null, csrf: null, group: null, edition: null, features: EMPTY,
  tool: null, linkFrom: null, editing: null, labels: [], ready: false, draw: null,
};
window.supportMap = state;

const $ = (id) => document.getElementById(id);
const show = (id, on) => { $(id).hidden = !on; };

async function api(method, url, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (state.csrf && method !== 'GET') headers['x-csrf-token'] = state.csrf;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (r.status === 204) return null;
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(answer.detail || `${r.status}`);
  return answer;
}

function style(base) {
  return {
    version: 8,
    sources: {
      base: { type: 'vector', tiles: absolute(base.tiles), minzoom: 5, maxzoom: 16, attribution: base.attribution },
      area: { type: 'geojson', data: EMPTY },
      features: { type: 'geojson', data: EMPTY },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#eef1ec' } },
      { id: 'city', type: 'fill', source: 'base', 'source-layer': 'areas_city', paint: { 'fill-color': '#ffffff' } },
      { id: 'chome', type: 'line', source: 'base', 'source-layer': 'areas_chome', paint: { 'line-color': '#bbbbbb', 'line-width': 0.6 } },
      { id: 'district', type: 'line', source: 'base', 'source-layer': 'areas_district', paint: { 'line-color': '#777777', 'line-width': 1.2 } },
      { id: 'sites', type: 'circle', source: 'base', 'source-layer': 'sites', paint: { 'circle-radius': 3, 'circle-color': '#90a4ae' } },
      { id: 'area-line', type: 'line', source: 'area', paint: { 'line-color': '#2a7', 'line-width': 3, 'line-dasharray': [2, 1] } },
      { id: 'links', type: 'line', source: 'features', filter: ['==', ['get', 'type'], 'link'],
        paint: { 'line-color': TYPES.link.colour, 'line-width': 3 } },
      { id: 'points', type: 'circle', source: 'features', filter: ['==', ['geometry-type'], 'Point'],
        paint: {
          'circle-radius': 8, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
          'circle-color': ['match', ['get', 'type'], ...Object.entries(TYPES).flatMap(([t, s]) => [t, s.colour]), '#546e7a'],
        } },
    ],
  };
}

// ---- signing in -----------------------------------------------------------------------------

async function refreshMe() {
  state.me = await api('GET', '/api/me');
  state.csrf = state.me.csrf ?? null;
  const signedIn = state.me.signed_in;
  show('login', !signedIn);
  show('account', signedIn);
  const drawsMaps = signedIn && ['resident', 'coordinator'].includes(state.me.role);
  show('groups', drawsMaps);
  show('staff-note', signedIn && !drawsMaps);
  if (!signedIn) { show('group-tools', false); return; }
  $('who').textContent = `${state.me.name}さん（${ROLE_LABELS[state.me.role] ?? state.me.role}）`;
  if (drawsMaps) renderGroups();
}

function bindLogin() {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    $('login-error').textContent = '';
    try {
      await api('POST', '/api/login', { name: form.get('name'), password: form.get('password') });
      ev.target.reset();
      await refreshMe();
    } catch (e) {
      $('login-error').textContent = e.message.startsWith('too many') ? '失敗が続いたため、しばらく待ってからもう一度どうぞ。' : '名前かパスワードが違います。';
    }
  });
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/logout');
    state.group = null;
    setFeatures(EMPTY);
    await refreshMe();
  });
}

// ---- groups ---------------------------------------------------------------------------------

function renderGroups() {
  const groups = state.me.groups ?? [];
  $('group').innerHTML = groups.map((g) => `<option value="${g.id}">${esc(g.name)}（${GROUP_ROLE_LABELS[g.role]}）</option>`).join('')
    || '<option value="">まだグループがありません</option>';
  $('new-group').open = groups.length === 0;
  const wanted = state.group?.id ?? groups[0]?.id;
  if (wanted) {
    $('group').value = String(wanted);
    return openGroup(wanted);
  }
  show('group-tools', false);
  return null;
}

// Every area of a level, page after page (a city may have more 町丁 than one page holds).
async function allAreas(level) {
  const features = [];
  for (let url = `/api/areas?level=${level}`; url;) {
    const page = await api('GET', url);
    features.push(...page.features);
    url = page.links?.find((l) => l.rel === 'next')?.href;
  }
  return features;
}

async function fillAreaChoices() {
  const levels = await Promise.all(['chome', 'district'].map(allAreas));
  const options = levels.flat().map((f) => `<option value="${f.properties.id}">${esc(f.properties.name)}</option>`);
  $('group-area').innerHTML = '<option value="">（地図に描いた範囲）</option>' + options.join('');
}

function bindGroupForm() {
  let drawn = null;
  $('draw-area').addEventListener('click', () => {
    state.draw.clear();
    state.draw.setMode('polygon');
    $('hint').textContent = '範囲の角を順にクリックし、最初の点に戻って閉じてください。';
    state.onPolygon = (geometry) => { drawn = geometry; $('group-area').value = ''; state.draw.setMode('static'); };
  });
  $('group-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const body = { name: form.get('name') };
    if (form.get('area_id')) body.area_id = Number(form.get('area_id'));
    else if (drawn) body.polygon = drawn;
    $('group-error').textContent = '';
    try {
      const group = await api('POST', '/api/groups', body);
      state.group = { id: group.id };
      state.draw.clear();
      drawn = null;
      ev.target.reset();
      await refreshMe();
    } catch (e) {
      $('group-error').textContent = e.message;
    }
  });
  $('group').addEventListener('change', (ev) => ev.target.value && openGroup(Number(ev.target.value)));
}

async function openGroup(id) {
  const view = state.me.groups.find((g) => g.id === id);
  if (!view) return;
  state.group = view;
  show('group-tools', true);
  $('group-title').textContent = view.name;
  show('new-edition', view.role === 'owner');
  show('members-box', view.role === 'owner');
  const area = view.area_id ? await api('GET', `/api/areas/${view.area_id}`) : view.polygon && { type: 'Feature', geometry: view.polygon, properties: {} };
  state.area = area;
  state.map.getSource('area').setData(area ?? EMPTY);
  fitToArea();
  await loadEditions();
  if (view.role === 'owner') await loadMembers();
}

function fitToArea(padding = 40) {
  const coords = [];
  const walk = (c) => (typeof c[0] === 'number' ? coords.push(c) : c.forEach(walk));
  if (state.area?.geometry) walk(state.area.geometry.coordinates);
  for (const f of state.features.features) if (f.geometry) walk(f.geometry.coordinates);
  if (!coords.length) return;
  const xs = coords.map((c) => c[0]);
  const ys = coords.map((c) => c[1]);
  state.map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding, animate: false, maxZoom: 17 });
}

// ---- editions -------------------------------------------------------------------------------

async function loadEditions(edition) {
  const { editions } = await api('GET', `/api/groups/${state.group.id}/editions`);
  state.editions = editions;
  const current = editions[editions.length - 1].edition;
  state.edition = edition ?? current;
  $('edition').innerHTML = editions.slice().reverse().map((e) => `<option value="${e.edition}">${e.edition}年度（${e.features}件）</option>`).join('');
  $('edition').value = String(state.edition);
  await loadFeatures();
}

async function loadFeatures() {
  const g = state.group.id;
  const at = state.editions.findIndex((e) => e.edition === state.edition);
  const info = state.editions[at];
  const before = at > 0 ? state.editions[at - 1].edition : null;
  // The server marks each feature added or changed since the edition before, and lists what went.
  const features = await api('GET', `/api/groups/${g}/features?edition=${state.edition}`);
  $('changes').textContent = before
    ? `${before}年度の地図から：追加 ${info.added}件・削除 ${info.removed}件・変更 ${info.changed}件`
    : '最初の年度の地図です。';
  const editable = state.edition === state.group.edition && state.group.role !== 'viewer';
  show('tools', editable);
  show('hint', editable);
  show('read-only', state.edition !== state.group.edition);
  setTool(null);
  setFeatures(features);
}

function bindEditions() {
  $('edition').addEventListener('change', (ev) => loadEditions(Number(ev.target.value)));
  $('new-edition').addEventListener('click', async () => {
    const made = await api('POST', `/api/groups/${state.group.id}/editions`, {});
    state.group.edition = made.edition;
    await loadEditions(made.edition);
  });
}

// ---- the features on the map and in the list ------------------------------------------------

function symbol(type) {
  return `<span class="sym" style="color:${TYPES[type].colour}">${TYPES[type].symbol}</span>`;
}

function byId(id) {
  return state.features.features.find((f) => f.id === id);
}

function nameOf(f) {
  if (!f) return '（不明）';
  const p = f.properties;
  return p.type === 'note' ? `困りごと：${p.category ?? ''}` : (p.label || `（${state.meta.support_map.types[p.type].label}）`);
}

function setFeatures(collection) {
  state.features = collection;
  state.map.getSource('features').setData(collection);
  for (const marker of state.labels) marker.remove();
  state.labels = collection.features
    .filter((f) => f.geometry?.type === 'Point')
    .map((f) => {
      const el = document.createElement('div');
      el.className = 'map-label';
      el.textContent = nameOf(f);
      return new maplibregl.Marker({ element: el, anchor: 'bottom', offset: [0, -11] }).setLngLat(f.geometry.coordinates).addTo(state.map);
    });
  renderList();
}

const CHANGE_BADGES = { added: '<span class="badge">新</span>', changed: '<span class="badge">変更</span>' };

function changeBadge(f) {
  return CHANGE_BADGES[f.properties.change] ?? '';
}

function renderList() {
  if (!state.group) return;
  const editable = state.edition === state.group.edition && state.group.role !== 'viewer';
  const types = state.meta.support_map.types;
  const sections = Object.keys(TYPES).map((type) => {
    const rows = state.features.features.filter((f) => f.properties.type === type).map((f) => {
      const p = f.properties;
      const what = type === 'link'
        ? `${esc(nameOf(byId(p.from)))} → ${esc(nameOf(byId(p.to)))}（${esc(p.kind)}）`
        : `${esc(nameOf(f))}${p.tags?.length && type !== 'note' ? `<br><small>${p.tags.map(esc).join('・')}</small>` : ''}`;
      const edit = editable ? `<button type="button" data-edit="${f.id}">直す</button>` : '';
      return `<tr data-feature="${f.id}"><td>${symbol(type)} ${what}${changeBadge(f)}</td><td>${esc(p.note)}</td><td>${edit}</td></tr>`;
    });
    return rows.length ? `<h3>${types[type].label}（${rows.length}）</h3><table>${rows.join('')}</table>` : '';
  });
  const gone = state.features.removed ?? [];
  const removed = gone.length
    ? `<h3>前の年度から消えたもの（${gone.length}）</h3><p class="muted">${gone.map((f) => esc(nameOf(f))).join('、')}</p>` : '';
  $('list').innerHTML = sections.join('') + removed || '<p class="muted">まだ何も描かれていません。</p>';
}

function bindList() {
  $('list').addEventListener('click', (ev) => {
    const id = Number(ev.target.dataset?.edit);
    if (id) openForm(byId(id));
  });
}

// ---- drawing --------------------------------------------------------------------------------

function setTool(tool) {
  state.tool = tool;
  state.linkFrom = null;
  for (const b of document.querySelectorAll('#tools button')) b.setAttribute('aria-pressed', String(b.dataset.tool === tool));
  state.draw.clear();
  state.draw.setMode(tool && tool !== 'link' ? 'point' : 'static');
  $('hint').textContent = !tool ? '道具を選んで地図をクリックしてください。'
    : tool === 'link' ? 'つなぐ二人（または場所）を順にクリックしてください。'
      : `地図をクリックして${state.meta.support_map.types[tool].label}の位置を置いてください。`;
}

function bindTools() {
  for (const b of document.querySelectorAll('#tools button')) {
    b.addEventListener('click', () => setTool(state.tool === b.dataset.tool ? null : b.dataset.tool));
  }
  state.map.on('click', 'points', (ev) => {
    const f = byId(ev.features[0].id);
    if (!f) return;
    if (state.tool === 'link') {
      if (f.properties.type === 'note') return;
      if (!state.linkFrom) {
        state.linkFrom = f;
        $('hint').textContent = `${nameOf(f)} から：つなぐ相手をクリックしてください。`;
      } else if (state.linkFrom.id !== f.id) {
        openForm(null, 'link', { from: state.linkFrom.id, to: f.id });
      }
    } else if (!state.tool) {
      openForm(f);
    }
  });
  for (const layer of ['points', 'links']) {
    state.map.on('mouseenter', layer, () => { state.map.getCanvas().style.cursor = 'pointer'; });
    state.map.on('mouseleave', layer, () => { state.map.getCanvas().style.cursor = ''; });
  }
}

function onDrawFinish(id) {
  const drawn = state.draw.getSnapshot().find((f) => f.id === id);
  if (!drawn) return;
  if (drawn.geometry.type === 'Polygon') {
    state.onPolygon?.(drawn.geometry);
    return;
  }
  if (state.tool && state.tool !== 'link') openForm(null, state.tool, { at: drawn.geometry.coordinates });
}

// ---- the feature form -----------------------------------------------------------------------

function openForm(feature, type = feature?.properties.type, extra = {}) {
  const editable = state.edition === state.group.edition && state.group.role !== 'viewer';
  if (!editable) return;
  state.editing = { feature, type, ...extra };
  const vocabulary = state.meta.support_map.types[type];
  const p = feature?.properties ?? {};
  $('form-title').textContent = `${vocabulary.label}${feature ? 'を直す' : 'を加える'}`;
  show('label-row', type !== 'note' && type !== 'link');
  $('f-label').value = p.label ?? '';
  $('f-label').maxLength = state.meta.support_map.label_chars;
  $('f-label').placeholder = type === 'person' ? '例：Aさん、田中のおばあちゃん → 「T」' : '';
  const one = type === 'note' || type === 'link';
  const chosen = new Set(p.tags ?? []);
  $('f-tags').innerHTML = vocabulary.values
    .map((v, i) => `<label><input type="${one ? 'radio' : 'checkbox'}" name="tag" value="${esc(v)}" ${chosen.has(v) || (one && !feature && i === 0) ? 'checked' : ''}>${esc(v)}</label>`)
    .join('');
  $('f-note').value = p.note ?? '';
  show('f-delete', Boolean(feature));
  show('f-all-row', Boolean(feature) && state.group.role === 'owner' && state.editions.length > 1);
  $('f-all').checked = false;
  $('form-error').textContent = '';
  show('feature-form', true);
  (type === 'note' || type === 'link' ? $('f-note') : $('f-label')).focus();
}

function closeForm() {
  state.editing = null;
  show('feature-form', false);
  setTool(state.tool === 'link' ? 'link' : null);
}

function formFeature() {
  const { feature, type, at, from, to } = state.editing;
  const tags = [...document.querySelectorAll('#f-tags input:checked')].map((i) => i.value);
  const properties = { type, label: $('f-label').value, tags, note: $('f-note').value };
  if (type === 'link') {
    properties.from = from ?? feature.properties.from;
    properties.to = to ?? feature.properties.to;
    return { type: 'Feature', geometry: null, properties };
  }
  const coordinates = at ?? feature.geometry.coordinates;
  return { type: 'Feature', geometry: { type: 'Point', coordinates }, properties };
}

function bindForm() {
  $('feature-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { feature } = state.editing;
    const g = state.group.id;
    try {
      if (feature) await api('PUT', `/api/groups/${g}/features/${feature.id}`, formFeature());
      else await api('POST', `/api/groups/${g}/features`, formFeature());
      closeForm();
      await loadEditions(state.edition);
    } catch (e) {
      $('form-error').textContent = e.message;
    }
  });
  $('f-cancel').addEventListener('click', closeForm);
  $('f-delete').addEventListener('click', async () => {
    const { feature } = state.editing;
    const everywhere = $('f-all').checked;
    if (!window.confirm(`${nameOf(feature)} を${everywhere ? 'すべての年度から' : 'この年度から'}消します。元に戻せません。`)) return;
    try {
      await api('DELETE', `/api/groups/${state.group.id}/features/${feature.id}${everywhere ? '?editions=all' : ''}`);
      closeForm();
      await loadEditions(state.edition);
    } catch (e) {
      $('form-error').textContent = e.message;
    }
  });
}

// ---- members --------------------------------------------------------------------------------

async function loadMembers() {
  const { members } = await api('GET', `/api/groups/${state.group.id}/members`);
  $('members').innerHTML = members.map((m) => `<li>${esc(m.name)}（${GROUP_ROLE_LABELS[m.role]}） <button type="button" data-remove="${esc(m.name)}">外す</button></li>`).join('');
}

function bindMembers() {
  $('member-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    $('member-error').textContent = '';
    try {
      await api('POST', `/api/groups/${state.group.id}/members`, { name: form.get('name'), role: form.get('role') });
      ev.target.reset();
      await loadMembers();
    } catch (e) {
      $('member-error').textContent = e.message;
    }
  });
  $('members').addEventListener('click', async (ev) => {
    const name = ev.target.dataset?.remove;
    if (!name) return;
    try {
      await api('DELETE', `/api/groups/${state.group.id}/members?name=${encodeURIComponent(name)}`);
      await loadMembers();
    } catch (e) {
      $('member-error').textContent = e.message;
    }
  });
}

// ---- printing -------------------------------------------------------------------------------

function legendHtml() {
  const types = state.meta.support_map.types;
  return Object.keys(TYPES)
    .map((t) => `<span class="legend-item">${symbol(t)}${types[t].label}</span>`)
    .join('') + '<span class="legend-item" style="color:#2a7">┅ グループの範囲</span>';
}

async function printA3() {
  const today = new Date().toLocaleDateString('ja-JP', { year: 'numeric', month: 'long', day: 'numeric' });
  $('print-title').textContent = `${state.group.name} 支え合いマップ`;
  $('print-meta').textContent = `${state.edition}年度版・${today}印刷・グループ内の話し合い用（持ち出さないでください）`;
  $('print-legend').innerHTML = legendHtml();
  document.body.classList.add('printing');
  state.map.resize();
  fitToArea(60);
  await state.map.once('idle');
  window.print();
}

function bindPrint() {
  $('print').addEventListener('click', printA3);
  window.addEventListener('afterprint', () => {
    document.body.classList.remove('printing');
    state.map.resize();
  });
}

// ---- start ----------------------------------------------------------------------------------

async function main() {
  const [meta, base] = await Promise.all([api('GET', '/api/meta'), api('GET', '/tiles/base.json')]);
  state.meta = meta;
  if (meta.dataset.fictional) show('banner', true);
  const [w, s, e, n] = base.bounds;
  const map = new maplibregl.Map({
    container: 'map',
    style: style(base),
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: 30 },
    attributionControl: { compact: false, customAttribution: base.attribution },
    // Kept so that the printed page shows the map, not an empty canvas.
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  state.map = map;
  window.map = map;
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  await map.once('load');
  state.draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [new TerraDrawPointMode(), new TerraDrawPolygonMode()],
  });
  state.draw.start();
  state.draw.setMode('static');
  state.draw.on('finish', onDrawFinish);
  bindLogin();
  bindGroupForm();
  bindEditions();
  bindTools();
  bindForm();
  bindList();
  bindMembers();
  bindPrint();
  await refreshMe();
  fillAreaChoices().catch((err) => console.warn('areas', err));
  // The map may have gone idle while the panel loaded; then there is no further idle to wait for.
  if (!map.loaded()) await map.once('idle');
  state.ready = true;
}

main().catch((e) => {
  console.error('sasaeai support map failed', e);
  document.getElementById('panel').insertAdjacentHTML('beforeend', `<p class="error">地図を開けません：${esc(e.message)}</p>`);
});
