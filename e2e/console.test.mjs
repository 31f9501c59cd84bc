// End-to-end test of the editor console: the real binary, Debian's Chromium, four people.
// Editor A edits a guide and submits it; A is offered neither approval, sending back nor
// force-publishing (and the API still answers 403 self_review_forbidden); reviewer B approves;
// publisher C publishes; the change is served by the public API (and search, when that route
// exists); an XSS title never runs. Editor-reviewer D sees approval of their own edit greyed out
// with the reason. People appear by display name, times in Beijing time whatever the browser's
// zone, the preview has no doubled words, and the site has an icon. Screenshots of every step go
// to e2e/test-output/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, waitAnswers } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const out = join(here, 'test-output');
const work = mkdtempSync(join(tmpdir(), 'shebao-e2e-'));
const bin = join(work, 'shebao');
const dataDir = join(work, 'data');
const XSS = '<img src=x onerror=window.__xss=1>';
const MARK = '端到端测试修改' + Date.now().toString(36);

let server, base, browser;
const tokens = {};
const pageErrors = [];
const openPages = [];
let serverLog = '';

const env = () => ({ ...process.env, SHEBAO_DATA_DIR: dataDir, SHEBAO_ADDR: base.replace('http://', ''), SHEBAO_LOG_FORMAT: 'text' });

async function apiAs(who, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: 'Bearer ' + tokens[who], 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  return { status: res.status, json, text };
}

before(async () => {
  // only this test's screenshots: test-output/app/ belongs to the app test
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.endsWith('.png')) rmSync(join(out, f));
  execFileSync('go', ['build', '-o', bin, './cmd/shebao'], { cwd: repo, stdio: 'inherit' });
  base = `http://127.0.0.1:${await freePort()}`;
  for (const [who, role, name] of [['editor-a', 'editor', '编辑甲'], ['reviewer-b', 'reviewer', '审核乙'], ['publisher-c', 'publisher', '发布丙'], ['editrev-d', 'editor,reviewer', '编审丁']]) {
    tokens[who] = execFileSync(bin, ['token', '--subject', who, '--name', name, '--role', role], { env: env() }).toString().trim();
  }
  server = spawn(bin, ['serve'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitAnswers(server, base + '/healthz', () => serverLog);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  rmSync(work, { recursive: true, force: true });
});

const displayName = { 'editor-a': '编辑甲', 'reviewer-b': '审核乙', 'publisher-c': '发布丙', 'editrev-d': '编审丁' };

// beijing formats an RFC 3339 time as the console shows it: Beijing time, to the minute.
const beijing = (s) => new Date(Date.parse(s) + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');

// signIn opens a fresh browser context (its own sessionStorage) and signs in as who. The browser
// runs in New York time: the console must still show Beijing time.
async function signIn(who, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'America/New_York' });
  const page = await ctx.newPage();
  openPages.push([who, page]);
  page.on('dialog', (d) => d.accept());
  page.on('pageerror', (err) => pageErrors.push(`${who}: ${err.message}`));
  await page.goto(base + '/admin');
  await page.getByLabel('登录凭证（令牌）').fill(tokens[who]);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.locator('#who').filter({ hasText: displayName[who] }).waitFor();
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(out, name + '.png'), fullPage: false });
}

async function noXSS(page) {
  assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'an injected handler ran');
}

test('two-person review in the console, published everywhere, XSS inert', async (t) => {
  try {
    await twoPersonReview(t);
  } catch (err) {
    for (const [who, page] of openPages) {
      if (!page.isClosed()) await page.screenshot({ path: join(out, `failure-${who}.png`) }).catch(() => {});
    }
    throw err;
  }
});

async function twoPersonReview(testCtx) {
  // The guide to change: the first published one.
  const list = await (await fetch(base + '/api/v1/guides?limit=1')).json();
  const code = list.items[0].code;
  const originalName = list.items[0].name;

  // --- Editor A edits in the structured form and submits.
  const a = await signIn('editor-a');
  await a.locator('table tbody tr').first().waitFor();
  await shot(a, '01-editor-guide-list');
  await a.getByRole('searchbox', { name: '搜索' }).fill(originalName.slice(0, 4));
  await a.getByRole('button', { name: '查找' }).click();
  await a.getByRole('link', { name: originalName }).first().click();
  await a.getByRole('button', { name: '新建草稿（修改此内容）' }).click();
  await a.locator('[data-path="name"]').waitFor();
  await a.locator('[data-path="name"]').fill(originalName + XSS);
  await a.locator('[data-path="summary"]').fill(MARK + '：申请人可以在陕西社会保险App上办理。');
  await a.getByRole('button', { name: '添加问题' }).click();
  const faqRows = a.locator('fieldset[data-path="faq"] .row');
  const lastFaq = faqRows.last();
  await lastFaq.getByLabel('问题').fill('端到端测试的问题？');
  await lastFaq.getByLabel('解答').fill('端到端测试的解答。');
  await a.getByLabel('修改说明（将向公众展示）').fill('更新简述并补充常见问题（端到端测试）');
  await shot(a, '02-editor-editing');
  await a.getByRole('button', { name: '预览' }).click();
  await a.locator('.preview h2').filter({ hasText: XSS }).waitFor();
  const preview = await a.locator('.preview').textContent();
  assert.ok(!/不收费\s*不收费/.test(preview) && !preview.includes('。；') && !preview.includes('；。'), 'doubled text in the preview: ' + preview);
  await noXSS(a);
  await a.getByRole('button', { name: '保存并提交审核' }).click();
  await a.locator('.flash.ok').filter({ hasText: '已提交审核' }).waitFor();
  await a.locator('.badge.st-submitted').first().waitFor();
  await shot(a, '03-editor-submitted');
  await noXSS(a);

  // --- A is offered nothing the server would refuse: no force-publish on the edit screen, no
  // review buttons on the review screen; the API still refuses and says why.
  const work = await apiAs('editor-a', 'GET', `/api/v1/admin/guides/${code}/working`);
  assert.equal(await a.getByText('紧急发布（跳过审核）').count(), 0, 'an editor is offered force-publishing');
  assert.equal(await a.getByRole('link', { name: '审核此版本' }).count(), 0, 'an editor is offered the review of their own edit');
  assert.ok((await a.locator('.status').textContent()).includes(`编辑甲 于 ${beijing(work.json.edited_at)}（北京时间）`),
    'status line: ' + await a.locator('.status').textContent());
  await a.getByRole('navigation').getByRole('link', { name: '待审核' }).click();
  await a.getByRole('heading', { name: '待审核', exact: true }).waitFor(); // the queue, not the page before it
  await a.getByRole('link', { name: originalName + XSS }).click();
  await a.getByRole('heading', { name: /^审核：/ }).waitFor();
  await a.locator('table.diff').waitFor();
  for (const label of ['审核通过', '退回修改', '立即发布']) {
    assert.equal(await a.getByRole('button', { name: label }).count(), 0, `an editor is offered ${label} on their own version`);
  }
  await shot(a, '04-editor-not-offered-review');
  const self = await apiAs('editor-a', 'POST', `/api/v1/admin/guides/${code}/versions/${work.json.version}/approve`, {});
  assert.equal(self.status, 403);
  assert.equal(self.json.error.code, 'self_review_forbidden');
  await noXSS(a);

  // --- Reviewer B sees the diff and approves.
  const b = await signIn('reviewer-b');
  await b.getByRole('navigation').getByRole('link', { name: '待审核' }).click();
  await b.getByRole('heading', { name: '待审核', exact: true }).waitFor(); // the queue, not the page before it
  await b.getByRole('link', { name: originalName + XSS }).click();
  await b.locator('table.diff').waitFor();
  const diffText = await b.locator('table.diff').textContent();
  assert.ok(diffText.includes('事项名称') && diffText.includes('简述') && diffText.includes('常见问题'), diffText);
  await shot(b, '05-reviewer-diff');
  await noXSS(b);
  assert.ok(await b.getByRole('button', { name: '退回修改' }).isEnabled());
  assert.equal(await b.getByRole('button', { name: '保存' }).count(), 0, 'a reviewer is offered saving');
  await b.getByLabel('审核意见（退回时必填）').fill('核对无误，同意发布。');
  await b.getByRole('button', { name: '审核通过' }).click();
  await b.locator('.flash.ok').filter({ hasText: '审核通过' }).waitFor();
  await shot(b, '06-reviewer-approved');

  // --- Publisher C publishes from the publish queue.
  const c = await signIn('publisher-c');
  await c.getByRole('navigation').getByRole('link', { name: '待发布' }).click();
  await c.getByRole('heading', { name: '待发布', exact: true }).waitFor(); // the queue, not the page before it
  const queueRow = c.locator('tr').filter({ hasText: code });
  await queueRow.waitFor();
  const rowText = await queueRow.textContent();
  assert.ok(rowText.includes('编辑甲') && rowText.includes('审核乙') && !rowText.includes('editor-a'), 'queue row: ' + rowText);
  await c.getByRole('link', { name: originalName + XSS }).click();
  await c.getByText('紧急发布（跳过审核）').waitFor();
  assert.equal(await c.getByRole('button', { name: '保存', exact: true }).count(), 0, 'a publisher is offered saving');
  await shot(c, '06b-publisher-sees-publishing-steps');
  await c.getByRole('button', { name: '立即发布' }).click();
  await c.locator('.flash.ok').filter({ hasText: '立即发布' }).waitFor();
  await shot(c, '07-publisher-published');
  await noXSS(c);

  // --- Served by the public API at once, text intact.
  const pub = await (await fetch(`${base}/api/v1/guides/${encodeURIComponent(code)}`)).json();
  assert.equal(pub.name, originalName + XSS);
  assert.ok(pub.summary.startsWith(MARK), pub.summary);
  assert.equal(pub.version, work.json.version);
  assert.ok(pub.faq.some((q) => q.q === '端到端测试的问题？'));

  // --- And by search, when the search route exists: reindexed through the event path.
  const probe = await fetch(`${base}/api/v1/search?q=${encodeURIComponent(MARK)}`);
  if (probe.status === 404 && (await probe.json().catch(() => ({})))?.error?.code === 'not_found') {
    testCtx.diagnostic('GET /api/v1/search is not registered yet: search assertion skipped');
  } else {
    let found = false;
    let last = '';
    for (let i = 0; i < 20 && !found; i++) {
      const r = await fetch(`${base}/api/v1/search?q=${encodeURIComponent(MARK)}`);
      last = await r.text();
      found = r.ok && last.includes(code);
      if (!found) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(found, `search for ${MARK} does not return ${code}: ${last.slice(0, 600)}\nserver log (events, index, errors):\n` +
      serverLog.split('\n').filter((l) => /level=(WARN|ERROR)|event|index|search/i.test(l) && !/msg=request/.test(l)).slice(-30).join('\n'));
  }

  // --- The list and history show the title as text; nothing ran.
  await c.getByRole('navigation').getByRole('link', { name: '办事指南' }).click();
  await c.getByRole('searchbox', { name: '搜索' }).fill(originalName.slice(0, 4));
  await c.getByRole('button', { name: '查找' }).click();
  await c.getByRole('link', { name: originalName + XSS }).waitFor();
  assert.equal(await c.locator('main img').count(), 0, 'the title became an element');
  await shot(c, '08-list-with-xss-title-as-text');
  await c.goto(`${base}/admin#/history/guide/${encodeURIComponent(code)}`);
  await c.locator('table.diff').waitFor();
  await shot(c, '09-history-and-diff');
  await noXSS(c);

  // --- Editor-reviewer D edits and submits another guide: approving it is greyed out with the
  // reason, sending it back is offered (the server allows both of these and refuses the first).
  const other = (await (await fetch(base + '/api/v1/guides?limit=2')).json()).items[1].code;
  const draft = await apiAs('editrev-d', 'POST', `/api/v1/admin/guides/${other}/drafts`);
  assert.equal(draft.status, 201, draft.text);
  const body = draft.json.body;
  body.summary = body.summary + '（编审丁修改）';
  const saved = await apiAs('editrev-d', 'PUT', `/api/v1/admin/guides/${other}/versions/${draft.json.version}`, { body, major: false, revision: draft.json.revision });
  assert.equal(saved.status, 200, saved.text);
  assert.equal((await apiAs('editrev-d', 'POST', `/api/v1/admin/guides/${other}/versions/${draft.json.version}/submit`)).status, 200);
  const d = await signIn('editrev-d');
  await d.goto(`${base}/admin#/review/guide/${encodeURIComponent(other)}/${draft.json.version}`);
  const greyed = d.getByRole('button', { name: '审核通过' });
  await greyed.waitFor();
  assert.equal(await greyed.isDisabled(), true, 'approval of one\'s own edit is not greyed out');
  assert.match(await d.locator('.blocked').textContent(), /不能审核自己编辑的内容/);
  assert.ok(await d.getByRole('button', { name: '退回修改' }).isEnabled());
  await shot(d, '11-editor-reviewer-own-edit-greyed');
  const selfD = await apiAs('editrev-d', 'POST', `/api/v1/admin/guides/${other}/versions/${draft.json.version}/approve`, {});
  assert.equal(selfD.status, 403);
  assert.equal(selfD.json.error.code, 'self_review_forbidden');
  await d.context().close();

  // --- The site has an icon, and the console links it.
  const ico = await fetch(base + '/favicon.ico');
  assert.equal(ico.status, 200);
  assert.equal(ico.headers.get('content-type'), 'image/x-icon');
  assert.equal((await fetch(base + '/admin/assets/favicon.svg')).status, 200);

  // --- Tablet width: the edit screen still works.
  const tab = await signIn('editor-a', { width: 768, height: 1024 });
  await tab.goto(`${base}/admin#/guide/${encodeURIComponent(code)}`);
  await tab.getByRole('button', { name: '新建草稿（修改此内容）' }).waitFor();
  await shot(tab, '10-tablet-768');
  await noXSS(tab);
  await tab.context().close();
  for (const p of [a, b, c]) await p.context().close();
  assert.deepEqual(pageErrors, [], 'script errors in the console');
}

// hhmm is the Beijing time of day `hours` from now, as HH:MM.
const hhmm = (hours) => new Date(Date.now() + (8 + hours) * 3600e3).toISOString().slice(11, 16);

test('reminder campaigns in the console: create, preview, start, pause, resume, cancel, progress, log, test send', async () => {
  const c = await signIn('publisher-c');
  try {
    await c.goto(`${base}/admin#/campaigns`);
    await c.getByRole('heading', { name: '提醒活动', level: 2 }).waitFor();
    // A campaign whose send window has not opened yet: it stays running, so it can be paused.
    await c.getByLabel('活动名称').fill('端到端资格认证提醒');
    await c.getByLabel('人群').selectOption('certification_due_30d');
    await c.getByLabel('通知类型').selectOption('certification');
    await c.getByLabel('通知标题').fill('请完成养老金领取资格认证');
    await c.getByLabel('通知内容').fill('您的养老金领取资格认证即将到期，请在App内刷脸认证。');
    await c.getByLabel('每天发送时段开始（北京时间）').fill(hhmm(2));
    await c.getByLabel('每天发送时段结束（北京时间）').fill(hhmm(3));
    await c.getByRole('button', { name: '存为草稿' }).click();
    await c.locator('#campaign-preview').waitFor();
    const id = Number(new URL(c.url()).hash.split('/')[2]);
    const preview = await apiAs('publisher-c', 'GET', `/api/v1/admin/notify/campaigns/${id}/preview`);
    assert.equal(preview.status, 200);
    assert.match(await c.locator('#campaign-preview').textContent(), new RegExp(`共 ${preview.json.people} 人`));
    assert.equal(await c.locator('#campaign-state').textContent(), '草稿');
    await shot(c, '20-campaign-draft-preview');
    const step = async (label, state) => {
      await c.getByRole('button', { name: label, exact: true }).click();
      await c.locator('#campaign-state').filter({ hasText: state }).waitFor();
      assert.equal((await apiAs('publisher-c', 'GET', `/api/v1/admin/notify/campaigns/${id}`)).json.state,
        { 发送中: 'running', 已暂停: 'paused', 已取消: 'cancelled' }[state]);
    };
    await step('开始发送', '发送中');
    assert.match(await c.locator('#campaign-progress').textContent(), new RegExp(`/${preview.json.people} 人已入信箱`));
    await step('暂停', '已暂停');
    await step('继续发送', '发送中');
    await shot(c, '21-campaign-running');
    await step('取消活动', '已取消');
    // Listed with its state.
    await c.goto(`${base}/admin#/campaigns`);
    await c.locator('table.campaigns').getByRole('link', { name: '端到端资格认证提醒' }).waitFor();
    assert.match(await c.locator('table.campaigns').textContent(), /已取消/);
    // A test send to one person lands in the delivery log (no push configured here: inbox only).
    await c.getByLabel('接收人（用户标识）').fill('editor-a');
    await c.getByRole('button', { name: '发送测试通知' }).click();
    await c.getByRole('heading', { name: /投递记录/ }).waitFor();
    await shot(c, '22-test-send-log');
    await c.locator('table.deliveries').filter({ hasText: /编辑甲|editor-a/ }).waitFor();
    assert.match(await c.locator('table.deliveries').textContent(), /已排队/);
    await noXSS(c);
  } finally {
    await c.context().close();
  }
  assert.deepEqual(pageErrors, [], 'script errors in the console');
});
