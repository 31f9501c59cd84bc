// Links of /app shared by the page and the service worker. The page's script imports this module;
// the server inlines it into the page and into sw.js as plain declarations (bff/app.go).

// deepLink turns a notice's link (notify's app-relative /applications/ID or /guides/CODE, maybe
// behind its base URL) into the app's own route; anything else, or another origin, opens the inbox.
export function deepLink(link, origin) {
  let p;
  try {
    const u = new URL(link || '', origin);
    if (u.origin !== origin) return '/app/#/inbox';
    p = (u.pathname.replace(/^\/app(\/|$)/, '/') + u.hash).replace(/^\/#/, '').replace(/^#/, '');
  } catch (_) { return '/app/#/inbox'; }
  let m;
  if ((m = /^\/(?:applications|apps)\/([\w-]+)$/.exec(p))) return '/app/#/apps/' + m[1];
  if ((m = /^\/(?:guides|guide)\/([\w-]+)$/.exec(p))) return '/app/#/guide/' + m[1];
  if (/^\/(inbox|settings|chat|search)?$/.test(p)) return '/app/#' + (p || '/');
  return '/app/#/inbox';
}
