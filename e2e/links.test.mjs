// deepLink of /app (bff/app/links.js): a notice's link becomes the app's own route, and nothing
// from another origin or off the app's routes is followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepLink } from '../bff/app/links.js';

const origin = 'https://app.example.cn';

test('deepLink maps notice links to app routes', () => {
  for (const [link, want] of [
    ['/applications/A-123', '/app/#/apps/A-123'],
    ['https://app.example.cn/applications/A-123', '/app/#/apps/A-123'],
    ['/app/#/apps/A-9', '/app/#/apps/A-9'],
    ['/guides/sbk-gs', '/app/#/guide/sbk-gs'],
    ['/app/guide/sbk-gs', '/app/#/guide/sbk-gs'],
    ['/inbox', '/app/#/inbox'],
    ['/settings', '/app/#/settings'],
    ['', '/app/#/'],
    ['/app/', '/app/#/'],
    [undefined, '/app/#/'],
  ]) assert.equal(deepLink(link, origin), want, String(link));
});

test('deepLink opens the inbox for anything else', () => {
  for (const link of ['https://evil.example/applications/A-1', 'javascript:alert(1)', '/applications/A 1', '/admin', '/guides/x/y', 'http://[bad']) {
    assert.equal(deepLink(link, origin), '/app/#/inbox', link);
  }
});
