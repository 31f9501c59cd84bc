#!/usr/bin/env bash
# Browser end-to-end tests of the editor console and the mobile web app /app. Installs what is missing (Debian's Chromium, a
# CJK font and espeak-ng for the fake microphone's sentence; the npm packages from package-lock.json and web-push-testing's
# from notify/testdata/webpushtesting), then runs the test with node's runner.
# Screenshots land in e2e/test-output/.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ] || ! command -v espeak-ng >/dev/null; then
  echo "e2e: installing chromium, fonts-wqy-microhei and espeak-ng" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei espeak-ng >/dev/null
fi
if ! fc-list 2>/dev/null | grep -qi -e 'wqy' -e 'noto sans cjk'; then
  echo "e2e: warning: no CJK font installed; Chinese will render as boxes in screenshots" >&2
fi
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
wpt=../notify/testdata/webpushtesting
if [ -z "${SHEBAO_WEBPUSH_TESTING_URL:-}" ] && [ ! -d "$wpt/node_modules/web-push-testing" ]; then
  (cd "$wpt" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node --test --test-concurrency=1 console.test.mjs app.test.mjs pkce.test.mjs links.test.mjs
