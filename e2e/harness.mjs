// What the browser end-to-end tests share: a free port, and the wait for a started server.
import { createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// waitAnswers polls url until it answers 2xx (for a minute at most), failing at once when the
// server process exits; log() is the server's output so far, for the error.
export async function waitAnswers(server, url, log) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try { if ((await fetch(url)).ok) return; } catch (_) { /* not yet */ }
    if (server.exitCode !== null) throw new Error('shebao exited:\n' + log());
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`shebao did not answer ${url}:\n` + log());
}
