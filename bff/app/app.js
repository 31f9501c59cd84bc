// The mobile web app: a hash router over a few screens, no framework. Text from the server is
// only ever set as textContent (search snippets' <em> marks are rebuilt as elements), so nothing
// the API returns can run as markup.
import { randomVerifier, challengeS256, authorizeURL, tokenRequestBody, readCallback } from '/app/assets/pkce.js';
import { deepLink } from '/app/assets/links.js';

const $main = document.getElementById('main');
const $offline = document.getElementById('offline');
const store = window.localStorage;
const TOKEN = 'shebao.token';
const ELDER = 'shebao.elder';

const state = {
  token: store.getItem(TOKEN) || '',
  config: null,
  me: null,
  signinNotice: '',
  voice: { rate: 1, voice: 'female' },
};

// h builds an element: attrs are properties/attributes, children strings or nodes.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) el.append(k.nodeType ? k : String(k));
  return el;
}
const notice = (text, warn) => h('p', { class: warn ? 'notice warn' : 'notice', role: 'status' }, text);

// ApiError carries the server's stable code and Chinese message.
class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

function setOffline(on) { $offline.hidden = !on; }
window.addEventListener('online', () => setOffline(false));
window.addEventListener('offline', () => setOffline(true));

// api calls the server. A refused sign-in (401) sends the person back to sign-in with a plain
// sentence; a network failure shows the offline banner; a saved copy from the service worker
// shows it too.
async function api(path, { method = 'GET', body, auth = true, raw = false, headers = {} } = {}) {
  const hd = { ...headers };
  if (auth && state.token) hd.Authorization = 'Bearer ' + state.token;
  if (body !== undefined && !(body instanceof Blob)) hd['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers: hd, body: body === undefined ? undefined : body instanceof Blob ? body : JSON.stringify(body) });
  } catch (_) {
    setOffline(true);
    throw new ApiError(0, 'offline', '网络已断开，请稍后再试。');
  }
  setOffline(res.headers.get('X-Shebao-Offline') === '1');
  if (res.status === 401 && auth && state.token) {
    signOut('登录已失效，请重新登录。');
    throw new ApiError(401, 'unauthenticated', '登录已失效，请重新登录。');
  }
  if (raw && res.ok) return res;
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || 'http_' + res.status, e.message || '服务暂时不可用，请稍后再试。');
  }
  return data;
}

// unavailable is the notice for a feature whose endpoint this server does not have yet (404).
const unavailable = (what) => notice(what + '暂未开通，请稍后再来看看；也可以拨打 12333 咨询。', true);
const failed = (e) => notice(e.status === 0 ? '网络已断开，请连网后再试。' : e.message, true);

function signOut(why) {
  state.token = '';
  state.me = null;
  store.removeItem(TOKEN);
  forgetChat();
  state.signinNotice = why || '';
  if (why) location.hash = '#/signin';
}

// --- elder mode ----------------------------------------------------------------------------

const isElder = () => document.documentElement.classList.contains('elder');
function setElder(on, remember = true) {
  document.documentElement.classList.toggle('elder', on);
  if (remember) store.setItem(ELDER, on ? '1' : '0');
}
// ageFrom reads a YYYY-MM birth month; the profile decides the default of 长辈模式 (65+).
function ageFrom(birthMonth, now = new Date()) {
  const m = /^(\d{4})-(\d{2})/.exec(birthMonth || '');
  if (!m) return null;
  let age = now.getFullYear() - Number(m[1]);
  if (now.getMonth() + 1 < Number(m[2])) age--;
  return age;
}
if (store.getItem(ELDER) !== null) setElder(store.getItem(ELDER) === '1', false);

// --- router --------------------------------------------------------------------------------

const routes = [
  [/^\/?$/, home], [/^\/search$/, search], [/^\/guide\/([^/]+)$/, guide], [/^\/chat$/, chat],
  [/^\/apps$/, apps], [/^\/apps\/([^/]+)$/, appDetail], [/^\/inbox$/, inbox], [/^\/settings$/, settings], [/^\/signin$/, signin],
];
let leave = null; // the current screen's cleanup (sockets, streams)

async function route() {
  if (leave) { try { leave(); } catch (_) { /* ignore */ } leave = null; }
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p, qs] = raw.split('?');
  const q = new URLSearchParams(qs || '');
  const tab = { '': 'home', search: 'search', guide: 'search', chat: 'chat', apps: 'apps', inbox: 'settings', settings: 'settings', signin: 'settings' }[p.split('/')[1] || ''];
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.dataset.tab === tab) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [re, fn] of routes) {
    const m = re.exec(p);
    if (!m) continue;
    $main.replaceChildren(h('p', { class: 'loading' }, '正在加载…'));
    try {
      await fn(q, ...m.slice(1).map(decodeURIComponent));
    } catch (e) {
      $main.replaceChildren(h('h1', {}, '出了点问题'), failed(e), h('a', { class: 'btn block', href: '#/' }, '回到首页'));
    }
    document.body.dataset.screen = tab || 'home';
    return;
  }
  $main.replaceChildren(h('h1', {}, '页面不存在'), h('a', { class: 'btn block', href: '#/' }, '回到首页'));
}

function screen(title, ...kids) {
  document.title = title + ' - 陕西社保';
  $main.replaceChildren(h('h1', {}, title), ...kids);
  $main.focus({ preventScroll: true });
}

// --- 首页 ---------------------------------------------------------------------------------

async function savedGuides() {
  if (!('caches' in window)) return [];
  try {
    const c = await caches.open('shebao-guides');
    const out = [];
    for (const req of (await c.keys()).reverse()) {
      const res = await c.match(req);
      const g = await res.json();
      out.push({ code: g.code, name: g.name });
    }
    return out;
  } catch (_) { return []; }
}

async function home() {
  const kids = [];
  const ask = h('a', { class: 'btn primary block', href: '#/chat' }, isElder() ? '按一下，说出您要办的事' : '问一问（可以打字或说话）');
  if (state.token) {
    try {
      const d = await api('/api/v1/me/home');
      kids.push(h('p', {}, (d.name ? d.name + '，' : '') + '您好'), ask);
      kids.push(h('h2', {}, '常用服务'), h('div', { class: 'grid' }, (d.services || []).map((s) => h('a', { href: '#/guide/' + encodeURIComponent(s.code) }, s.name))));
      kids.push(h('h2', {}, '我的办件'), (d.in_progress || []).length ? h('ul', { class: 'list' }, d.in_progress.map(appItem)) : h('p', { class: 'muted' }, '没有正在办理的事项。'));
      kids.push(h('h2', {}, '提醒'), (d.reminders || []).length ? h('ul', { class: 'list' }, d.reminders.map((r) => h('li', {}, h('a', { href: '#/guide/' + encodeURIComponent(r.guide_code) }, h('span', { class: 'title' }, (r.urgent ? '【急】' : '') + r.title), h('span', {}, r.detail + (r.due_on ? '（' + r.due_on + '）' : '')))))) : h('p', { class: 'muted' }, '暂无提醒。'));
      kids.push(h('h2', {}, '消息'), h('a', { class: 'btn block', href: '#/inbox' }, '消息中心', d.unread_notices ? h('span', { class: 'badge', 'aria-label': d.unread_notices + '条未读' }, String(d.unread_notices)) : null));
      screen('首页', ...kids);
      return;
    } catch (e) {
      if (e.status !== 404) throw e;
      kids.push(unavailable('个人首页'));
    }
  }
  kids.push(ask, h('a', { class: 'btn block', href: '#/search' }, '搜索办事指南'));
  if (!state.token) kids.push(h('a', { class: 'btn block', href: '#/signin' }, '登录，查看我的办件和提醒'));
  // The first screen is usable at once; the categories fill in when they arrive.
  const more = h('div', { id: 'home-more' });
  screen('陕西社保', ...kids, more);
  try {
    const cats = await api('/api/v1/categories', { auth: false });
    more.append(h('h2', {}, '按险种查找'), h('div', { class: 'grid' }, cats.categories.map((c) => h('a', { href: '#/search?category=' + c.category }, c.name + '（' + c.count + '）'))));
  } catch (e) {
    const saved = await savedGuides();
    more.append(h('h2', {}, '保存在手机上的指南'), saved.length ? h('ul', { class: 'list', id: 'saved' }, saved.map((g) => h('li', {}, h('a', { href: '#/guide/' + encodeURIComponent(g.code) }, h('span', { class: 'title' }, g.name))))) : h('p', { class: 'muted' }, '还没有保存的指南：连网时读过的指南会保存在这里。'));
  }
}

// --- 搜索 ---------------------------------------------------------------------------------

// snippet rebuilds a search snippet: only the <em> marks the server adds become elements.
function snippet(s) {
  const out = h('span', { class: 'snippet' });
  const parts = String(s || '').split(/<\/?em>/);
  parts.forEach((t, i) => out.append(i % 2 ? h('em', {}, t) : document.createTextNode(t)));
  return out;
}

async function search(q) {
  const query = q.get('q') || '';
  const category = q.get('category') || '';
  const input = h('input', { type: 'search', id: 'q', name: 'q', value: query, placeholder: '例如：社保卡丢了怎么办', autocomplete: 'off', enterkeyhint: 'search', 'aria-label': '搜索办事指南' });
  const sugg = h('ul', { class: 'list', id: 'suggestions', 'aria-label': '搜索建议' });
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  const go = (text) => { location.hash = '#/search?q=' + encodeURIComponent(text); };
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const v = input.value.trim();
    if (!v) { sugg.replaceChildren(); return; }
    timer = setTimeout(async () => {
      try {
        const d = await api('/api/v1/search/suggest?q=' + encodeURIComponent(v), { auth: false });
        if (input.value.trim() !== v) return;
        sugg.replaceChildren(...(d.suggestions || []).slice(0, 6).map((s) => h('li', {}, h('button', { class: 'link', type: 'button', onclick: () => go(s.text) }, h('span', { class: 'title' }, s.text), h('span', { class: 'muted' }, s.title || '')))));
      } catch (_) { sugg.replaceChildren(); }
    }, 150);
  });
  const form = h('form', { role: 'search', onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) go(input.value.trim()); } },
    h('div', { class: 'row' }, input, h('button', { class: 'primary', type: 'submit' }, '搜索')));
  screen('搜索', form, sugg, results);
  if (!query && !category) { input.focus(); return; }
  try {
    const d = query
      ? await api('/api/v1/search?q=' + encodeURIComponent(query), { auth: false })
      : await api('/api/v1/guides?limit=50&category=' + encodeURIComponent(category), { auth: false });
    const items = query ? d.results : d.items.map((g) => ({ code: g.code, title: g.name, snippet: g.summary }));
    const kids = [];
    if (d.corrected_query) kids.push(notice('已按“' + d.corrected_query + '”为您搜索（您输入的是“' + query + '”）。'));
    if (!items.length) kids.push(h('p', {}, '没有找到相关的办事指南。换个说法试试，或者'), h('a', { class: 'btn block', href: '#/chat' }, '问一问'));
    kids.push(h('ul', { class: 'list' }, items.map((r) => h('li', {}, h('a', {
      href: '#/guide/' + encodeURIComponent(r.code),
      onclick: () => { if (d.query_id) api('/api/v1/search/click', { method: 'POST', auth: false, body: { query_id: d.query_id, code: r.code } }).catch(() => {}); },
    }, h('span', { class: 'title' }, r.title), snippet(r.snippet))))));
    results.replaceChildren(...kids);
  } catch (e) { results.replaceChildren(failed(e)); }
}

// --- 办事指南 -------------------------------------------------------------------------------

const CHANNEL = { mobile: '手机办理', online: '网上办理', window: '窗口办理', offline: '窗口办理', phone: '电话办理', mail: '邮寄办理', self_service: '自助终端' };

function section(id, title, ...kids) { return h('section', { class: 'el', id: 'el-' + id, 'aria-labelledby': 'h-' + id }, h('h2', { id: 'h-' + id }, title), ...kids); }

async function guide(q, code) {
  const city = q.get('city') || '';
  const g = await api('/api/v1/guides/' + encodeURIComponent(code) + (city ? '?city=' + encodeURIComponent(city) : ''), { auth: false }).catch((e) => {
    if (e.status === 404) return null;
    throw e;
  });
  if (!g) { screen('未找到该办事指南', h('a', { class: 'btn block', href: '#/search' }, '去搜索')); return; }
  const mats = (g.materials || []).filter((m) => !m.waived);
  const waived = (g.materials || []).filter((m) => m.waived);
  const key = 'shebao.check.' + g.code;
  const checked = new Set(JSON.parse(store.getItem(key) || '[]'));
  const kids = [];
  if (!$offline.hidden) kids.push(notice('当前没有网络：这是上次保存的内容，可能不是最新的。', true));
  // 一次性告知: everything needed, at once, before the details.
  kids.push(h('div', { class: 'tell', id: 'el-notice' }, h('h2', {}, '一次性告知'),
    h('p', {}, g.summary),
    h('dl', {},
      h('dt', {}, '要带材料'), h('dd', {}, mats.length ? mats.length + ' 项（见下方清单）' : '不需要提交材料'),
      h('dt', {}, '跑几次'), h('dd', {}, g.visits === 0 ? '一次不用跑' : '最多跑 ' + g.visits + ' 次'),
      h('dt', {}, '多久办好'), h('dd', {}, (g.time_limit && (g.time_limit.promised || g.time_limit.statutory)) || '—'),
      h('dt', {}, '收费'), h('dd', {}, (g.fee && g.fee.standard) || (g.fee && g.fee.charged ? '收费' : '不收费')),
      h('dt', {}, '咨询电话'), h('dd', {}, h('a', { href: 'tel:' + (g.phone || '12333') }, g.phone || '12333')))));
  kids.push(h('a', { class: 'btn primary block', href: '#/chat?about=' + encodeURIComponent(g.code) }, '问一问这件事'));
  if ((g.conditions || []).length) kids.push(section('conditions', '受理条件', h('ul', {}, g.conditions.map((c) => h('li', {}, c)))));
  kids.push(section('materials', '申请材料（逐项打勾）', mats.length ? h('div', {}, mats.map((m, i) => {
    const id = 'm-' + i;
    const box = h('input', { type: 'checkbox', id, checked: checked.has(m.name), onchange: () => { box.checked ? checked.add(m.name) : checked.delete(m.name); store.setItem(key, JSON.stringify([...checked])); } });
    return h('label', { class: 'check', for: id }, box, h('span', {}, h('strong', {}, m.name), ' ' + [m.form, m.copies ? m.copies + '份' : '', m.source].filter(Boolean).join('，'), m.note ? h('span', { class: 'muted' }, '（' + m.note + '）') : null));
  })) : h('p', {}, '不需要提交材料。'), waived.length ? h('p', { class: 'muted' }, '不用交：' + waived.map((m) => m.name + (m.waived_note ? '（' + m.waived_note + '）' : '')).join('；')) : null));
  if ((g.steps || []).length) kids.push(section('steps', '办理流程', h('ol', { class: 'steps' }, g.steps.map((s) => h('li', {}, h('strong', {}, s.title), h('p', {}, s.detail))))));
  if ((g.channels || []).length) kids.push(section('channels', '办理方式', h('ul', {}, g.channels.map((c) => h('li', {}, (CHANNEL[c.type] || c.type) + '：' + c.where)))));
  if ((g.locations || []).length) kids.push(section('locations', '办理地点和时间', h('ul', {}, g.locations.map((l) => h('li', {}, h('strong', {}, l.name), l.address ? '，' + l.address : '', h('br'), l.hours)))));
  if ((g.variants || []).length) kids.push(section('variants', '各市规定', h('ul', {}, g.variants.map((v) => h('li', {}, h('a', { href: '#/guide/' + encodeURIComponent(g.code) + '?city=' + encodeURIComponent(v.city) }, v.city), v.note ? '：' + v.note : '')))));
  kids.push(section('time_limit', '办理时限', h('p', {}, '法定时限：' + ((g.time_limit || {}).statutory || '—') + '；承诺时限：' + ((g.time_limit || {}).promised || '—'))));
  kids.push(section('visits', '到现场次数', h('p', {}, g.visits === 0 ? '零跑动' : g.visits + ' 次')));
  kids.push(section('fee', '收费标准', h('p', {}, (g.fee || {}).standard || '不收费')));
  if (g.delivery) kids.push(section('delivery', '结果送达', h('p', {}, g.delivery)));
  kids.push(section('phone', '咨询电话', h('a', { class: 'btn', href: 'tel:' + (g.phone || '12333') }, '拨打 ' + (g.phone || '12333'))));
  if (g.complaint) kids.push(section('complaint', '监督投诉渠道', h('p', {}, g.complaint)));
  if ((g.basis || []).length) kids.push(section('basis', '设定依据', h('ul', {}, g.basis.map((b) => h('li', {}, b.law + (b.article ? ' ' + b.article : ''), b.text ? h('span', { class: 'muted' }, '：' + b.text) : null)))));
  if ((g.faq || []).length) kids.push(section('faq', '常见问题', ...g.faq.map((f) => h('details', {}, h('summary', {}, f.q), h('p', {}, f.a)))));
  if (state.token) {
    kids.push(h('button', { class: 'block', type: 'button', onclick: async (e) => {
      try { await api('/api/v1/me/follows/' + encodeURIComponent(g.code), { method: 'POST' }); e.target.textContent = '已关注：有变化时提醒您'; e.target.disabled = true; } catch (err) { e.target.replaceWith(err.status === 404 ? unavailable('关注') : failed(err)); }
    } }, '关注这件事（有变化时提醒我）'));
  }
  kids.push(section('summary', '简述', h('p', {}, g.summary)));
  screen(g.name, ...kids);
  const el = q.get('el');
  const target = el && document.getElementById('el-' + el);
  if (target) { target.classList.add('hl'); target.scrollIntoView({ block: 'start' }); }
}

// --- 问一问 (chat) --------------------------------------------------------------------------

// chatSession keeps one WebSocket across reconnects: the session id and the highest seq are
// kept, unanswered messages are resent with their ids (the server ignores repeats).
const chatState = { sessionId: sessionStorage.getItem('shebao.chat.session') || '', lastSeq: Number(sessionStorage.getItem('shebao.chat.seq') || 0), anonymous: sessionStorage.getItem('shebao.chat.anon') === '1', log: [], pending: null, ready: null };

// forgetChat starts the next chat afresh: a signed-in session must not outlive the sign-out, and
// another person's must not be resumed. Signing in keeps an anonymous chat: the signed-in hello
// with its session id adopts it (PROTOCOL.md, ready.adopted).
function forgetChat() {
  Object.assign(chatState, { sessionId: '', lastSeq: 0, anonymous: false, log: [], pending: null });
  sessionStorage.removeItem('shebao.chat.session');
  sessionStorage.removeItem('shebao.chat.seq');
  sessionStorage.removeItem('shebao.chat.anon');
}

async function chat(q) {
  const list = h('div', { class: 'chat', id: 'chat', 'aria-live': 'polite' });
  const input = h('input', { id: 'ask', type: 'text', placeholder: '请输入您的问题', 'aria-label': '您的问题', enterkeyhint: 'send', maxlength: 500 });
  const send = h('button', { class: 'primary', type: 'submit' }, '发送');
  const mic = h('button', { class: 'mic', type: 'button', 'aria-label': '语音：按一下说话' }, '语音');
  const status = h('p', { class: 'muted', role: 'status', id: 'chat-status' });
  const speakToggle = h('input', { type: 'checkbox', id: 'speak', checked: store.getItem('shebao.speak') === '1' || (isElder() && store.getItem('shebao.speak') !== '0'), onchange: () => store.setItem('shebao.speak', speakToggle.checked ? '1' : '0') });
  const form = h('form', { class: 'compose', onsubmit: (e) => { e.preventDefault(); const t = input.value.trim(); if (t) { ask(t); input.value = ''; } } }, isElder() ? [mic, input, send] : [input, mic, send]);
  screen('问一问', status, list, form, h('label', { class: 'toggle', for: 'speak' }, '读出回答', speakToggle));
  let ws = null, closed = false, retry = 0, bubbles = new Map();

  const scroll = () => form.scrollIntoView({ block: 'end' });
  const addMsg = (cls, text) => { const b = h('div', { class: 'msg ' + cls }, text); list.append(b); scroll(); return b; };
  // replay the visible log of this tab (the server replays what we missed while away)
  for (const m of chatState.log) render(m, true);

  function ask(text, id) {
    const mid = id || 'm' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    chatState.pending = { id: mid, text };
    const ev = { type: 'mine', id: mid, text };
    chatState.log.push(ev);
    render(ev);
    trySend({ type: 'message', id: mid, text });
  }
  function trySend(frame) {
    if (ws && ws.readyState === 1 && chatState.ready) ws.send(JSON.stringify(frame));
  }
  function speak(ev) {
    if (!speakToggle.checked) return;
    const text = ev.speakable || ev.text;
    if (ev.audio_url) { new Audio(ev.audio_url).play().catch(() => {}); return; }
    api('/api/v1/voice/speak', { method: 'POST', body: { text: text.slice(0, 500), rate: state.voice.rate, elder: isElder() }, raw: true }).then(async (res) => {
      const url = URL.createObjectURL(await res.blob());
      new Audio(url).play().catch(() => {});
    }).catch(() => {
      if ('speechSynthesis' in window) { const u = new SpeechSynthesisUtterance(text); u.lang = 'zh-CN'; u.rate = state.voice.rate || 1; speechSynthesis.speak(u); }
    });
  }
  function render(ev, replay) {
    switch (ev.type) {
      case 'mine': addMsg('me', ev.text); break;
      case 'heard': addMsg('heard', ev.heard === false ? (ev.message || '没听清，请再说一遍。') : '听到：' + ev.text); break;
      case 'delta': {
        let b = bubbles.get(ev.reply_to);
        if (!b) { b = addMsg('bot', ''); bubbles.set(ev.reply_to, b); }
        b.textContent += ev.text; scroll(); break;
      }
      case 'answer': case 'handoff': case 'form': {
        let b = bubbles.get(ev.reply_to);
        if (!b || b.dataset.done) { b = addMsg('bot', ''); }
        b.dataset.done = '1';
        bubbles.set(ev.reply_to, b);
        b.replaceChildren(ev.type === 'handoff' ? '建议您直接找人工服务：' : ev.text || '');
        if (ev.type === 'handoff') b.append(h('a', { class: 'btn', href: 'tel:' + (ev.phone || '12333') }, '拨打 ' + (ev.phone || '12333')));
        if (ev.form) b.append(formCard(ev.form, ev.text || ''));
        if ((ev.citations || []).length) b.append(h('div', { class: 'cites' }, '依据：', ev.citations.map((c) => h('a', { class: 'cite', href: '#/guide/' + encodeURIComponent(c.code) + '?el=' + encodeURIComponent(c.element || '') }, '《' + c.title + '》' + (c.label || '')))));
        if ((ev.suggestions || []).length) b.append(h('div', { class: 'suggest' }, ev.suggestions.map((s) => h('button', { type: 'button', onclick: () => ask(s) }, s))));
        if (!replay) speak(ev);
        scroll(); break;
      }
      case 'error': addMsg('bot', ev.message || '出了点问题，请再试一次。'); break;
    }
  }
  // formCard shows a guided form turn: where we are, what is asked, and the answers read back.
  function formCard(f, text) {
    // a value read back (“…，对吗？”) or a summary page is answered 对 / 不对
    const readBack = f.state === 'confirming' || (f.state === 'asking' && /对吗|对不对/.test(text));
    const card = h('div', { class: 'formcard', 'data-state': f.state, 'data-field': f.field ? JSON.stringify(f.field) : '' }, h('h3', {}, f.title || '填表'));
    if (f.progress) card.append(h('progress', { max: f.progress[1], value: f.progress[0], 'aria-label': '已填 ' + f.progress[0] + ' 项，共 ' + f.progress[1] + ' 项' }));
    if (f.field) {
      card.append(h('p', {}, h('strong', {}, f.field.label), f.field.hint ? h('span', { class: 'muted' }, '（' + f.field.hint + '）') : null));
      const opts = readBack ? [] : /^yes_?no$/.test(f.field.kind) ? [{ label: '是' }, { label: '否' }] : f.field.options || [];
      if (opts.length) card.append(h('div', { class: 'suggest' }, opts.map((o) => h('button', { type: 'button', onclick: () => ask(o.label) }, o.label))));
    }
    if ((f.values || []).length) card.append(h('dl', { class: 'readback' }, f.values.flatMap((v) => [h('dt', {}, v.label), h('dd', {}, v.value)])));
    if (readBack) card.append(h('div', { class: 'suggest' }, h('button', { class: 'primary', type: 'button', onclick: () => ask('对') }, '对'), h('button', { type: 'button', onclick: () => ask('不对') }, '不对')));
    if (f.state === 'submitted' && f.application_id) card.append(h('a', { class: 'btn block', href: '#/apps/' + encodeURIComponent(f.application_id) }, '查看办理进度'));
    return card;
  }

  function connect() {
    if (closed) return;
    const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(proto + location.host + '/api/v1/chat');
    chatState.ready = null;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'hello', token: state.token || undefined, session_id: chatState.sessionId || undefined, last_seq: chatState.lastSeq, elder_mode: isElder(), speech: speakToggle.checked, locale: 'zh-CN' }));
    };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch (_) { return; }
      if (ev.seq && ev.seq < chatState.lastSeq && ['answer', 'handoff', 'form'].includes(ev.type)) return;
      if (ev.type === 'ready') {
        retry = 0; chatState.ready = ev; status.textContent = '';
        setOffline(false);
        chatState.sessionId = ev.session_id; sessionStorage.setItem('shebao.chat.session', ev.session_id);
        chatState.anonymous = !!ev.anonymous; sessionStorage.setItem('shebao.chat.anon', ev.anonymous ? '1' : '0');
        if (ev.voice && ev.voice.rate) state.voice.rate = ev.voice.rate;
        if (chatState.pending) ws.send(JSON.stringify({ type: 'message', id: chatState.pending.id, text: chatState.pending.text }));
        else if (q.get('about') && !chatState.log.length) status.textContent = '可以问这件事要带什么、去哪里办、多久办好。';
        return;
      }
      if (ev.type === 'pong' || ev.type === 'notice') { if (ev.type === 'notice') addMsg('bot', ev.text); return; }
      if (ev.seq && ['answer', 'handoff', 'form'].includes(ev.type)) { chatState.lastSeq = Math.max(chatState.lastSeq, ev.seq); sessionStorage.setItem('shebao.chat.seq', String(chatState.lastSeq)); }
      if (ev.type === 'error' && ev.code === 'session_not_found') { chatState.sessionId = ''; return; }
      // the server that was answering stopped: the message is sent again, same id (PROTOCOL.md)
      if (ev.type === 'error' && ev.code === 'turn_interrupted') {
        chatState.lastSeq = Math.max(chatState.lastSeq, ev.seq || 0); sessionStorage.setItem('shebao.chat.seq', String(chatState.lastSeq));
        if (chatState.pending && chatState.pending.id === ev.reply_to) trySend({ type: 'message', id: chatState.pending.id, text: chatState.pending.text });
        return;
      }
      // rate_limited keeps the message (PROTOCOL.md): it is sent again, same id, when the server says
      if (ev.type === 'error' && ev.code === 'rate_limited' && chatState.pending && chatState.pending.id === ev.reply_to) {
        const p = chatState.pending, wait = Math.max(200, ev.retry_after_ms || 1000);
        status.textContent = '发送太快了，' + Math.ceil(wait / 1000) + ' 秒后自动重发。';
        setTimeout(() => { if (chatState.pending === p) { status.textContent = ''; trySend({ type: 'message', id: p.id, text: p.text }); } }, wait);
        return;
      }
      if (['answer', 'form'].includes(ev.type) || (ev.type === 'error' && ev.reply_to)) { if (chatState.pending && chatState.pending.id === ev.reply_to) chatState.pending = null; }
      if (ev.type !== 'delta') chatState.log.push(ev);
      render(ev);
    };
    ws.onclose = (e) => {
      chatState.ready = null;
      if (closed) return;
      if (e.code === 4001) { signOut('登录已失效，请重新登录。'); return; }
      status.textContent = '连接已断开，正在重新连接…';
      setTimeout(connect, Math.min(10000, 500 * 2 ** retry++));
    };
  }
  connect();
  leave = () => { closed = true; if (ws) ws.close(1000); };
  mic.addEventListener('click', () => listen(mic, status, (text, heard) => {
    if (!heard) { render({ type: 'heard', heard: false }); return; }
    render({ type: 'heard', heard: true, text });
    ask(text);
  }));
  if (q.get('q')) ask(q.get('q'));
  else if (!isElder()) input.focus();
}

// listen records one utterance: MediaRecorder → /voice/transcribe when the server transcribes,
// else the browser's own recogniser; either way the text heard is shown before it is sent.
let recorder = null;
async function listen(btn, status, done) {
  if (recorder) { recorder.stop(); return; }
  const server = chatState.ready && chatState.ready.voice_input;
  const SR = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!server && SR) {
    const r = new SR();
    r.lang = 'zh-CN'; r.interimResults = false;
    btn.classList.add('rec'); status.textContent = '请说话…';
    r.onresult = (e) => done(e.results[0][0].transcript, true);
    r.onerror = () => { status.textContent = '没听清，请再说一遍，或者打字。'; };
    r.onend = () => { btn.classList.remove('rec'); if (status.textContent === '请说话…') status.textContent = ''; };
    r.start();
    return;
  }
  if (!server || !navigator.mediaDevices || !window.MediaRecorder) { status.textContent = '语音输入暂不可用，请打字提问，或者拨打 12333。'; return; }
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (_) { status.textContent = '没有麦克风权限：请在手机设置里允许，或者打字提问。'; return; }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (e) => chunks.push(e.data);
  recorder.onstop = async () => {
    stream.getTracks().forEach((t) => t.stop());
    btn.classList.remove('rec'); recorder = null; status.textContent = '正在识别…';
    try {
      const t = await api('/api/v1/voice/transcribe', { method: 'POST', body: new Blob(chunks, { type: chunks[0] ? chunks[0].type : 'audio/webm' }) });
      status.textContent = '';
      done(t.text, t.heard);
    } catch (e) { status.textContent = e.message; }
  };
  recorder.start();
  btn.classList.add('rec'); status.textContent = '正在听，说完再按一下。';
  setTimeout(() => { if (recorder) recorder.stop(); }, 30000);
}

// --- 我的办件 -------------------------------------------------------------------------------

function appItem(a) {
  return h('li', {}, h('a', { href: '#/apps/' + encodeURIComponent(a.id) }, h('span', { class: 'title' }, a.title || a.guide_name), h('span', {}, a.status_text + (a.next_action ? '：' + a.next_action : ''))));
}

function needSignIn(title) {
  screen(title, h('p', {}, '登录后才能查看。'), h('a', { class: 'btn primary block', href: '#/signin' }, '去登录'));
}

// personal loads path for the signed-in person's screen title, or answers the screen itself and
// gives null: not signed in, or this server has no such API yet.
async function personal(title, path) {
  if (!state.token) { needSignIn(title); return null; }
  try { return await api(path); } catch (e) {
    if (e.status === 404) { screen(title, unavailable(title)); return null; }
    throw e;
  }
}

async function apps() {
  const d = await personal('我的办件', '/api/v1/me/applications');
  if (!d) return;
  screen('我的办件', (d.items || []).length ? h('ul', { class: 'list', id: 'applications' }, d.items.map(appItem)) : h('p', {}, '还没有办件。可以在“问一问”里说“帮我挂失社保卡”来办理。'));
}

async function appDetail(q, id) {
  if (!state.token) return needSignIn('办件进度');
  let a;
  try { a = await api('/api/v1/me/applications/' + encodeURIComponent(id)); } catch (e) {
    if (e.status === 404) return screen('办件进度', e.code === 'not_found' ? unavailable('办件进度') : notice(e.message, true));
    throw e;
  }
  const tl = h('ol', { class: 'timeline', id: 'timeline', 'aria-live': 'polite' });
  const head = h('p', { id: 'app-status' });
  const steps = new Map();
  const draw = () => {
    const all = [...steps.values()].sort((x, y) => x.seq - y.seq);
    tl.replaceChildren(...all.map((s, i) => h('li', { class: i === all.length - 1 ? 'now' : '' }, h('strong', {}, s.status_text || s.status), ' ', h('span', { class: 'muted' }, new Date(s.at).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })), s.detail ? h('p', {}, s.detail) : null, s.office ? h('p', { class: 'muted' }, s.office) : null)));
  };
  const setHead = () => head.replaceChildren(h('strong', {}, a.status_text), a.next_action ? '：' + a.next_action : '');
  for (const s of a.steps || []) steps.set(s.seq, s);
  setHead(); draw();
  screen(a.title || a.guide_name, head, tl, h('a', { class: 'btn block', href: '#/guide/' + encodeURIComponent(a.guide_code) }, '查看办事指南'));
  // live: the progress stream (SSE over fetch, so the token goes in a header). When it ends (a
  // resync: it fell behind; or the connection dropped) the application is read again and the
  // stream reopened, a few times at most.
  const ctl = new AbortController();
  leave = () => ctl.abort();
  const reread = async () => {
    // the stream carries the status code; the detail endpoint has the wording
    a = await api('/api/v1/me/applications/' + encodeURIComponent(id));
    for (const s of a.steps || []) steps.set(s.seq, s);
    setHead(); draw();
  };
  for (let tries = 0; tries < 5 && !ctl.signal.aborted; tries++) {
    try {
      if (tries > 0) { await new Promise((r) => setTimeout(r, 1000 * tries)); await reread(); }
      const res = await fetch('/api/v1/me/events', { headers: { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' }, signal: ctl.signal });
      if (!res.ok || !res.body) return;
      const rd = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await rd.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
          if (!data || !/^event: progress/m.test(block)) continue;
          const st = JSON.parse(data);
          if (st.application_id !== a.id) continue;
          try { await reread(); } catch (_) { steps.set(st.seq, st); setHead(); draw(); }
        }
      }
    } catch (_) { /* left the screen, or the stream or the re-read failed: try again */ }
  }
}

// --- 消息中心 -------------------------------------------------------------------------------

async function inbox() {
  const d = await personal('消息中心', '/api/v1/me/notices');
  if (!d) return;
  const items = d.notices || [];
  screen('消息中心', items.length ? h('ul', { class: 'list', id: 'notices' }, items.map((n) => h('li', { class: n.read_at ? '' : 'unread' }, h('button', {
    class: 'link', type: 'button', onclick: async () => {
      try { await api('/api/v1/me/notices/' + n.id + '/read', { method: 'POST' }); } catch (_) { /* still open it */ }
      if (n.link) location.href = deepLink(n.link, location.origin);
      else route();
    },
  }, h('span', { class: 'title' }, (n.kind_name ? '【' + n.kind_name + '】' : '') + n.title), h('span', {}, n.body))))) : h('p', {}, '没有消息。'));
}

// --- 设置 ---------------------------------------------------------------------------------

function b64ToBytes(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function pushSubscribe(on, out) {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) { out.replaceChildren(notice('这个浏览器不支持消息推送；消息中心照常可用。', true)); return false; }
  const reg = await navigator.serviceWorker.ready;
  const cur = await reg.pushManager.getSubscription();
  if (!on) {
    if (cur) { await api('/api/v1/push/subscriptions', { method: 'DELETE', body: { endpoint: cur.endpoint } }).catch(() => {}); await cur.unsubscribe(); }
    out.replaceChildren(notice('已关闭推送。'));
    return false;
  }
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') { out.replaceChildren(notice('您没有允许通知：手机上不会弹出提醒，消息中心照常可用。可以在浏览器设置里重新允许。', true)); return false; }
  let key;
  try { key = (await api('/api/v1/push/vapid-public-key')).public_key; } catch (e) {
    out.replaceChildren(e.status === 404 ? unavailable('消息推送') : failed(e)); return false;
  }
  const sub = cur || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key) });
  await api('/api/v1/push/subscriptions', { method: 'POST', body: sub.toJSON() });
  out.replaceChildren(notice('已开启推送。'));
  return true;
}

const KINDS = { progress: '办件进度', benefit: '待遇发放', certification: '资格认证提醒', payment: '缴费提醒', guide: '指南更新', retirement: '退休提醒' };

async function settings() {
  const kids = [];
  const elder = h('input', { type: 'checkbox', id: 'elder', checked: isElder(), onchange: () => { setElder(elder.checked); route(); } });
  kids.push(h('label', { class: 'toggle', for: 'elder' }, '长辈模式（大字、语音优先）', elder));
  if (!state.token) {
    kids.push(h('a', { class: 'btn primary block', href: '#/signin' }, '登录'));
    screen('我的', ...kids);
    return;
  }
  kids.push(h('p', { id: 'who' }, '已登录：' + ((state.me && state.me.name) || tokenName())), h('a', { class: 'btn block', href: '#/inbox' }, '消息中心'));
  // push on/off for this phone
  const pushOut = h('div', { id: 'push-status' });
  let pushed = false;
  try { const reg = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration('/app/') : null; pushed = !!(reg && reg.pushManager && await reg.pushManager.getSubscription()); } catch (_) { /* no push here */ }
  const push = h('input', { type: 'checkbox', id: 'push', checked: pushed, onchange: async () => { push.checked = await pushSubscribe(push.checked, pushOut).catch((e) => { pushOut.replaceChildren(failed(e)); return false; }); } });
  if ('Notification' in window && Notification.permission === 'denied') pushOut.replaceChildren(notice('您没有允许通知：手机上不会弹出提醒，消息中心照常可用。', true));
  kids.push(h('h2', {}, '消息推送'), h('label', { class: 'toggle', for: 'push' }, '在这部手机上接收推送', push), pushOut);
  // per-topic switches and quiet hours
  const prefBox = h('div', { id: 'prefs' });
  kids.push(prefBox);
  try {
    const p = await api('/api/v1/me/notification-settings');
    const save = async () => {
      const body = { kinds: {}, quiet_start: qs.value, quiet_end: qe.value };
      for (const k of Object.keys(p.kinds || {})) body.kinds[k] = document.getElementById('kind-' + k).checked;
      try { await api('/api/v1/me/notification-settings', { method: 'PUT', body }); saved.textContent = '已保存'; } catch (e) { saved.textContent = e.message; }
    };
    const qs = h('input', { type: 'time', id: 'quiet-start', value: p.quiet_start || '21:00', onchange: save });
    const qe = h('input', { type: 'time', id: 'quiet-end', value: p.quiet_end || '08:00', onchange: save });
    const saved = h('p', { class: 'muted', role: 'status' });
    prefBox.append(h('h2', {}, '接收哪些消息'), ...Object.entries(p.kinds || {}).map(([k, on]) => h('label', { class: 'toggle', for: 'kind-' + k }, KINDS[k] || k, h('input', { type: 'checkbox', id: 'kind-' + k, checked: on, onchange: save }))),
      h('h2', {}, '免打扰时段'), h('label', { for: 'quiet-start' }, '开始'), qs, h('label', { for: 'quiet-end' }, '结束'), qe, saved);
  } catch (e) { prefBox.append(h('h2', {}, '接收哪些消息'), e.status === 404 ? unavailable('消息设置') : failed(e)); }
  // speech rate
  const voiceBox = h('div', { id: 'voice' });
  kids.push(voiceBox);
  try {
    const v = await api('/api/v1/me/voice' + (isElder() ? '?elder=true' : ''));
    const rate = h('select', { id: 'rate', onchange: async () => { try { const r = await api('/api/v1/me/voice', { method: 'PATCH', body: { rate: Number(rate.value) } }); state.voice.rate = r.rate; } catch (e) { voiceBox.append(failed(e)); } } },
      [['0.7', '很慢'], ['0.8', '慢'], ['1', '正常'], ['1.2', '快']].map(([val, label]) => h('option', { value: val, selected: Math.abs(Number(val) - v.rate) < 0.05 }, label)));
    voiceBox.append(h('h2', {}, '朗读'), h('label', { for: 'rate' }, '语速'), rate);
  } catch (e) { voiceBox.append(h('h2', {}, '朗读'), e.status === 404 ? unavailable('朗读设置') : failed(e)); }
  kids.push(h('button', { class: 'block', type: 'button', onclick: () => { signOut(); location.hash = '#/'; } }, '退出登录'));
  screen('我的', ...kids);
}

// --- 登录 ---------------------------------------------------------------------------------

async function loadConfig() {
  if (!state.config) state.config = await api('/api/v1/app/config', { auth: false }).catch(() => ({ dev: false, oidc: null }));
  return state.config;
}

async function signin() {
  const cfg = await loadConfig();
  const kids = [];
  if (state.signinNotice) kids.push(notice(state.signinNotice, true));
  if (cfg.oidc) kids.push(h('button', { class: 'primary block', type: 'button', onclick: () => oidcStart(cfg.oidc).catch((e) => kids[0].replaceWith(failed(e))) }, '用陕西政务服务账号登录'));
  if (cfg.dev && cfg.accounts) {
    kids.push(h('h2', {}, '演示账号（仅开发模式）'));
    for (const a of cfg.accounts) {
      kids.push(h('button', { class: 'block', type: 'button', 'data-account': a.id, onclick: async () => {
        try {
          const d = await api('/api/v1/dev/sign-in', { method: 'POST', auth: false, body: { account: a.id } });
          await signedIn(d.token);
        } catch (e) { $main.append(failed(e)); }
      } }, a.label));
    }
  }
  if (!cfg.oidc && !(cfg.dev && cfg.accounts)) kids.push(notice('这个服务器还没有配置登录方式。', true));
  screen('登录', ...kids);
}

// tokenName reads the display name a local token carries (shown only; the server verifies).
function tokenName() {
  try { return JSON.parse(new TextDecoder().decode(b64ToBytes(state.token.split('.')[1]))).name || ''; } catch (_) { return ''; }
}

async function signedIn(token) {
  state.token = token;
  store.setItem(TOKEN, token);
  if (!(chatState.sessionId && chatState.anonymous)) forgetChat();
  state.signinNotice = '';
  await loadMe();
  location.hash = '#/';
}

// loadMe reads the profile; 长辈模式 turns on by default at 65 unless the person chose.
async function loadMe() {
  if (!state.token) return;
  try {
    state.me = await api('/api/v1/me');
    const age = ageFrom(state.me.birth_month);
    if (store.getItem(ELDER) === null && age !== null && age >= 65) setElder(true, false);
  } catch (e) {
    if (e.status === 404) state.me = {}; // profile API not on this server
  }
}

async function discover(issuer) {
  const res = await fetch(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
  if (!res.ok) throw new ApiError(res.status, 'oidc_discovery', '登录服务暂时不可用，请稍后再试。');
  return res.json();
}

async function oidcStart(o) {
  const meta = await discover(o.issuer);
  const verifier = randomVerifier();
  const st = randomVerifier();
  sessionStorage.setItem('shebao.pkce', JSON.stringify({ verifier, state: st }));
  location.assign(authorizeURL(meta.authorization_endpoint, { clientId: o.client_id, redirectUri: location.origin + '/app/', challenge: await challengeS256(verifier), state: st, nonce: randomVerifier() }));
}

// oidcFinish completes the code flow when the identity service sent the person back.
async function oidcFinish() {
  const saved = JSON.parse(sessionStorage.getItem('shebao.pkce') || 'null');
  const cb = readCallback(location.search, saved && saved.state);
  if (!cb) return;
  sessionStorage.removeItem('shebao.pkce');
  history.replaceState(null, '', '/app/' + location.hash);
  if (cb.error) { state.signinNotice = '登录没有完成，请重新登录。'; location.hash = '#/signin'; return; }
  const cfg = await loadConfig();
  try {
    const meta = await discover(cfg.oidc.issuer);
    const res = await fetch(meta.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: tokenRequestBody({ code: cb.code, redirectUri: location.origin + '/app/', clientId: cfg.oidc.client_id, verifier: saved.verifier }) });
    const tok = await res.json();
    if (!res.ok || !(tok.access_token || tok.id_token)) throw new Error('token');
    await signedIn(tok.access_token || tok.id_token);
  } catch (_) { state.signinNotice = '登录没有完成，请重新登录。'; location.hash = '#/signin'; }
}

// --- start ---------------------------------------------------------------------------------

window.addEventListener('hashchange', route);
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {});
(async () => {
  await oidcFinish().catch(() => {});
  await loadMe();
  const first = route();
  // interactive: the first screen is drawn and its handlers attached (data may still arrive)
  await Promise.race([first, new Promise((r) => setTimeout(r, 0))]);
  performance.mark('shebao-interactive');
  document.documentElement.dataset.ready = '1';
})();
