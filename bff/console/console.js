// 内容编辑台: a small single-page console over /api/v1/admin. Every piece of text from the
// server is inserted with textContent (through h()), never as HTML, so a guide title such as
// <img src=x onerror=...> shows as the characters it is.
'use strict';

(function () {
  const TOKEN_KEY = 'shebao.token';
  const API = '/api/v1';
  const main = document.getElementById('main');
  const flashBox = document.getElementById('flash');
  let me = null;
  let names = {}; // subject → display name, from /admin/people

  // ---- DOM helpers ----

  // h builds an element: attrs are properties/attributes, children are nodes or strings (text).
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const c of (Array.isArray(children) ? children.flat(Infinity) : [children])) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  let uid = 0;
  const nextId = (p) => (p || 'f') + '-' + (++uid);

  function button(label, onClick, cls, extra) {
    return h('button', Object.assign({ type: 'button', class: cls || '', on: { click: onClick } }, extra || {}), label);
  }
  function labelled(labelText, control, hint) {
    const id = control.id || (control.id = nextId('in'));
    return h('div', { class: 'field' }, h('label', { for: id }, labelText), control, hint ? h('div', { class: 'hint' }, hint) : null);
  }
  // Every time is shown in Beijing time, whatever the zone of the editor's computer.
  const BJ = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  function bjParts(d) { return Object.fromEntries(BJ.formatToParts(d).map((x) => [x.type, x.value])); }
  function fmtTime(s) {
    if (!s) return '';
    const d = new Date(s);
    if (isNaN(d)) return s;
    const p = bjParts(d);
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }
  // bjDay is the Beijing date of d as YYYY-MM-DD (the report's date filters are Beijing days).
  function bjDay(d) { const p = bjParts(d); return `${p.year}-${p.month}-${p.day}`; }
  // bjInstant reads a datetime-local value as Beijing time and returns RFC 3339.
  const bjInstant = (v) => `${v.length === 16 ? v + ':00' : v}+08:00`;
  // who shows a person by display name (the subject when no name is known).
  const who = (id) => (id ? names[id] || id : '');
  // Actions the server says the signed-in person may take (allowed) or may not and why (blocked).
  const can = (x, act) => !!x && (x.allowed_actions || []).includes(act);
  const whyNot = (x, act) => ((x && x.blocked_actions) || []).find((b) => b.action === act)?.reason;
  // blockedButton is a greyed-out button with its reason beside it, for a step the person's roles
  // cover but a rule forbids here.
  function blockedButton(label, reason) {
    const id = nextId('why');
    return h('span', { class: 'blocked' }, h('button', { type: 'button', disabled: true, 'aria-describedby': id }, label), h('span', { class: 'hint', id }, reason));
  }
  async function loadPeople() {
    try { names = Object.fromEntries(((await get('/admin/people')).people || []).map((p) => [p.subject, p.name])); } catch (_) { /* names are a nicety */ }
    if (me && me.name) names[me.subject] = me.name;
  }

  // ---- messages ----

  let flashedAt = 0;
  function flash(msg, kind, details) {
    flashedAt = Date.now();
    clear(flashBox);
    flashBox.className = 'flash ' + (kind || 'ok');
    flashBox.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    flashBox.appendChild(h('p', {}, msg));
    if (Array.isArray(details) && details.length) {
      flashBox.appendChild(h('ul', {}, details.map((p) => h('li', {}, p.element ? `${p.element}：${p.message}` : JSON.stringify(p)))));
    }
    flashBox.scrollIntoView({ block: 'nearest' });
  }
  function showError(err) {
    const code = err.code ? `（${err.code}）` : '';
    flash(`${err.message}${code}`, 'error', err.details);
  }

  // ---- API ----

  class APIError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || `请求失败（HTTP ${status}）`);
      this.status = status; this.code = e.code || ''; this.details = e.details;
    }
  }
  async function api(method, path, body, headers) {
    const opts = { method, headers: Object.assign({}, headers || {}) };
    const tok = sessionStorage.getItem(TOKEN_KEY);
    if (tok) opts.headers.Authorization = 'Bearer ' + tok;
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(API + path, opts);
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!res.ok) {
      const err = new APIError(res.status, data);
      if (res.status === 401 && path !== '/admin/me') { signOut(); }
      throw err;
    }
    return { data, etag: res.headers.get('ETag') };
  }
  const get = (p) => api('GET', p).then((r) => r.data);
  const enc = encodeURIComponent;

  // ---- sign in ----

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    me = null;
    document.getElementById('nav').hidden = true;
    document.getElementById('signout').hidden = true;
    clear(document.getElementById('who'));
    location.hash = '#/signin';
    route();
  }

  function viewSignIn() {
    const ta = h('textarea', { id: 'token', rows: 4, autocomplete: 'off', spellcheck: 'false', required: true });
    const form = h('form', { class: 'card narrow', on: { submit: async (ev) => {
      ev.preventDefault();
      const tok = ta.value.trim();
      if (!tok) { flash('请粘贴登录凭证。', 'error'); return; }
      sessionStorage.setItem(TOKEN_KEY, tok);
      try {
        await loadMe();
        flash('登录成功。');
        location.hash = '#/guides';
      } catch (err) {
        sessionStorage.removeItem(TOKEN_KEY);
        showError(err);
      }
    } } },
      h('h2', {}, '登录'),
      labelled('登录凭证（令牌）', ta, '在服务器上运行 shebao token --subject 工号 --role editor 生成，粘贴到这里。凭证只保存在本标签页中。'),
      h('button', { type: 'submit', class: 'primary' }, '登录'));
    return [form];
  }

  async function loadMe() {
    me = await get('/admin/me');
    document.getElementById('nav').hidden = false;
    document.getElementById('signout').hidden = false;
    const roleNames = { editor: '编辑', reviewer: '审核', publisher: '发布', admin: '管理员', user: '用户' };
    append(clear(document.getElementById('who')), `${me.name || me.subject}（${(me.roles || []).map((r) => roleNames[r] || r).join('、')}）`);
  }
  const has = (role) => !!me && (me.roles || []).some((r) => r === role || r === 'admin');

  // ---- schema-driven editors ----

  const CATS = [['pension', '养老'], ['medical', '医疗'], ['injury', '工伤'], ['unemployment', '失业'], ['maternity', '生育'], ['card', '社保卡'], ['general', '综合']];
  const CHANNELS = [['window', '窗口办理'], ['online', '网上办理'], ['mobile', '掌上办理'], ['kiosk', '自助终端'], ['mail', '邮寄办理']];
  const LOC_FIELDS = [{ key: 'name', label: '地点名称' }, { key: 'address', label: '地址' }, { key: 'hours', label: '办理时间' }];
  const CH_FIELDS = [{ key: 'type', label: '方式', type: 'select', options: CHANNELS }, { key: 'where', label: '渠道/入口' }];
  const GUIDE_SCHEMA = [
    { key: 'name', label: '事项名称' },
    { key: 'aliases', label: '别名/俗称', type: 'strings', item: '别名' },
    { key: 'category', label: '险种类别', type: 'select', options: CATS },
    { key: 'audience', label: '服务对象', type: 'checks', options: [['person', '个人'], ['employer', '单位']] },
    { key: 'region', label: '地区' },
    { key: 'item_type', label: '事项类型' },
    { key: 'summary', label: '简述', type: 'textarea' },
    { key: 'basis', label: '设定依据', type: 'rows', item: '依据', fields: [{ key: 'law', label: '法规名称' }, { key: 'article', label: '条款' }, { key: 'text', label: '内容摘要', type: 'textarea' }] },
    { key: 'conditions', label: '受理条件', type: 'strings', item: '条件', multiline: true },
    { key: 'materials', label: '申请材料', type: 'rows', item: '材料', fields: [{ key: 'name', label: '材料名称' }, { key: 'form', label: '形式（原件/复印件）' }, { key: 'copies', label: '份数', type: 'number' }, { key: 'source', label: '来源' }, { key: 'waived', label: '免提交', type: 'check' }, { key: 'waived_note', label: '免提交说明' }, { key: 'note', label: '备注' }] },
    { key: 'steps', label: '办理流程', type: 'rows', item: '步骤', fields: [{ key: 'title', label: '步骤名称' }, { key: 'detail', label: '说明', type: 'textarea' }] },
    { key: 'channels', label: '办理方式', type: 'rows', item: '方式', fields: CH_FIELDS },
    { key: 'locations', label: '办理地点与时间', type: 'rows', item: '地点', fields: LOC_FIELDS },
    { key: 'time_limit', label: '办理时限', type: 'group', fields: [{ key: 'statutory', label: '法定时限' }, { key: 'promised', label: '承诺时限' }] },
    { key: 'visits', label: '到现场次数（0 = 零跑动）', type: 'number' },
    { key: 'fee', label: '收费', type: 'group', fields: [{ key: 'charged', label: '收费', type: 'check' }, { key: 'standard', label: '收费标准' }, { key: 'basis', label: '收费依据' }] },
    { key: 'delivery', label: '结果送达' },
    { key: 'phone', label: '咨询电话' },
    { key: 'complaint', label: '监督投诉渠道' },
    { key: 'faq', label: '常见问题', type: 'rows', item: '问题', fields: [{ key: 'q', label: '问题' }, { key: 'a', label: '解答', type: 'textarea' }] },
    { key: 'related', label: '相关事项编码', type: 'strings', item: '编码' },
    { key: 'links', label: '相关链接', type: 'rows', item: '链接', fields: [{ key: 'title', label: '标题' }, { key: 'url', label: '地址' }] },
    { key: 'variants', label: '地市差异', type: 'rows', item: '地市', fields: [{ key: 'city', label: '地市' }, { key: 'phone', label: '咨询电话' }, { key: 'note', label: '说明' }, { key: 'locations', label: '办理地点', type: 'rows', item: '地点', fields: LOC_FIELDS }, { key: 'channels', label: '办理方式', type: 'rows', item: '方式', fields: CH_FIELDS }] },
    { key: 'verify', label: '待核实（仅编辑可见）', type: 'strings', item: '事项' },
  ];
  const FIELD_TYPES = [['text', '文本'], ['number', '数字'], ['date', '日期'], ['yearmonth', '年月'], ['choice', '单选'], ['id_number', '身份证号'], ['phone', '手机号'], ['bank_card', '银行卡号'], ['yesno', '是/否']];
  const FORM_SCHEMA = [
    { key: 'title', label: '表单名称' },
    { key: 'guide', label: '所属事项编码' },
    { key: 'description', label: '说明', type: 'textarea' },
    { key: 'fields', label: '表单字段', type: 'rows', item: '字段', fields: [
      { key: 'key', label: '字段名（小写英文）' }, { key: 'type', label: '类型', type: 'select', options: FIELD_TYPES },
      { key: 'label', label: '标题' }, { key: 'help', label: '帮助说明' }, { key: 'required', label: '必填', type: 'check' },
      { key: 'min', label: '最小值', type: 'optnumber' }, { key: 'max', label: '最大值', type: 'optnumber' },
      { key: 'pattern', label: '格式（正则表达式）' },
      { key: 'options', label: '选项', type: 'rows', item: '选项', fields: [{ key: 'value', label: '值' }, { key: 'label', label: '名称' }] },
      { key: 'show_if', label: '显示条件（依据前面的字段）', type: 'optgroup', fields: [{ key: 'field', label: '依据字段' }, { key: 'equals', label: '等于' }, { key: 'in', label: '或属于（多个值）', type: 'strings', item: '值' }] },
    ] },
  ];

  // editor returns {el, get} for one schema field holding value.
  function editor(f, value, path) {
    const name = path + f.key;
    switch (f.type || 'text') {
      case 'text': {
        const inp = h('input', { type: 'text', value: value ?? '', dataset: { path: name } });
        return { el: labelled(f.label, inp), get: () => inp.value };
      }
      case 'textarea': {
        const ta = h('textarea', { rows: 3, dataset: { path: name } });
        ta.value = value ?? '';
        return { el: labelled(f.label, ta), get: () => ta.value };
      }
      case 'number': case 'optnumber': {
        const inp = h('input', { type: 'number', value: value ?? '', step: 'any', dataset: { path: name } });
        return { el: labelled(f.label, inp), get: () => (inp.value === '' ? (f.type === 'optnumber' ? null : 0) : Number(inp.value)) };
      }
      case 'check': {
        const id = nextId('cb');
        const cb = h('input', { type: 'checkbox', id, checked: !!value, dataset: { path: name } });
        return { el: h('div', { class: 'field check' }, cb, h('label', { for: id }, f.label)), get: () => cb.checked };
      }
      case 'select': {
        const sel = h('select', { dataset: { path: name } }, h('option', { value: '' }, '请选择'), f.options.map(([v, l]) => h('option', { value: v }, `${l}（${v}）`)));
        sel.value = value ?? '';
        return { el: labelled(f.label, sel), get: () => sel.value };
      }
      case 'checks': {
        const boxes = f.options.map(([v, l]) => {
          const id = nextId('cb');
          const cb = h('input', { type: 'checkbox', id, value: v, checked: (value || []).includes(v) });
          return { cb, el: h('span', { class: 'check' }, cb, h('label', { for: id }, l)) };
        });
        return { el: h('fieldset', { class: 'field' }, h('legend', {}, f.label), boxes.map((b) => b.el)), get: () => boxes.filter((b) => b.cb.checked).map((b) => b.cb.value) };
      }
      case 'group': case 'optgroup': {
        const v = value || {};
        const subs = f.fields.map((sf) => editor(sf, v[sf.key], name + '.'));
        return {
          el: h('fieldset', { class: 'group' }, h('legend', {}, f.label), subs.map((s) => s.el)),
          get: () => {
            const out = Object.assign({}, v);
            f.fields.forEach((sf, i) => { out[sf.key] = subs[i].get(); });
            if (f.type === 'optgroup') {
              const empty = f.fields.every((sf) => { const x = out[sf.key]; return x === '' || x === null || (Array.isArray(x) && !x.length); });
              return empty ? null : out;
            }
            return out;
          },
        };
      }
      case 'strings': case 'rows':
        return listEditor(f, value || [], name);
    }
    throw new Error('unknown field type ' + f.type);
  }

  // listEditor edits a list item by item, with add, remove and move buttons on every row.
  function listEditor(f, values, name) {
    const rows = [];
    const box = h('div', { class: 'rows' });
    const addBtn = button(`添加${f.item || '一项'}`, () => { addRow(f.type === 'strings' ? '' : {}); focusLast(); }, 'secondary small');
    const fs = h('fieldset', { class: 'field list', dataset: { path: name } }, h('legend', {}, f.label), box, addBtn);
    function focusLast() { const r = rows[rows.length - 1]; const i = r && r.el.querySelector('input,textarea,select'); if (i) i.focus(); }
    function renumber() { rows.forEach((r, i) => { r.legend.textContent = `${f.item || '项'} ${i + 1}`; }); }
    function addRow(v) {
      const row = {};
      const legend = h('span', { class: 'rowtitle' });
      let inner;
      if (f.type === 'strings') {
        const ctl = f.multiline ? h('textarea', { rows: 2 }) : h('input', { type: 'text' });
        ctl.value = v ?? '';
        ctl.setAttribute('aria-label', `${f.label} ${rows.length + 1}`);
        inner = { el: ctl, get: () => ctl.value };
      } else {
        const subs = f.fields.map((sf) => editor(sf, v[sf.key], `${name}[].`));
        inner = { el: h('div', { class: 'rowfields' }, subs.map((s) => s.el)), get: () => { const o = Object.assign({}, v); f.fields.forEach((sf, i) => { o[sf.key] = subs[i].get(); }); return o; } };
      }
      const move = (d) => {
        const i = rows.indexOf(row), j = i + d;
        if (j < 0 || j >= rows.length) return;
        rows.splice(i, 1); rows.splice(j, 0, row);
        box.insertBefore(row.el, d < 0 ? rows[j + 1].el : rows[j - 1].el.nextSibling);
        renumber();
      };
      const tools = h('span', { class: 'rowtools' },
        button('上移', () => move(-1), 'link small'), button('下移', () => move(1), 'link small'),
        button('删除', () => { rows.splice(rows.indexOf(row), 1); row.el.remove(); renumber(); addBtn.focus(); }, 'link small danger'));
      row.legend = legend; row.get = inner.get;
      row.el = h('div', { class: 'row' + (f.type === 'strings' ? ' inline' : '') }, h('div', { class: 'rowhead' }, legend, tools), inner.el);
      rows.push(row); box.appendChild(row.el); renumber();
    }
    values.forEach(addRow);
    return {
      el: fs,
      get: () => rows.map((r) => r.get()).filter((x) => (f.type === 'strings' ? String(x).trim() !== '' : true)),
    };
  }

  // ---- read-only renderings ----

  // sentence joins clauses with “；” into one sentence: a clause's own closing mark is dropped
  // first, so that “…为准。” never becomes “…为准。；”.
  function sentence(parts) {
    const xs = parts.map((p) => String(p || '').trim().replace(/[。；;，,、\s]+$/u, '')).filter(Boolean);
    return xs.length ? xs.join('；') + '。' : '';
  }

  function previewGuide(g) {
    const sec = (title, ...body) => h('section', {}, h('h3', {}, title), body);
    const list = (xs, fn) => (xs && xs.length ? h('ol', {}, xs.map((x) => h('li', {}, fn ? fn(x) : x))) : h('p', { class: 'muted' }, '（无）'));
    const cat = Object.fromEntries(CATS)[g.category] || g.category;
    const ch = Object.fromEntries(CHANNELS);
    return h('article', { class: 'preview', 'aria-label': '预览' },
      h('h2', {}, g.name || '（未命名）'),
      h('p', { class: 'muted' }, `${cat || ''} · ${g.region || ''} · ${g.item_type || ''}`),
      h('p', {}, g.summary || ''),
      sec('受理条件', list(g.conditions)),
      sec('申请材料', list(g.materials, (m) => `${m.name}（${m.form}，${m.copies}份，${m.source}）${m.waived ? ' 免提交' : ''}${m.note ? ' ' + m.note : ''}`)),
      sec('办理流程', list(g.steps, (s) => (s.detail ? `${s.title}：${s.detail}` : s.title))),
      sec('办理方式', list(g.channels, (c) => `${ch[c.type] || c.type}：${c.where}`)),
      sec('办理地点与时间', list(g.locations, (l) => `${l.name}${l.address ? '（' + l.address + '）' : ''}：${l.hours}`)),
      sec('时限与收费', h('p', {}, sentence([`法定时限：${g.time_limit?.statutory || ''}`, `承诺时限：${g.time_limit?.promised || ''}`,
        `到现场 ${g.visits ?? 0} 次`, `收费：${g.fee?.standard || (g.fee?.charged ? '收费' : '不收费')}`]))),
      sec('设定依据', list(g.basis, (b) => `${b.law}${b.article || ''}${b.text ? '：' + b.text : ''}`)),
      sec('咨询与投诉', h('p', {}, sentence([`结果送达：${g.delivery || ''}`, `咨询电话：${g.phone || ''}`, `监督投诉：${g.complaint || ''}`]))),
      sec('常见问题', list(g.faq, (q) => [h('strong', {}, q.q), h('br'), q.a])));
  }
  function previewForm(f) {
    const t = Object.fromEntries(FIELD_TYPES);
    return h('article', { class: 'preview', 'aria-label': '预览' }, h('h2', {}, f.title || '（未命名）'), h('p', {}, f.description || ''),
      h('ol', {}, (f.fields || []).map((x) => h('li', {}, `${x.label}（${t[x.type] || x.type}${x.required ? '，必填' : ''}）`,
        x.help ? h('div', { class: 'muted' }, x.help) : null,
        x.show_if ? h('div', { class: 'muted' }, `当 ${x.show_if.field} ${x.show_if.equals ? '等于 ' + x.show_if.equals : '属于 ' + (x.show_if.in || []).join('、')} 时显示`) : null))));
  }

  function diffTable(changes) {
    if (!changes || !changes.length) return h('p', { class: 'muted' }, '两个版本内容相同。');
    const ops = { added: '新增', removed: '删除', changed: '修改' };
    return h('div', { class: 'scroll' }, h('table', { class: 'diff' },
      h('caption', {}, `共 ${changes.length} 处修改`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '要素'), h('th', { scope: 'col' }, '变化'), h('th', { scope: 'col' }, '修改前'), h('th', { scope: 'col' }, '修改后'))),
      h('tbody', {}, changes.map((c) => h('tr', { class: 'op-' + c.op },
        h('th', { scope: 'row' }, c.element), h('td', {}, ops[c.op] || c.op), h('td', { class: 'before' }, c.before || ''), h('td', { class: 'after' }, c.after || ''))))));
  }

  const STATUS = { draft: '草稿', submitted: '待审核', approved: '已审核', scheduled: '定时发布', published: '已发布', superseded: '已被替代', unpublished: '已下线', archived: '已归档' };
  const badge = (st) => h('span', { class: 'badge st-' + st }, STATUS[st] || st);

  // ---- kinds ----

  const KINDS = {
    guide: { path: '/admin/guides', label: '办事指南', one: '事项', titleKey: 'name', schema: GUIDE_SCHEMA, preview: previewGuide, route: 'guide' },
    form: { path: '/admin/forms', label: '表单', one: '表单', titleKey: 'title', schema: FORM_SCHEMA, preview: previewForm, route: 'form' },
  };

  // ---- list ----

  async function viewList(kindName, params) {
    const K = KINDS[kindName];
    const q = params.get('q') || '';
    const status = params.get('status') || '';
    const search = h('input', { type: 'search', id: 'q', value: q, placeholder: kindName === 'guide' ? '事项名称、编码或群众说法' : '表单名称或编码' });
    const sel = h('select', { id: 'status' }, [['', '全部（不含归档）'], ['working', '有未发布修改'], ['draft', '草稿'], ['submitted', '待审核'], ['approved', '已审核'], ['scheduled', '定时发布'], ['published', '已发布'], ['unpublished', '已下线'], ['archived', '已归档']].map(([v, l]) => h('option', { value: v }, l)));
    sel.value = status;
    const form = h('form', { class: 'toolbar', role: 'search', on: { submit: (ev) => { ev.preventDefault(); location.hash = `#/${kindName}s?q=${enc(search.value.trim())}&status=${enc(sel.value)}`; } } },
      labelled('搜索', search), labelled('状态', sel), h('button', { type: 'submit', class: 'primary' }, '查找'));
    const res = await get(`${K.path}?status=${enc(status)}`);
    let items = res.items;
    let note = '';
    if (q) {
      const codes = kindName === 'guide' ? await searchCodes(q) : null;
      if (codes) {
        const rank = new Map(codes.map((c, i) => [c, i]));
        const ql = q.toLowerCase();
        items = items.filter((it) => rank.has(it.code) || it.code.toLowerCase().includes(ql) || (it.title || '').toLowerCase().includes(ql));
        items.sort((a, b) => (rank.get(a.code) ?? 1e9) - (rank.get(b.code) ?? 1e9));
        note = '（使用站内搜索）';
      } else {
        const ql = q.toLowerCase();
        items = items.filter((it) => it.code.toLowerCase().includes(ql) || (it.title || '').toLowerCase().includes(ql));
        note = '（按名称和编码筛选）';
      }
    }
    const rows = items.map((it) => h('tr', {},
      h('td', {}, h('a', { href: `#/${K.route}/${enc(it.code)}` }, it.title || '（未命名）')),
      h('td', { class: 'code' }, it.code),
      h('td', {}, it.state === 'draft' ? h('span', { class: 'muted' }, '未发布') : badge(it.state), it.published_version ? ` 第${it.published_version}版` : ''),
      h('td', {}, it.working ? [badge(it.working.status), ` 第${it.working.version}版`] : '—'),
      h('td', {}, fmtTime(it.updated_at))));
    const create = has('editor') ? newDocForm(kindName) : null;
    return [
      h('h2', {}, K.label),
      form,
      h('p', { class: 'muted', 'aria-live': 'polite' }, `共 ${items.length} 项${note}`),
      h('div', { class: 'scroll' }, h('table', {},
        h('thead', {}, h('tr', {}, ['名称', '编码', '线上状态', '正在处理', '更新时间（北京时间）'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))),
      create,
    ];
  }

  // searchCodes asks the search API for guide codes; null when the route does not exist yet.
  async function searchCodes(q) {
    try {
      const r = await get(`/search?q=${enc(q)}&limit=50`);
      const arr = (r && (r.items || r.results || r.hits)) || [];
      return arr.map((x) => x.code || (x.guide && x.guide.code)).filter(Boolean);
    } catch (err) {
      return null;
    }
  }

  function newDocForm(kindName) {
    const K = KINDS[kindName];
    const code = h('input', { type: 'text', id: 'new-code', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_-]{0,63}' });
    const title = h('input', { type: 'text', id: 'new-title', required: true });
    return h('details', { class: 'card' }, h('summary', {}, `新建${K.one}`),
      h('form', { on: { submit: async (ev) => {
        ev.preventDefault();
        const body = { code: code.value.trim() };
        body[K.titleKey] = title.value.trim();
        try {
          await api('POST', K.path, body);
          flash(`已新建${K.one} ${body.code}（草稿）。`);
          location.hash = `#/${K.route}/${enc(body.code)}`;
        } catch (err) { showError(err); }
      } } },
      labelled(`${K.one}编码`, code, '字母、数字、“-”和“_”，创建后不能修改'), labelled(`${K.one}名称`, title),
      h('button', { type: 'submit', class: 'primary' }, '新建草稿')));
  }

  // ---- one document ----

  async function viewDoc(kindName, code) {
    const K = KINDS[kindName];
    const res = await get(`${K.path}/${enc(code)}`);
    const doc = res.document;
    const w = res.working;
    const pub = res.published;
    const out = [];
    out.push(h('p', { class: 'crumbs' }, h('a', { href: `#/${kindName}s` }, K.label), ' › ', code));
    out.push(h('h2', {}, (w || pub || {}).title || code));
    const facts = [h('span', {}, `编码 ${code}`), ' · ', doc.state === 'draft' ? '尚未发布' : [badge(doc.state), doc.published_version ? ` 第${doc.published_version}版` : '']];
    if (doc.state_reason) facts.push(` · 下线原因：${doc.state_reason}`);
    if (doc.replacement) facts.push(` · 替代：${doc.replacement}`);
    out.push(h('p', { class: 'muted' }, facts));
    out.push(h('p', { class: 'links' }, h('a', { href: `#/history/${kindName}/${enc(code)}` }, '历史版本与对比'), ' · ', h('a', { href: `#/audit?kind=${kindName}&code=${enc(code)}` }, '操作记录'),
      kindName === 'guide' && doc.state === 'published' ? [' · ', h('a', { href: `/api/v1/guides/${enc(code)}`, target: '_blank', rel: 'noopener' }, '公开接口')] : null));

    if (!w) {
      const tools = h('div', { class: 'actions' });
      if (can(res, 'new_draft')) tools.appendChild(button('新建草稿（修改此内容）', async () => {
        try { await api('POST', `${K.path}/${enc(code)}/drafts`); flash('已新建草稿。'); route(); } catch (err) { showError(err); }
      }, 'primary'));
      out.push(h('p', {}, '当前没有正在编辑的版本。'), tools);
      if (can(res, 'unpublish')) out.push(unpublishForm(K, code));
      if (can(res, 'archive')) out.push(h('div', { class: 'actions' }, button('归档', async () => {
        if (!confirm(`确定归档 ${code}？归档后不能再编辑。`)) return;
        try { await api('POST', `${K.path}/${enc(code)}/archive`); flash('已归档。'); route(); } catch (err) { showError(err); }
      }, 'secondary danger')));
      if (pub) out.push(h('h3', {}, `已发布的第${pub.version}版`), K.preview(pub.body));
      return out;
    }

    // The working version: status, review comment, the editor and the workflow buttons.
    out.push(h('div', { class: 'status card' },
      h('p', {}, '正在处理：第', String(w.version), '版 ', badge(w.status), ` 修订号 ${w.revision}，${who(w.edited_by)} 于 ${fmtTime(w.edited_at)}（北京时间）编辑`),
      w.review_comment ? h('p', { class: 'comment' }, `审核意见（${who(w.reviewed_by)}）：${w.review_comment}`) : null,
      w.scheduled_at ? h('p', {}, `定于 ${fmtTime(w.scheduled_at)}（北京时间）发布（${who(w.scheduled_by)} 安排）`) : null));

    // Only what the server says this person may do on this version is offered.
    const editable = can(w, 'save');
    const body = w.body || {};
    const eds = K.schema.map((f) => editor(f, body[f.key], ''));
    const major = h('select', { id: 'major' }, h('option', { value: 'true' }, '重大修改（须填写修改说明，更新公开的“更新时间”）'), h('option', { value: 'false' }, '小修改（错别字、格式等）'));
    major.value = String(w.major);
    const note = h('textarea', { id: 'change-note', rows: 2 });
    note.value = w.change_note || '';
    let etag = w.etag;
    const collect = () => { const b = Object.assign({}, body); K.schema.forEach((f, i) => { b[f.key] = eds[i].get(); }); return b; };
    const previewBox = h('div', { class: 'previewbox', hidden: true });

    async function save(quiet) {
      const saved = await api('PUT', `${K.path}/${enc(code)}/versions/${w.version}`,
        { body: collect(), major: major.value === 'true', change_note: note.value }, { 'If-Match': etag });
      etag = saved.etag || saved.data.etag;
      if (!quiet) flash(`已保存（修订号 ${saved.data.revision}）。`);
      return saved.data;
    }
    const act = (label, path, extra, cls, confirmText) => button(label, async () => {
      if (confirmText && !confirm(confirmText)) return;
      try {
        const b = extra ? extra() : undefined;
        if (b === false) return;
        await api('POST', `${K.path}/${enc(code)}/versions/${w.version}/${path}`, b);
        flash(`${label}：操作成功。`);
        route();
      } catch (err) { showError(err); }
    }, cls);

    const edForm = h('form', { class: 'editor', 'aria-label': `编辑${K.one}`, on: { submit: async (ev) => { ev.preventDefault(); try { await save(); route(); } catch (err) { showError(err); } } } },
      h('fieldset', { disabled: !editable }, eds.map((e) => e.el),
        h('fieldset', { class: 'group' }, h('legend', {}, '本次修改'), labelled('修改类型', major), labelled('修改说明（将向公众展示）', note))));
    const buttons = h('div', { class: 'actions sticky' });
    if (editable) {
      buttons.appendChild(h('button', { type: 'button', class: 'primary', on: { click: () => edForm.requestSubmit() } }, '保存'));
    }
    buttons.appendChild(button('预览', () => {
      clear(previewBox); previewBox.appendChild(K.preview(editable ? collect() : body)); previewBox.hidden = false; previewBox.focus();
    }, 'secondary'));
    previewBox.tabIndex = -1;
    if (can(w, 'submit')) {
      buttons.appendChild(button('保存并提交审核', async () => {
        try { await save(true); await api('POST', `${K.path}/${enc(code)}/versions/${w.version}/submit`); flash('已提交审核。'); route(); } catch (err) { showError(err); }
      }, 'primary'));
    }
    if (can(w, 'discard')) buttons.appendChild(act('放弃草稿', 'discard', null, 'secondary danger', '确定放弃这个草稿？'));
    if (w.status === 'submitted' && (can(w, 'approve') || can(w, 'send_back') || whyNot(w, 'approve'))) {
      buttons.appendChild(h('a', { class: 'button secondary', href: `#/review/${kindName}/${enc(code)}/${w.version}` }, '审核此版本'));
    }
    if (can(w, 'publish')) buttons.appendChild(act('立即发布', 'publish', null, 'primary', '确定立即发布？'));
    if (can(w, 'schedule')) {
      const at = h('input', { type: 'datetime-local', id: 'schedule-at' });
      buttons.appendChild(h('span', { class: 'inline-form' }, labelled('定时发布时间（北京时间）', at), act('定时发布', 'schedule', () => {
        if (!at.value) { flash('请选择发布时间。', 'error'); return false; }
        return { at: bjInstant(at.value) };
      }, 'secondary')));
    }
    if (w.status === 'approved' && can(w, 'send_back')) {
      buttons.appendChild(act('退回修改', 'send-back', () => { const c = prompt('退回意见'); return c === null ? false : { comment: c }; }, 'secondary'));
    }
    if (can(w, 'unschedule')) buttons.appendChild(act('取消定时', 'unschedule', null, 'secondary'));
    if (can(w, 'force_publish')) {
      const reason = h('input', { type: 'text', id: 'force-reason' });
      buttons.appendChild(h('details', { class: 'force' }, h('summary', {}, '紧急发布（跳过审核）'),
        labelled('紧急发布原因（必填，发布后须由他人补充审核）', reason),
        act('紧急发布', 'force-publish', () => ({ reason: reason.value }), 'danger', '紧急发布将跳过审核立即上线，确定？')));
    }
    out.push(buttons, previewBox, edForm);
    if (pub) out.push(h('h3', {}, `与已发布的第${pub.version}版相比`), diffTable((await get(`${K.path}/${enc(code)}/diff?from=${pub.version}&to=${w.version}`)).changes));
    return out;
  }

  function unpublishForm(K, code) {
    const reason = h('input', { type: 'text', id: 'unpublish-reason' });
    const repl = h('input', { type: 'text', id: 'unpublish-replacement' });
    return h('details', { class: 'card' }, h('summary', {}, '下线'),
      h('form', { on: { submit: async (ev) => {
        ev.preventDefault();
        try { await api('POST', `${K.path}/${enc(code)}/unpublish`, { reason: reason.value, replacement: repl.value.trim() }); flash('已下线。'); route(); } catch (err) { showError(err); }
      } } }, labelled('下线原因（向公众展示）', reason), labelled('替代事项编码（可选）', repl), h('button', { type: 'submit', class: 'danger' }, '确认下线')));
  }

  // ---- review ----

  async function viewReview(kindName, code, n) {
    const K = KINDS[kindName];
    const v = (await api('GET', `${K.path}/${enc(code)}/versions/${n}`)).data;
    const doc = (await get(`${K.path}/${enc(code)}`)).document;
    const out = [h('p', { class: 'crumbs' }, h('a', { href: '#/queue/review' }, '待审核'), ' › ', `${code} 第${n}版`),
      h('h2', {}, `审核：${v.title || code}`),
      h('p', {}, badge(v.status), ` 第${v.version}版 · 修订号 ${v.revision} · ${who(v.edited_by)} 于 ${fmtTime(v.edited_at)}（北京时间）编辑 · ${v.major ? '重大修改' : '小修改'}`),
      v.change_note ? h('p', { class: 'comment' }, `修改说明：${v.change_note}`) : null];
    if (doc.published_version && doc.published_version !== v.version) {
      out.push(h('h3', {}, `与已发布的第${doc.published_version}版相比`), diffTable((await get(`${K.path}/${enc(code)}/diff?from=${doc.published_version}&to=${n}`)).changes));
    } else {
      out.push(h('p', { class: 'muted' }, '这是新内容，没有已发布的版本可对比，请审阅全文。'));
    }
    out.push(h('h3', {}, '全文'), K.preview(v.body));
    if (can(v, 'approve') || can(v, 'send_back')) {
      const comment = h('textarea', { id: 'review-comment', rows: 3 });
      const send = (path, label) => button(label, async () => {
        try {
          await api('POST', `${K.path}/${enc(code)}/versions/${n}/${path}`, { comment: comment.value, revision: v.revision });
          flash(`${label}：操作成功。`);
          location.hash = '#/queue/review';
        } catch (err) { showError(err); }
      }, path === 'approve' ? 'primary' : 'secondary');
      out.push(h('div', { class: 'card' }, labelled('审核意见（退回时必填）', comment), h('div', { class: 'actions' },
        can(v, 'approve') ? send('approve', '审核通过') : whyNot(v, 'approve') ? blockedButton('审核通过', whyNot(v, 'approve')) : null,
        can(v, 'send_back') ? send('send-back', '退回修改') : null)));
    } else if (whyNot(v, 'approve')) {
      out.push(h('div', { class: 'card' }, h('div', { class: 'actions' }, blockedButton('审核通过', whyNot(v, 'approve')))));
    }
    return out;
  }

  // ---- queues ----

  const QUEUES = {
    review: { title: '待审核', hint: '编辑提交的版本。您编辑过的版本不能由您审核。' },
    publish: { title: '待发布', hint: '已审核通过，等待发布或定时发布。' },
    scheduled: { title: '定时发布', hint: '到时间后服务器自动发布。' },
    retro: { title: '补充审核', hint: '紧急发布的版本，须由编辑和发布人以外的人补充审核。' },
  };
  async function viewQueue(q) {
    const Q = QUEUES[q];
    const sections = [];
    for (const kindName of ['guide', 'form']) {
      const K = KINDS[kindName];
      const res = await get(`${K.path}?queue=${q}`);
      const rows = res.items.map((v) => {
        const link = q === 'review' ? `#/review/${kindName}/${enc(v.code)}/${v.version}` : `#/${K.route}/${enc(v.code)}`;
        const cells = [h('td', {}, h('a', { href: link }, v.title || v.code)), h('td', { class: 'code' }, v.code), h('td', {}, `第${v.version}版`), h('td', {}, who(v.edited_by))];
        if (q === 'review') cells.push(h('td', {}, `${who(v.submitted_by)} ${fmtTime(v.submitted_at)}`));
        if (q === 'publish') cells.push(h('td', {}, `${who(v.reviewed_by)} ${fmtTime(v.reviewed_at)}`));
        if (q === 'scheduled') cells.push(h('td', {}, fmtTime(v.scheduled_at)));
        if (q === 'retro') {
          let tool = null;
          if (can(v, 'retro_review')) {
            const comment = h('input', { type: 'text', 'aria-label': `${v.code} 补充审核意见` });
            tool = [comment, button('补充审核通过', async () => {
              try { await api('POST', `${K.path}/${enc(v.code)}/versions/${v.version}/retro-review`, { comment: comment.value }); flash('已记录补充审核。'); route(); } catch (err) { showError(err); }
            }, 'secondary small')];
          } else if (whyNot(v, 'retro_review')) {
            tool = blockedButton('补充审核通过', whyNot(v, 'retro_review'));
          }
          cells.push(h('td', {}, `${who(v.published_by)}：${v.force_reason}`), h('td', {}, tool || h('span', { class: 'muted' }, '—')));
        }
        return h('tr', {}, cells);
      });
      const heads = ['名称', '编码', '版本', '编辑'].concat({ review: ['提交（北京时间）'], publish: ['审核（北京时间）'], scheduled: ['发布时间（北京时间）'], retro: ['紧急发布原因', '操作'] }[q]);
      sections.push(h('h3', {}, K.label), rows.length ? h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))) : h('p', { class: 'muted' }, '没有待处理的内容。'));
    }
    return [h('h2', {}, Q.title), h('p', { class: 'muted' }, Q.hint), sections];
  }

  // ---- history ----

  async function viewHistory(kindName, code, params) {
    const K = KINDS[kindName];
    const res = await get(`${K.path}/${enc(code)}/versions`);
    const vs = res.items;
    const from = h('select', { id: 'diff-from' }, vs.map((v) => h('option', { value: v.version }, `第${v.version}版（${STATUS[v.status] || v.status}）`)));
    const to = h('select', { id: 'diff-to' }, vs.map((v) => h('option', { value: v.version }, `第${v.version}版（${STATUS[v.status] || v.status}）`)));
    if (vs.length > 1) { from.value = params.get('from') || vs[1].version; to.value = params.get('to') || vs[0].version; }
    const diffBox = h('div', { 'aria-live': 'polite' });
    const showDiff = async () => {
      try { clear(diffBox).appendChild(diffTable((await get(`${K.path}/${enc(code)}/diff?from=${from.value}&to=${to.value}`)).changes)); } catch (err) { showError(err); }
    };
    const rows = vs.map((v) => h('tr', {},
      h('td', {}, `第${v.version}版`), h('td', {}, badge(v.status), v.forced ? ' 紧急发布' : ''),
      h('td', {}, v.title), h('td', {}, `${who(v.edited_by)} ${fmtTime(v.edited_at)}`),
      h('td', {}, who(v.reviewed_by)), h('td', {}, v.published_by ? `${who(v.published_by)} ${fmtTime(v.published_at)}` : ''),
      h('td', {}, v.change_note || ''),
      h('td', {}, can(v, 'rollback') ? button('恢复为此版本', async () => {
        if (!confirm(`用第${v.version}版的内容新建草稿？`)) return;
        try { await api('POST', `${K.path}/${enc(code)}/versions/${v.version}/rollback`); flash(`已用第${v.version}版的内容新建草稿，请审核后发布。`); location.hash = `#/${K.route}/${enc(code)}`; } catch (err) { showError(err); }
      }, 'secondary small') : whyNot(v, 'rollback') ? blockedButton('恢复为此版本', whyNot(v, 'rollback')) : '')));
    const out = [h('p', { class: 'crumbs' }, h('a', { href: `#/${K.route}/${enc(code)}` }, code), ' › 历史版本'),
      h('h2', {}, `历史版本：${code}`),
      h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['版本', '状态', '名称', '编辑（北京时间）', '审核', '发布（北京时间）', '修改说明', '操作'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))),
      h('h3', {}, '版本对比'),
      h('form', { class: 'toolbar', on: { submit: (ev) => { ev.preventDefault(); showDiff(); } } }, labelled('从', from), labelled('到', to), h('button', { type: 'submit', class: 'primary' }, '对比')),
      diffBox];
    if (vs.length > 1) showDiff();
    return out;
  }

  // ---- audit ----

  async function viewAudit(params) {
    const actorIn = h('input', { type: 'text', id: 'audit-actor', value: params.get('actor') || '' });
    const codeIn = h('input', { type: 'text', id: 'audit-code', value: params.get('code') || '' });
    const kind = params.get('kind') || '';
    const qs = new URLSearchParams();
    if (actorIn.value) qs.set('actor', actorIn.value);
    if (codeIn.value) qs.set('code', codeIn.value);
    if (kind) qs.set('kind', kind);
    if (params.get('before')) qs.set('before', params.get('before'));
    const res = await get(`/admin/audit?${qs}`);
    const rows = res.items.map((e) => h('tr', {}, h('td', {}, fmtTime(e.at)), h('td', {}, h('a', { href: `#/audit?actor=${enc(e.actor)}`, title: e.actor }, who(e.actor))),
      h('td', {}, e.action_name), h('td', {}, e.kind === 'form' ? '表单' : '事项', ' ', h('a', { href: `#/audit?kind=${e.kind}&code=${enc(e.code)}` }, e.code)),
      h('td', {}, e.version ? `第${e.version}版` : ''), h('td', { class: 'code' }, e.ip), h('td', {}, e.detail)));
    const more = res.next_before ? h('p', {}, h('a', { href: `#/audit?${new URLSearchParams(Object.assign(Object.fromEntries(qs), { before: res.next_before }))}` }, '更早的记录')) : null;
    return [h('h2', {}, '操作记录'),
      h('form', { class: 'toolbar', on: { submit: (ev) => { ev.preventDefault(); const p = new URLSearchParams(); if (actorIn.value.trim()) p.set('actor', actorIn.value.trim()); if (codeIn.value.trim()) p.set('code', codeIn.value.trim()); location.hash = '#/audit?' + p; } } },
        labelled('人员（账号）', actorIn), labelled('编码', codeIn), h('button', { type: 'submit', class: 'primary' }, '查询')),
      h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['时间（北京时间）', '人员', '操作', '对象', '版本', '来源地址', '说明'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))),
      more];
  }

  // ---- search administration (endpoints of the search feature) ----

  const firstArray = (r) => (Array.isArray(r) ? r : Object.values(r || {}).find(Array.isArray) || []);

  async function viewSynonyms() {
    const items = firstArray(await get('/admin/search/synonyms'));
    const term = h('input', { type: 'text', id: 'syn-term', required: true });
    const exps = h('input', { type: 'text', id: 'syn-exp', required: true });
    const rows = items.map((s) => h('tr', {}, h('td', {}, s.term), h('td', {}, (s.expansions || []).join('、')),
      h('td', {}, button('删除', async () => {
        try { await api('DELETE', `/admin/search/synonyms/${enc(s.term)}`); flash('已删除。'); route(); } catch (err) { showError(err); }
      }, 'link danger small'))));
    return [h('h2', {}, '同义词'), h('p', { class: 'muted' }, '群众的说法 → 搜索时同时查找的词。'),
      h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['说法', '扩展为', '操作'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))),
      h('form', { class: 'card', on: { submit: async (ev) => {
        ev.preventDefault();
        const expansions = exps.value.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean);
        try { await api('PUT', '/admin/search/synonyms', { term: term.value.trim(), expansions }); flash('已保存。'); route(); } catch (err) { showError(err); }
      } } }, h('h3', {}, '添加或修改'), labelled('说法', term, '例如：退休金'), labelled('扩展为', exps, '多个词用逗号或顿号分隔，例如：养老金、基本养老金'), h('button', { type: 'submit', class: 'primary' }, '保存'))];
  }

  async function viewBestBets() {
    const items = firstArray(await get('/admin/search/bestbets'));
    const query = h('input', { type: 'text', id: 'bb-query', required: true });
    const code = h('input', { type: 'text', id: 'bb-code', required: true });
    const rows = items.map((b) => h('tr', {}, h('td', {}, b.query), h('td', { class: 'code' }, b.code),
      h('td', {}, button('删除', async () => {
        try { await api('DELETE', `/admin/search/bestbets?query=${enc(b.query)}&code=${enc(b.code)}`); flash('已删除。'); route(); } catch (err) { showError(err); }
      }, 'link danger small'))));
    return [h('h2', {}, '最佳答案'), h('p', { class: 'muted' }, '搜索这些词时，把指定事项排在第一位。'),
      h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['搜索词', '事项编码', '操作'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))),
      h('form', { class: 'card', on: { submit: async (ev) => {
        ev.preventDefault();
        try { await api('PUT', '/admin/search/bestbets', { query: query.value.trim(), code: code.value.trim() }); flash('已保存。'); route(); } catch (err) { showError(err); }
      } } }, h('h3', {}, '添加'), labelled('搜索词', query), labelled('事项编码', code), h('button', { type: 'submit', class: 'primary' }, '保存'))];
  }

  async function viewReport(params) {
    const from = h('input', { type: 'date', id: 'rep-from', value: params.get('from') || bjDay(new Date(Date.now() - 30 * 864e5)) });
    const to = h('input', { type: 'date', id: 'rep-to', value: params.get('to') || bjDay(new Date()) });
    const r = await get(`/admin/reports/search?from=${enc(from.value)}&to=${enc(to.value)}`);
    const table = (title, items, hint) => [h('h3', {}, title), hint ? h('p', { class: 'muted' }, hint) : null, (items && items.length)
      ? h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '搜索内容'), h('th', { scope: 'col' }, '次数'))),
        h('tbody', {}, items.map((x) => h('tr', {}, h('td', {}, x.query), h('td', {}, String(x.count)))))))
      : h('p', { class: 'muted' }, '没有数据。')];
    return [h('h2', {}, '办事堵点：搜索报告'),
      h('form', { class: 'toolbar', on: { submit: (ev) => { ev.preventDefault(); location.hash = `#/report?from=${from.value}&to=${to.value}`; } } }, labelled('从（北京时间）', from), labelled('到（北京时间）', to), h('button', { type: 'submit', class: 'primary' }, '查看')),
      table('搜索最多', r.top), table('没有结果的搜索', r.zero_results, '群众找不到的内容：考虑新增事项、别名或同义词。'), table('有结果但没人点击', r.no_clicks, '结果可能不对题：检查最佳答案和事项名称。')];
  }

  // ---- reminder campaigns (notify) ----

  const CAMPAIGN_STATE = { draft: '草稿', running: '发送中', paused: '已暂停', done: '已完成', cancelled: '已取消' };
  const NOTICE_KINDS = { certification: '资格认证提醒', payment: '缴费提醒', retirement: '退休提醒', benefit: '待遇发放', guide: '指南更新', progress: '办件进度' };
  const EVENTS = { queued: '已排队', held: '免打扰暂缓', sent: '已送达推送服务', retried: '重试', failed: '失败', dropped: '未发送', inbox_only: '仅站内信' };
  const select = (id, options, value) => h('select', { id }, Object.entries(options).map(([k, v]) => h('option', { value: k, selected: k === value }, v)));
  const progressText = (c) => `${c.enqueued}/${c.total} 人已入信箱，推送送达 ${c.sent}，失败 ${c.failed}，未发送 ${c.dropped}，仅站内信 ${c.inbox_only}，重发 ${c.resends}`;

  function deliveryTable(entries) {
    if (!entries.length) return h('p', { class: 'muted' }, '还没有投递记录。');
    return h('div', { class: 'scroll' }, h('table', { class: 'deliveries' }, h('thead', {}, h('tr', {}, ['时间（北京）', '接收人', '事件', '通道', '状态码', '说明'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, entries.map((e) => h('tr', {}, h('td', {}, fmtTime(e.at)), h('td', {}, who(e.person)), h('td', {}, (EVENTS[e.event] || e.event) + (e.resend ? '（重发）' : '')),
        h('td', {}, e.channel || ''), h('td', {}, e.status ? String(e.status) : ''), h('td', {}, e.detail || ''))))));
  }

  async function viewCampaigns() {
    const r = await get('/admin/notify/campaigns');
    const segments = r.segments || {};
    const name = h('input', { type: 'text', id: 'cp-name', required: true });
    const seg = select('cp-segment', segments);
    const kind = select('cp-kind', NOTICE_KINDS);
    const title = h('input', { type: 'text', id: 'cp-title', required: true, maxlength: 60 });
    const body = h('textarea', { id: 'cp-body', required: true, rows: 3 });
    const link = h('input', { type: 'text', id: 'cp-link', placeholder: '/services/certification' });
    const ws = h('input', { type: 'time', id: 'cp-start', value: '09:00' });
    const we = h('input', { type: 'time', id: 'cp-end', value: '20:00' });
    const rate = h('input', { type: 'number', id: 'cp-rate', min: 1, max: 1000000, value: 1000 });
    const person = h('input', { type: 'text', id: 'ts-person', required: true });
    const rows = (r.campaigns || []).map((c) => h('tr', {}, h('td', {}, h('a', { href: `#/campaign/${c.id}` }, c.name)), h('td', {}, segments[c.segment] || c.segment),
      h('td', {}, CAMPAIGN_STATE[c.state] || c.state), h('td', {}, progressText(c)), h('td', {}, fmtTime(c.created_at))));
    return [h('h2', {}, '提醒活动'), h('p', { class: 'muted' }, '按人群发送提醒：先存为草稿并预览人数，再开始发送。每人只收到一次，免打扰时段和个人设置照常生效。'),
      rows.length ? h('div', { class: 'scroll' }, h('table', { class: 'campaigns' }, h('thead', {}, h('tr', {}, ['名称', '人群', '状态', '进度', '创建时间（北京）'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)))
        : h('p', { class: 'muted' }, '还没有提醒活动。'),
      h('form', { class: 'card', id: 'campaign-form', on: { submit: async (ev) => {
        ev.preventDefault();
        try {
          const c = (await api('POST', '/admin/notify/campaigns', { name: name.value.trim(), segment: seg.value, kind: kind.value, title: title.value.trim(), body: body.value.trim(),
            link: link.value.trim(), window_start: ws.value, window_end: we.value, rate_per_minute: Number(rate.value) })).data;
          flash('已存为草稿，请核对人数后开始发送。');
          location.hash = `#/campaign/${c.id}`;
        } catch (err) { showError(err); }
      } } }, h('h3', {}, '新建提醒活动'), labelled('活动名称', name), labelled('人群', seg), labelled('通知类型', kind, '群众可在设置中按类型关闭提醒'),
        labelled('通知标题', title), labelled('通知内容', body), labelled('打开的页面', link, '应用内路径，可不填'),
        labelled('每天发送时段开始（北京时间）', ws), labelled('每天发送时段结束（北京时间）', we, '开始与结束相同表示全天'), labelled('每分钟最多发送', rate),
        h('button', { type: 'submit', class: 'primary' }, '存为草稿')),
      h('form', { class: 'card', id: 'test-send-form', on: { submit: async (ev) => {
        ev.preventDefault();
        try {
          const r = (await api('POST', '/admin/notify/test-send', { person: person.value.trim() })).data;
          flash(`测试通知已发出（消息编号 ${r.notice_id}）。`);
          location.hash = `#/deliveries?person=${enc(person.value.trim())}`;
        } catch (err) { showError(err); }
      } } }, h('h3', {}, '测试发送'), labelled('接收人（用户标识）', person, '发给此人的站内信和所有已订阅的设备，不受免打扰限制'),
        h('button', { type: 'submit', class: 'primary' }, '发送测试通知'))];
  }

  async function viewCampaign(id) {
    const c = await get(`/admin/notify/campaigns/${enc(id)}`);
    const segments = (await get('/admin/notify/campaigns')).segments || {};
    const log = (await get(`/admin/notify/deliveries?campaign=${enc(id)}&limit=50`)).entries || [];
    const act = (action, label, cls) => button(label, async () => {
      try { await api('POST', `/admin/notify/campaigns/${enc(id)}/${action}`); flash(`${label}：已完成。`); route(); } catch (err) { showError(err); }
    }, cls);
    const actions = [];
    let preview = null;
    if (c.state === 'draft') {
      const p = await get(`/admin/notify/campaigns/${enc(id)}/preview`);
      preview = h('p', { id: 'campaign-preview' }, `按当前数据，此人群共 ${p.people} 人。`);
      actions.push(act('start', '开始发送', 'primary'));
    }
    if (c.state === 'running') actions.push(act('pause', '暂停'));
    if (c.state === 'paused') actions.push(act('resume', '继续发送', 'primary'));
    if (['draft', 'running', 'paused'].includes(c.state)) actions.push(act('cancel', '取消活动', 'danger'));
    return [h('p', { class: 'crumbs' }, h('a', { href: '#/campaigns' }, '提醒活动'), ' › ', c.name),
      h('h2', {}, c.name),
      h('dl', { class: 'meta' }, h('dt', {}, '状态'), h('dd', { id: 'campaign-state' }, CAMPAIGN_STATE[c.state] || c.state),
        h('dt', {}, '人群'), h('dd', {}, segments[c.segment] || c.segment), h('dt', {}, '通知'), h('dd', {}, `${c.title}：${c.body}`),
        h('dt', {}, '发送时段'), h('dd', {}, c.window_start === c.window_end ? '全天' : `${c.window_start}–${c.window_end}（北京时间）`),
        h('dt', {}, '进度'), h('dd', { id: 'campaign-progress' }, progressText(c))),
      preview, h('div', { class: 'actions' }, actions, button('刷新', () => route(), 'secondary')),
      h('h3', {}, '投递记录（最近 50 条）'), deliveryTable(log)];
  }

  async function viewDeliveries(params) {
    const person = params.get('person') || '';
    const entries = (await get(`/admin/notify/deliveries?person=${enc(person)}&limit=100`)).entries || [];
    return [h('p', { class: 'crumbs' }, h('a', { href: '#/campaigns' }, '提醒活动'), ' › 投递记录'), h('h2', {}, person ? `投递记录：${who(person)}` : '投递记录'), deliveryTable(entries)];
  }

  // ---- router ----

  let routeSeq = 0;
  async function route() {
    const seq = ++routeSeq;
    const hash = location.hash || '#/guides';
    const [pathPart, query] = hash.slice(1).split('?');
    const params = new URLSearchParams(query || '');
    const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      render(viewSignIn());
      return;
    }
    if (!me) {
      try { await loadMe(); } catch (err) { sessionStorage.removeItem(TOKEN_KEY); render(viewSignIn()); showError(err); return; }
    }
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.getAttribute('href') === '#/' + parts.slice(0, parts[0] === 'queue' ? 2 : 1).join('/')) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    main.setAttribute('aria-busy', 'true');
    try {
      await loadPeople();
      let view;
      switch (parts[0]) {
        case 'signin': case 'guides': case undefined: view = await viewList('guide', params); break;
        case 'forms': view = await viewList('form', params); break;
        case 'guide': view = await viewDoc('guide', parts[1]); break;
        case 'form': view = await viewDoc('form', parts[1]); break;
        case 'review': view = await viewReview(parts[1], parts[2], Number(parts[3])); break;
        case 'queue': view = await viewQueue(parts[1] || 'review'); break;
        case 'history': view = await viewHistory(parts[1], parts[2], params); break;
        case 'audit': view = await viewAudit(params); break;
        case 'synonyms': view = await viewSynonyms(); break;
        case 'bestbets': view = await viewBestBets(); break;
        case 'report': view = await viewReport(params); break;
        case 'campaigns': view = await viewCampaigns(); break;
        case 'campaign': view = await viewCampaign(parts[1]); break;
        case 'deliveries': view = await viewDeliveries(params); break;
        default: view = [h('h2', {}, '页面不存在'), h('p', {}, h('a', { href: '#/guides' }, '返回办事指南'))];
      }
      if (seq !== routeSeq) return; // a later navigation has already taken over
      render(view);
    } catch (err) {
      if (seq !== routeSeq) return;
      render([h('h2', {}, '加载失败'), h('p', {}, err.message)]);
      showError(err);
    } finally {
      main.removeAttribute('aria-busy');
    }
  }

  function render(nodes) {
    clear(main);
    append(main, [nodes]);
    const h2 = main.querySelector('h2');
    if (h2) { h2.tabIndex = -1; h2.focus({ preventScroll: true }); }
  }

  document.getElementById('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', () => {
    // A message from the action that caused this navigation stays; older ones go.
    if (Date.now() - flashedAt > 1500) { clear(flashBox); flashBox.className = 'flash'; }
    route();
  });
  route();
})();
