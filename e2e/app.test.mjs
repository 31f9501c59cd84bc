// End-to-end test of the mobile web app /app: the real binary in dev mode, Debian's Chromium at
// 360×780, in normal mode and in 长辈模式. A person searches (with a typo, so the corrected
// query shows), opens a guide, asks in chat and gets an answer citing the guide element, signs in
// with the demo account, and visits every screen; axe-core finds no serious or critical
// violation on any of them. The first screen's transfer size and its time to interactive under
// 4× CPU slowdown and slow 4G are measured and printed. A revoked or broken sign-in goes back to
// sign-in without a stack trace; with the server stopped, the shell and a read guide still open
// from the service worker with an offline notice.
//
// Voice: a second Chromium records from a fake microphone playing a WAV that espeak-ng says
// (社保卡丢了怎么办) through the app's real MediaRecorder path; the server transcribes through a fake
// OpenAI-compatible server of this test (multipart POST /v1/audio/transcriptions), which checks
// that a WebM/Ogg recording arrived. Push: the app's subscription is made at web-push-testing (an
// independent push service: it checks our VAPID signature and decrypts aes128gcm) for the key the
// app passed to pushManager.subscribe; an application step of the simulator is read back from it
// and delivered to the service worker, and its notification opens the application as a tap would.
//
// Steps needing APIs that this server may not have (#20 applications, #21 notices, #22 guided
// forms) are feature-detected from /api/v1/openapi.json: when the paths exist, the 社保卡挂失 form
// is filled by chat, the application's timeline must advance and the notice reach the inbox;
// when they do not, the test says so on stdout (and the screens must show their "not yet" notice).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHTTPServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { freePort, waitAnswers } from './harness.mjs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const out = join(here, 'test-output', 'app');
const work = mkdtempSync(join(tmpdir(), 'shebao-app-e2e-'));
const bin = join(work, 'shebao');
const dataDir = join(work, 'data');
const VIEW = { width: 360, height: 780 };

let server, base, browser, voiceBrowser, api = {};
let wpt, wptProc; // web-push-testing: its base URL and, when this test started it, its process
let transcriber;  // the fake transcription server
const SAID = '社保卡丢了怎么办'; // what the fake microphone says (espeak-ng) and the fake recogniser hears
const wav = join(work, 'said.wav');
let serverLog = '';
const pageErrors = [];
const axeReport = {};
const figures = {};

// SHEBAO_SIMULATOR_STEP (#20's built-in 经办 simulator) makes the timeline move within seconds;
// a server without the simulator ignores it.
// Voice input goes to the fake transcription server; Web Push is on (VAPID), with the loudly named
// insecure-test-hosts setting admitting web-push-testing's plain-http endpoints on localhost.
const env = () => ({
  ...process.env, SHEBAO_DATA_DIR: dataDir, SHEBAO_ADDR: base.replace('http://', ''), SHEBAO_LOG_FORMAT: 'text', SHEBAO_DEV: 'true',
  SHEBAO_TOKEN_REVOCATION_REFRESH: '200ms', SHEBAO_SIMULATOR_STEP: '3s', SHEBAO_APP_BASE_URL: base,
  SHEBAO_VOICE_TRANSCRIBE_BASE_URL: transcriber.url, SHEBAO_VOICE_TRANSCRIBE_API_KEY: 'test-key',
  SHEBAO_PUSH_VAPID_SUBJECT: 'mailto:push-test@shebao.example.cn', SHEBAO_PUSH_INSECURE_TEST_HOSTS: new URL(wpt).host,
});

// startTranscriber serves the OpenAI transcription protocol: a multipart form (file, model,
// language, prompt, response_format) in, verbose_json out. It keeps what it received and answers
// with the sentence the fake microphone says, as Whisper would on that recording.
function startTranscriber() {
  const t = { received: [] };
  const srv = createHTTPServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') { res.writeHead(404).end(); return; }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let form;
    try {
      form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] || '' }, body: Buffer.concat(chunks) }).formData();
    } catch (_) { res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad multipart"}}'); return; }
    const file = form.get('file');
    if (!file || typeof file === 'string') { res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"file missing"}}'); return; }
    const bytes = Buffer.from(await file.arrayBuffer());
    t.received.push({ name: file.name, bytes, model: form.get('model'), language: form.get('language'), format: form.get('response_format'), auth: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      task: 'transcribe', language: 'chinese', duration: 2.4, text: SAID,
      segments: [{ id: 0, seek: 0, start: 0, end: 2.4, text: SAID, tokens: [], temperature: 0, avg_logprob: -0.18, compression_ratio: 1, no_speech_prob: 0.02 }],
    }));
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
    t.url = `http://127.0.0.1:${srv.address().port}/v1`;
    t.close = () => new Promise((r) => srv.close(r));
    resolve(t);
  }));
}

// startWebPushTesting uses the web-push-testing server .ci/run started (SHEBAO_WEBPUSH_TESTING_URL),
// or starts one from notify/testdata/webpushtesting (run.sh installs it) on a free port.
async function startWebPushTesting() {
  if (process.env.SHEBAO_WEBPUSH_TESTING_URL) return process.env.SHEBAO_WEBPUSH_TESTING_URL.replace(/\/$/, '');
  const port = await freePort();
  const bin = join(repo, 'notify', 'testdata', 'webpushtesting', 'node_modules', 'web-push-testing', 'src', 'bin', 'server.js');
  wptProc = spawn(process.execPath, [bin, String(port)], { stdio: 'ignore' });
  const url = `http://localhost:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url + '/status', { method: 'POST' })).ok) return url; } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('web-push-testing did not start (npm ci in notify/testdata/webpushtesting)');
}

// wptCall posts JSON to web-push-testing's API and returns its data.
async function wptCall(path, body) {
  const res = await fetch(wpt + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const d = await res.json();
  if (!res.ok) throw new Error(`web-push-testing ${path}: ${res.status} ${JSON.stringify(d)}`);
  return d.data;
}

async function startServer() {
  serverLog = '';
  server = spawn(bin, ['serve'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitAnswers(server, base + '/readyz', () => serverLog);
}

async function stopServer() {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

before(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync('go', ['build', '-o', bin, './cmd/shebao'], { cwd: repo, stdio: 'inherit' });
  execFileSync('espeak-ng', ['-v', 'cmn', '-w', wav, SAID]);
  transcriber = await startTranscriber();
  wpt = await startWebPushTesting();
  base = `http://127.0.0.1:${await freePort()}`;
  await startServer();
  const doc = await (await fetch(base + '/api/v1/openapi.json')).json();
  const has = (p, m = 'get') => !!(doc.paths[p] && doc.paths[p][m]);
  api = {
    applications: has('/api/v1/me/applications') && has('/api/v1/me/events'),
    notices: has('/api/v1/me/notices'),
    speak: has('/api/v1/voice/speak', 'post'),
    // guided forms (#22) turn into applications (#20): the form journey needs both
    forms: has('/api/v1/me/applications', 'post'),
  };
  browser = await launch();
  // a microphone that says SAID (the WAV loops while recording), and no permission prompt
  voiceBrowser = await launch('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--use-file-for-fake-audio-capture=' + wav);
});

function launch(...extra) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required', ...extra],
  });
}

// signIn signs the page in with the demo person (dev mode) and returns the token.
async function signIn(page) {
  await page.goto(base + '/app/#/signin');
  await ready(page);
  await page.locator('button[data-account=person]').click();
  await page.waitForFunction(() => !!localStorage.getItem('shebao.token'));
  return page.evaluate(() => localStorage.getItem('shebao.token'));
}

// controlled waits until the app's service worker controls the page.
async function controlled(page) {
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
}

after(async () => {
  if (browser) await browser.close();
  if (voiceBrowser) await voiceBrowser.close();
  await stopServer();
  if (transcriber) await transcriber.close();
  if (wptProc) wptProc.kill();
  rmSync(work, { recursive: true, force: true });
  writeFileSync(join(out, 'figures.json'), JSON.stringify({ figures, axe: axeReport }, null, 2));
  console.log('app e2e figures: ' + JSON.stringify(figures));
  console.log('app e2e axe (serious+critical / all violations by mode): ' + JSON.stringify(axeReport));
});

async function newPage(mode, b = browser) {
  const ctx = await b.newContext({ viewport: VIEW, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  if (mode === 'elder') await ctx.addInitScript(() => { if (localStorage.getItem('shebao.elder') === null) localStorage.setItem('shebao.elder', '1'); });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${mode}: ${err.message}`));
  page.on('dialog', (d) => { pageErrors.push(`${mode}: a pop-up appeared: ${d.message()}`); d.dismiss(); });
  return page;
}

// signedInPage is a new page in mode, signed in with the demo person account.
async function signedInPage(mode) {
  const page = await newPage(mode);
  await signIn(page);
  return page;
}

async function ready(page) {
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1' && !document.querySelector('main .loading'));
}

async function shot(page, name) {
  await page.screenshot({ path: join(out, name + '.png'), fullPage: false });
}

// axe runs axe-core on the screen; serious and critical violations fail the test.
async function axe(page, mode, screen) {
  await page.addScriptTag({ path: axePath });
  const v = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((x) => ({ id: x.id, impact: x.impact, help: x.help, targets: x.nodes.slice(0, 3).map((n) => n.target.join(' ')) })));
  const bad = v.filter((x) => x.impact === 'serious' || x.impact === 'critical');
  const r = (axeReport[mode] ||= { serious_or_critical: 0, all: 0, screens: 0 });
  r.serious_or_critical += bad.length; r.all += v.length; r.screens++;
  assert.deepEqual(bad, [], `${mode} ${screen}: axe violations`);
}

// elderChecks: base text at least 18px, targets at least 48px, 12333 visible, no pop-ups.
async function elderChecks(page, screen) {
  const r = await page.evaluate(() => {
    const fs = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const small = [...document.querySelectorAll('main button, main .btn, .tabs a, .hotline, main input, main select')]
      .filter((e) => e.offsetParent !== null)
      // a checkbox is tapped through its whole label row, which is the target that counts
      .map((e) => (e.type === 'checkbox' && e.closest('label')) || e)
      .map((e) => [e.textContent.trim().slice(0, 12) || e.id, e.getBoundingClientRect().height])
      .filter(([, hgt]) => hgt < 47.5);
    const hot = document.querySelector('a.hotline[href="tel:12333"]');
    const hb = hot && hot.getBoundingClientRect();
    return { fs, small, hotline: !!hot && hb.top >= 0 && hb.bottom <= innerHeight };
  });
  assert.ok(r.fs >= 18 && r.fs <= 24, `${screen}: elder base font ${r.fs}px`);
  assert.deepEqual(r.small, [], `${screen}: touch targets under 48px`);
  assert.ok(r.hotline, `${screen}: 转人工 12333 not visible`);
}

async function visit(page, mode, name, check) {
  if (check) await check();
  await shot(page, `${mode}-${name}`);
  await axe(page, mode, name);
  if (mode === 'elder') await elderChecks(page, name);
}

// answerField gives a plausible spoken answer for a guided-form field of the given kind.
function answerField(field) {
  switch (field.kind) {
    case 'yes_no': case 'yesno': return '是';
    case 'choice': return (field.options && field.options[0] && field.options[0].label) || '第一个';
    case 'id_card': case 'id_number': return '11010519491231002X';
    case 'phone': return '13800138000';
    case 'bank_card': return '6222020200112233445';
    case 'date': return '2026年12月1日';
    case 'month': return '1955年3月';
    case 'number': return '1';
    case 'name': return '王秀兰';
    default: return '在公交车上丢的';
  }
}

for (const mode of ['normal', 'elder']) {
  test(`${mode}: search → guide → chat with a cited answer; every screen passes axe`, async () => {
    const page = await newPage(mode);
    await page.goto(base + '/app/');
    await ready(page);
    if (mode === 'elder') assert.equal(await page.evaluate(() => document.documentElement.classList.contains('elder')), true);
    await visit(page, mode, '01-home', async () => { await page.getByRole('link', { name: /问一问|说出您要办的事/ }).first().waitFor(); });

    // search with a typo: suggestions while typing, then the corrected query
    await page.getByRole('link', { name: '搜索', exact: true }).first().click();
    const box = page.getByRole('searchbox', { name: '搜索办事指南' });
    await box.pressSequentially('社保卡', { delay: 30 });
    await page.locator('#suggestions li').first().waitFor();
    await box.fill('社保卡挂使');
    await page.getByRole('button', { name: '搜索', exact: true }).click();
    await page.getByText('已按“社保卡挂失”为您搜索').waitFor();
    await visit(page, mode, '02-search');

    // the guide: 一次性告知 first, materials a checklist, steps numbered
    await page.locator('#results a').filter({ hasText: '社会保障卡挂失' }).first().click();
    await page.getByRole('heading', { name: '社会保障卡挂失与解挂', level: 1 }).waitFor();
    const layout = await page.evaluate(() => ({
      firstBlock: document.querySelector('main > :nth-child(2)')?.id,
      boxes: document.querySelectorAll('#el-materials input[type=checkbox]').length,
      steps: document.querySelectorAll('#el-steps ol.steps > li').length,
    }));
    assert.equal(layout.firstBlock, 'el-notice', '一次性告知 is not at the top');
    assert.ok(layout.boxes >= 1 && layout.steps >= 2, JSON.stringify(layout));
    await page.locator('#el-materials input[type=checkbox]').first().check();
    await visit(page, mode, '03-guide');

    // chat: a streamed, checked answer citing the guide's element
    await page.getByRole('link', { name: '问一问这件事' }).click();
    await page.getByRole('textbox', { name: '您的问题' }).fill('社保卡丢了怎么挂失');
    // 长辈模式 reads answers aloud: the answer's audio_url (or POST /voice/speak) must play
    const spoken = mode === 'elder' && api.speak ? page.waitForResponse((r) => r.url().includes('/api/v1/voice/speak'), { timeout: 30_000 }) : null;
    await page.getByRole('button', { name: '发送' }).click();
    if (spoken) {
      const r = await spoken;
      assert.equal(r.status(), 200, 'speech of the answer');
      assert.match(r.headers()['content-type'] || '', /^audio\//);
    }
    const cite = page.locator('a.cite').first();
    await cite.waitFor({ timeout: 30_000 });
    const href = await cite.getAttribute('href');
    assert.match(href, /^#\/guide\/SX-SBK-\d+\?el=\w+/);
    await visit(page, mode, '04-chat');
    await cite.click();
    await page.locator('section.el.hl, #el-notice').first().waitFor();

    // sign in with the demo person (dev mode), then every signed-in screen
    await page.goto(base + '/app/#/signin');
    await ready(page);
    await visit(page, mode, '05-signin');
    await page.locator('button[data-account=person]').click();
    await page.waitForFunction(() => location.hash === '#/' && !!localStorage.getItem('shebao.token'));
    await page.waitForFunction(() => document.body.dataset.screen === 'home' && !document.querySelector('main .loading'));
    await visit(page, mode, '06-home-signed-in');
    for (const [hash, name, path, has] of [['#/apps', '07-apps', '我的办件', api.applications], ['#/inbox', '08-inbox', '消息中心', api.notices], ['#/settings', '09-settings', '我的', true]]) {
      await page.goto(base + '/app/' + hash);
      await ready(page);
      await page.getByRole('heading', { name: path, level: 1 }).waitFor();
      if (!has) await page.getByText('暂未开通').first().waitFor();
      await visit(page, mode, name);
    }

    // the 社保卡挂失 form by chat → the timeline advances → the notice reaches the inbox
    if (api.applications && api.forms) {
      await page.goto(base + '/app/#/chat');
      await ready(page);
      const say = async (text) => {
        const n = await page.locator('.msg.bot[data-done]').count();
        await page.getByRole('textbox', { name: '您的问题' }).fill(text);
        await page.getByRole('button', { name: '发送' }).click();
        await page.waitForFunction((k) => document.querySelectorAll('.msg.bot[data-done]').length > k, n, { timeout: 30_000 });
      };
      await say('帮我挂失社保卡');
      let appId = '';
      for (let turn = 0; turn < 30 && !appId; turn++) {
        const f = await page.evaluate(() => {
          const c = [...document.querySelectorAll('.formcard')].pop();
          return c && { state: c.dataset.state, link: c.querySelector('a[href^="#/apps/"]')?.getAttribute('href') || '', label: c.querySelector('p strong')?.textContent || '', kinds: c.dataset.kind || '', options: [...c.querySelectorAll('.suggest button')].map((b) => b.textContent) };
        });
        assert.ok(f, 'no form card after 帮我挂失社保卡');
        if (f.link) { appId = f.link.split('/').pop(); break; }
        const field = await page.evaluate(() => JSON.parse([...document.querySelectorAll('.formcard')].pop().dataset.field || '{}'));
        await say(f.options.length ? f.options[0] : answerField(field));
      }
      assert.ok(appId, 'the form was not submitted');
      await shot(page, `${mode}-10-form-submitted`);
      await page.goto(base + '/app/#/apps/' + appId);
      await page.locator('#timeline li').first().waitFor();
      const n0 = await page.locator('#timeline li').count();
      await page.waitForFunction((n) => document.querySelectorAll('#timeline li').length > n, n0, { timeout: 60_000 });
      await visit(page, mode, '11-timeline');
      if (api.notices) {
        await page.goto(base + '/app/#/inbox');
        await page.locator('#notices li').first().waitFor({ timeout: 30_000 });
        await visit(page, mode, '12-inbox-notice');
      }
    } else {
      console.log(`app e2e (${mode}): skipped the form → timeline → inbox journey: this server has no ` +
        [!api.forms && 'guided forms (#22)', !api.applications && '/me/applications + /me/events (#20)', !api.notices && '/me/notices (#21)'].filter(Boolean).join(', '));
    }
    await page.context().close();
  });
}

for (const mode of ['normal', 'elder']) {
  test(`${mode}: voice — the microphone's recording is transcribed, the heard text shows before a cited reply that is read aloud`, async () => {
    const page = await newPage(mode, voiceBrowser);
    await page.context().grantPermissions(['microphone'], { origin: base });
    // the mic records for the server only once the chat's ready frame says the server transcribes
    const hello = new Promise((resolve) => page.on('websocket', (w) => {
      if (w.url().endsWith('/api/v1/chat')) w.on('framereceived', (f) => { if (/"type":"ready"/.test(f.payload)) resolve(JSON.parse(f.payload)); });
    }));
    await page.goto(base + '/app/#/chat');
    await ready(page);
    const hi = await Promise.race([hello, new Promise((r) => setTimeout(r, 20_000))]);
    assert.ok(hi, 'the chat did not become ready');
    assert.equal(hi.voice_input, true, 'the server does not offer voice input');
    if (mode === 'normal') await page.getByLabel('读出回答').check(); // 长辈模式 reads aloud by default
    assert.equal(await page.getByLabel('读出回答').isChecked(), true);
    const n0 = transcriber.received.length;
    const transcribed = page.waitForResponse((r) => r.url().endsWith('/api/v1/voice/transcribe'), { timeout: 30_000 });
    const spoken = page.waitForResponse((r) => r.url().includes('/api/v1/voice/speak'), { timeout: 60_000 });
    const mic = page.getByRole('button', { name: '语音：按一下说话' });
    await mic.click();
    await page.locator('#chat-status').getByText('正在听').waitFor();
    await page.waitForTimeout(2500); // the fake microphone says the sentence
    await mic.click();
    const tr = await transcribed;
    assert.equal(tr.status(), 200, await tr.text());
    const t = await tr.json();
    assert.deepEqual({ text: t.text, heard: t.heard }, { text: SAID, heard: true });
    assert.match(t.format, /^(webm|ogg)$/);
    // what reached the transcription server: the recording itself, in its container
    assert.equal(transcriber.received.length, n0 + 1, 'the transcription server was not called once');
    const got = transcriber.received[n0];
    const magic = got.bytes.subarray(0, 4).toString('hex');
    assert.ok(magic === '1a45dfa3' || magic === '4f676753', `not a WebM or Ogg recording: starts with ${magic}`);
    assert.match(got.name, /^audio\.(webm|ogg)$/);
    assert.ok(got.bytes.length > 2000 && /A_OPUS|OpusHead/.test(got.bytes.toString('latin1')), `recording of ${got.bytes.length} bytes without Opus audio`);
    assert.deepEqual({ model: got.model, language: got.language, format: got.format, auth: got.auth }, { model: 'whisper-1', language: 'zh', format: 'verbose_json', auth: 'Bearer test-key' });
    // the heard text first, then the question, then the cited answer, read aloud
    await page.locator('.msg.bot[data-done] a.cite').first().waitFor({ timeout: 30_000 });
    const order = await page.evaluate(() => [...document.querySelectorAll('#chat .msg')].map((m) => m.className.replace('msg ', '') + ':' + m.textContent.slice(0, 12)));
    assert.deepEqual(order.slice(0, 2), ['heard:听到：' + SAID, 'me:' + SAID], JSON.stringify(order));
    assert.match(order[2] || '', /^bot:/, JSON.stringify(order));
    const sp = await spoken;
    assert.equal(sp.status(), 200, 'speech of the answer');
    assert.match(sp.headers()['content-type'] || '', /^audio\//);
    await visit(page, mode, '13-voice');
    await page.context().close();
  });
}

test('first screen: transfer size ≤ 100 KB; time to interactive measured (4× CPU, slow 4G)', async () => {
  const ctx = await browser.newContext({ viewport: VIEW, isMobile: true, hasTouch: true, locale: 'zh-CN', serviceWorkers: 'block' });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  // Lighthouse's "slow 4G" as DevTools applies it: 150 ms RTT × 3.75, 1.6 Mbit/s × 0.9 down, 750 kbit/s × 0.9 up.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 562.5, downloadThroughput: (1474.56 * 1024) / 8, uploadThroughput: (675 * 1024) / 8 });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  const kinds = {};
  cdp.on('Network.responseReceived', (e) => { kinds[e.requestId] = e.type; });
  cdp.on('Network.loadingFinished', (e) => { if (['Document', 'Stylesheet', 'Script'].includes(kinds[e.requestId])) bytes += e.encodedDataLength; });
  await page.goto(base + '/app/', { waitUntil: 'load' });
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await page.waitForTimeout(1500); // long tasks right after the mark still count
  const { tti, detail } = await page.evaluate(() => {
    const m = performance.getEntriesByName('shebao-interactive')[0];
    const longs = performance.getEntriesByType('longtask').map((t) => [Math.round(t.startTime), Math.round(t.duration)]);
    const lastLong = longs.reduce((a, [st, d]) => Math.max(a, st + d), 0);
    const res = performance.getEntriesByType('resource').map((r) => [r.name.split('/').pop(), Math.round(r.startTime), Math.round(r.responseEnd)]);
    const nav = performance.getEntriesByType('navigation')[0];
    return { tti: Math.max(m.startTime, lastLong), detail: { mark: Math.round(m.startTime), connect: Math.round(nav.connectEnd), firstByte: Math.round(nav.responseStart), html: Math.round(nav.responseEnd), longs, res } };
  });
  console.log('app e2e: TTI detail ' + JSON.stringify(detail));
  figures.first_screen_transfer_bytes = bytes;
  figures.tti_ms_4x_cpu_slow4g = Math.round(tti);
  console.log(`app e2e: first screen transfer ${(bytes / 1024).toFixed(1)} KB (HTML+CSS+JS, compressed, with headers); time to interactive ${Math.round(tti)} ms at 4× CPU slowdown and slow 4G`);
  assert.ok(bytes > 0 && bytes <= 100 * 1024, `first screen transfer ${bytes} bytes`);
  // The 2-s budget is a figure for BENCHMARKS.md, measured on a quiet machine: CI shares its two
  // cores with other work, so here the wall-clock bound is a hang detector unless the budget is
  // asked for (SHEBAO_E2E_TTI_BUDGET_MS=2000 e2e/run.sh, as the benchmark run does).
  const budget = Number(process.env.SHEBAO_E2E_TTI_BUDGET_MS || 20000);
  assert.ok(tti <= budget, `time to interactive ${tti} ms (budget ${budget} ms)`);
  await ctx.close();
});

test('a revoked or broken sign-in goes back to sign-in, with no stack trace', async () => {
  const page = await signedInPage('normal');
  const token = await page.evaluate(() => localStorage.getItem('shebao.token'));
  execFileSync(bin, ['token', '--revoke', token], { env: env() });
  await new Promise((r) => setTimeout(r, 800)); // token_revocation_refresh is 200ms here
  await page.goto(base + '/app/#/settings');
  await page.getByText('登录已失效，请重新登录。').waitFor();
  assert.equal(await page.evaluate(() => location.hash), '#/signin');
  await shot(page, 'revoked-signin');
  // a token that is not one at all (expired, tampered) ends the same way
  await page.evaluate(() => localStorage.setItem('shebao.token', 'eyJhbGciOiJFZERTQSJ9.eyJleHAiOjF9.AAAA'));
  await page.goto(base + '/app/#/apps');
  await page.reload();
  await page.getByText('登录已失效，请重新登录。').waitFor();
  const body = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(body, /at \w+ \(|Error:|TypeError|stack/i);
  // the dev sign-in mints a user token only for known demo accounts
  const res = await fetch(base + '/api/v1/dev/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"account":"root"}' });
  assert.equal(res.status, 400);
  await page.context().close();
});

test('push permission refused: the settings say so and the inbox still opens', async () => {
  const page = await signedInPage('normal');
  await page.goto(base + '/app/#/settings');
  await ready(page);
  await controlled(page);
  await page.getByLabel('在这部手机上接收推送').check();
  await page.locator('#push-status').getByText('您没有允许通知').waitFor();
  assert.equal(await page.getByLabel('在这部手机上接收推送').isChecked(), false);
  await shot(page, 'push-refused');
  await page.goto(base + '/app/#/inbox');
  await page.getByRole('heading', { name: '消息中心', level: 1 }).waitFor();
  await page.context().close();
});

// shownNotifications lists what the service worker shows, polled until there are at least n
// (waitForFunction would take an async predicate's Promise for a truthy answer at once).
async function shownNotifications(page, n) {
  const read = () => page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
    .map((x) => ({ title: x.title, body: x.body, tag: x.tag, url: x.data && x.data.url })));
  let list = await read();
  for (let i = 0; i < 100 && list.length < n; i++) {
    await new Promise((r) => setTimeout(r, 100));
    list = await read();
  }
  return list;
}

test('push: a real subscription for the VAPID key at a push service; an application step arrives encrypted, shows once per tag, and a tap opens the application', async () => {
  const ctx = await browser.newContext({ viewport: VIEW, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  await ctx.grantPermissions(['notifications'], { origin: base });
  // Headless Chromium cannot reach its own push service here: the subscription is made at
  // web-push-testing for exactly the key the app passes to pushManager.subscribe.
  const keysAsked = [];
  let clientHash = '';
  await ctx.exposeFunction('__wptSubscribe', async (key) => {
    keysAsked.push(key);
    const d = await wptCall('/subscribe', { applicationServerKey: key, userVisibleOnly: 'true' });
    clientHash = d.clientHash;
    return { endpoint: d.endpoint, keys: d.keys };
  });
  await ctx.addInitScript(() => {
    const b64url = (k) => {
      const u = k instanceof ArrayBuffer ? new Uint8Array(k) : new Uint8Array(k.buffer, k.byteOffset, k.byteLength);
      return btoa(String.fromCharCode(...u)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    };
    let current = null;
    PushManager.prototype.subscribe = async function (opts) {
      const k = opts.applicationServerKey;
      const d = await window.__wptSubscribe(typeof k === 'string' ? k : b64url(k));
      const json = { endpoint: d.endpoint, expirationTime: null, keys: d.keys };
      current = { endpoint: d.endpoint, expirationTime: null, options: opts, toJSON: () => json, unsubscribe: async () => { current = null; return true; } };
      return current;
    };
    PushManager.prototype.getSubscription = async function () { return current; };
  });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => pageErrors.push(`push: ${err.message}`));
  const token = await signIn(page);
  // no quiet hours for this person, so that the test does not depend on the time of day
  const auth = { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' };
  const prefs = await (await fetch(base + '/api/v1/me/notification-settings', { headers: auth })).json();
  assert.equal((await fetch(base + '/api/v1/me/notification-settings', { method: 'PUT', headers: auth, body: JSON.stringify({ ...prefs, quiet_start: '00:00', quiet_end: '00:00' }) })).status, 200);

  await page.goto(base + '/app/#/settings');
  await ready(page);
  await controlled(page);
  const vapid = page.waitForResponse((r) => r.url().endsWith('/api/v1/push/vapid-public-key'));
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/push/subscriptions') && r.request().method() === 'POST');
  await page.getByLabel('在这部手机上接收推送').check();
  const key = (await (await vapid).json()).public_key;
  assert.ok((await posted).ok(), 'the app could not post its subscription: ' + (await (await posted).text()));
  await page.locator('#push-status').getByText('已开启推送').waitFor();
  assert.deepEqual(keysAsked, [key], 'the app subscribed with another key than the server\'s VAPID key');
  assert.ok(clientHash);

  // a real notification: an application the simulator moves on; each step is pushed
  const created = await fetch(base + '/api/v1/me/applications', { method: 'POST', headers: auth, body: JSON.stringify({ form_code: 'F-SBK-003', form_version: 1, values: { name: '王秀兰', id_number: '11010519491231002X', loss: 'lost', phone: '13800138000' } }) });
  assert.equal(created.status, 201, await created.clone().text());
  const appId = (await created.json()).id;
  let arrived = [];
  for (let i = 0; i < 600 && !arrived.length; i++) {
    arrived = (await wptCall('/get-notifications', { clientHash })).messages;
    if (!arrived.length) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(arrived.length, 'no push message reached web-push-testing within 60 s');
  const msgs = arrived.map((raw) => JSON.parse(raw)); // decrypted by web-push-testing: our JSON
  for (const m of msgs) {
    assert.equal(m.url, base + '/applications/' + appId);
    assert.match(m.tag, new RegExp('^app:' + appId + ':\\d+$'));
    assert.ok(m.title && m.body, JSON.stringify(m));
  }

  // deliver what arrived to the service worker, the first message twice
  const cdp = await ctx.newCDPSession(page);
  const regs = [];
  const versions = new Map(); // versionId → the latest state CDP reported
  const swLog = []; // what the service worker said or threw: the failure message carries it
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
  cdp.on('ServiceWorker.workerVersionUpdated', (e) => e.versions.forEach((v) => versions.set(v.versionId, v)));
  cdp.on('ServiceWorker.workerErrorReported', (e) => swLog.push('error: ' + e.errorMessage.errorMessage));
  ctx.on('console', (m) => { if (m.worker && m.worker()) swLog.push(m.type() + ': ' + m.text()); });
  await cdp.send('ServiceWorker.enable');
  const live = () => regs.find((r) => r.scopeURL === base + '/app/' && !r.isDeleted);
  const activated = (reg) => [...versions.values()].some((v) => v.registrationId === reg.registrationId && v.status === 'activated');
  for (let i = 0; i < 100 && !(live() && activated(live())); i++) await new Promise((r) => setTimeout(r, 100));
  const reg = live();
  assert.ok(reg, 'no service worker registration for /app/');
  assert.ok(activated(reg), 'no activated service worker for /app/: ' + JSON.stringify([...versions.values()]));
  const deliver = async (raws) => { for (const raw of raws) await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: reg.registrationId, data: raw }); };
  await deliver([...arrived, arrived[0]]);
  const tags = [...new Set(msgs.map((m) => m.tag))];
  if (!(await shownNotifications(page, tags.length)).length) {
    // Once in many CI runs Chromium dropped every delivered message (nothing shown, nothing
    // thrown); a second delivery tells a lost delivery from a worker that never shows.
    console.log('app e2e: nothing shown 10 s after delivery; delivering again. worker: ' + JSON.stringify({ versions: [...versions.values()], swLog }));
    await deliver(arrived);
    await shownNotifications(page, tags.length);
  }
  await new Promise((r) => setTimeout(r, 500)); // the repeated message had time to show
  const shown = await shownNotifications(page, tags.length);
  if (!shown.length) console.log('app e2e: worker: ' + JSON.stringify({ versions: [...versions.values()], swLog }));
  const want = tags.map((tag) => { const m = msgs.findLast((x) => x.tag === tag); return { title: m.title, body: m.body, tag, url: '/app/#/apps/' + appId }; });
  const byTag = (a, b) => a.tag.localeCompare(b.tag);
  assert.deepEqual(shown.sort(byTag), want.sort(byTag), 'one notification per tag, linking to the application');

  // a tap: the service worker's notificationclick handler with the shown notification
  await page.goto(base + '/app/#/inbox');
  await ready(page);
  const sw = ctx.serviceWorkers().find((w) => w.url() === base + '/app/sw.js');
  assert.ok(sw, 'no service worker');
  await sw.evaluate(async (tag) => {
    const [n] = await self.registration.getNotifications({ tag });
    // A script-made event cannot be extended (waitUntil throws after the handler has started
    // the navigation); the navigation is what a tap does.
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
  }, tags[0]);
  await page.waitForFunction((id) => location.pathname === '/app/' && location.hash === '#/apps/' + id, appId, { timeout: 10_000 });
  await page.locator('#timeline li').first().waitFor();
  assert.equal((await shownNotifications(page, 0)).filter((n) => n.tag === tags[0]).length, 0, 'the tapped notification is still shown');
  await shot(page, 'push-tapped');
  await ctx.close();
});

test('offline: the shell and a read guide open from the service worker, with a notice; chat resumes when the server is back', async () => {
  const page = await newPage('normal');
  await page.goto(base + '/app/');
  await ready(page);
  await controlled(page);
  await page.goto(base + '/app/#/guide/SX-SBK-003');
  await page.getByRole('heading', { name: '社会保障卡挂失与解挂', level: 1 }).waitFor();
  await stopServer();
  try {
    await page.goto(base + '/app/');
    await ready(page);
    await page.locator('#offline').waitFor({ state: 'visible' });
    await page.locator('#saved a').filter({ hasText: '社会保障卡挂失与解挂' }).click();
    await page.getByRole('heading', { name: '社会保障卡挂失与解挂', level: 1 }).waitFor();
    await page.getByText('当前没有网络：这是上次保存的内容').waitFor();
    await shot(page, 'offline-guide');
    await axe(page, 'offline', 'guide');
    // a question asked while the server is down is kept and sent when the chat reconnects
    await page.goto(base + '/app/#/chat');
    await ready(page);
    await page.getByRole('textbox', { name: '您的问题' }).fill('社保卡丢了怎么挂失');
    await page.getByRole('button', { name: '发送' }).click();
    await page.locator('.msg.me').filter({ hasText: '社保卡丢了怎么挂失' }).waitFor();
    await page.getByText('连接已断开，正在重新连接').waitFor();
  } finally {
    await startServer();
  }
  await page.locator('a.cite').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.msg.me').count(), 1, 'the question was shown twice');
  await shot(page, 'offline-chat-resumed');
  await page.context().close();
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});
