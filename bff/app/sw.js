// Service worker of /app: the shell is precached (its hashed files never change under one name),
// pages fall back to the cached shell offline, guides are kept network-first (the last 30 read
// stay readable offline), and Web Push messages become notifications that open their deep link.
const VERSION = '__SHELL_VERSION__';
const SHELL = 'shebao-shell-' + VERSION;
const GUIDES = 'shebao-guides';
const ASSETS = [__SHELL_ASSETS__];
const KEEP_GUIDES = 30;

// links.js (deepLink), which the page's script imports too; the server puts it here.
__LINKS_JS__

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(['/app/', '/app/manifest.webmanifest', ...ASSETS])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith('shebao-shell-') && k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// offlineCopy marks a cached answer so the page can say it is showing a saved copy.
async function offlineCopy(res) {
  const h = new Headers(res.headers);
  h.set('X-Shebao-Offline', '1');
  return new Response(await res.blob(), { status: res.status, statusText: res.statusText, headers: h });
}

async function guide(req) {
  const cache = await caches.open(GUIDES);
  try {
    const res = await fetch(req);
    if (res.ok) {
      await cache.delete(req); // re-put moves it to the end: keys() is in insertion order
      await cache.put(req, res.clone());
      const keys = await cache.keys();
      for (const k of keys.slice(0, Math.max(0, keys.length - KEEP_GUIDES))) await cache.delete(k);
    }
    return res;
  } catch (err) {
    const hit = await cache.match(req);
    if (hit) return offlineCopy(hit);
    throw err;
  }
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && url.pathname.startsWith('/app')) {
    e.respondWith(fetch(req).catch(() => caches.match('/app/', { cacheName: SHELL })));
    return;
  }
  if (url.pathname.startsWith('/app/assets/') || url.pathname === '/app/manifest.webmanifest') {
    e.respondWith(caches.match(req, { cacheName: SHELL }).then((hit) => hit || fetch(req)));
    return;
  }
  if (/^\/api\/v1\/guides\/[^/]+$/.test(url.pathname) && !req.headers.get('Authorization')) {
    e.respondWith(guide(req));
  }
});

self.addEventListener('push', (e) => {
  let m = {};
  try { m = e.data ? e.data.json() : {}; } catch (_) { m = { title: '陕西社保', body: e.data ? e.data.text() : '' }; }
  const url = deepLink(m.url, self.location.origin);
  e.waitUntil(self.registration.showNotification(m.title || '陕西社保', {
    body: m.body || '', tag: m.tag || undefined, renotify: false, icon: ASSETS.find((a) => a.includes('icon-192')),
    data: { url },
  }));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = new URL((e.notification.data && e.notification.data.url) || '/app/#/inbox', self.location.origin).href;
  e.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => {
    for (const c of list) {
      if (c.url.startsWith(self.location.origin + '/app') && 'navigate' in c) return c.navigate(url).then((w) => (w || c).focus());
    }
    return self.clients.openWindow(url);
  }));
});
