#!/usr/bin/env node
// Serves the browser demo: `npm run demo:browser` (builds dist/ first), then open the URL
// it prints. Pages are sent cross-origin isolated (COOP + COEP) so workers may share memory,
// which the OPFS backend needs.
//
//   /                    examples/browser/ (the demo page)
//   /dist/               the built bundle (dist/)
//   /fixtures/           fixtures/testsuite/ (NAME.wasm, NAME.json, input dirs)
//   /fixtures/index.json every fixture: name, spec, and its input dirs' files (base64)
//   /shim/               @bjorn3/browser_wasi_shim's ESM files, if installed
//
// Options: --port N (default 8080; 0 picks a free one), --host H (default 127.0.0.1),
// --also /prefix/=dir (serve another directory, repeatable; tests use it for their pages).
// A page asked for with ?isolation=off comes without COOP/COEP, as most pages on the web do.
// It prints "serving http://HOST:PORT/" once listening.
import { createServer } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

const USAGE = 'usage: node examples/browser/serve.mjs [--port N] [--host H] [--also /prefix/=dir]...';
let values;
try {
  ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, also: { type: 'string', multiple: true } } }));
} catch (e) {
  console.error(`${e.message} (${USAGE})`);
  process.exit(2);
}
const port = values.port === undefined ? 8080 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`bad --port '${values.port}' (${USAGE})`);
  process.exit(2);
}
const host = values.host ?? '127.0.0.1';
const mounts = [
  ['/dist/', join(repo, 'dist')],
  ['/fixtures/', join(repo, 'fixtures', 'testsuite')],
  ['/shim/', join(repo, 'node_modules', '@bjorn3', 'browser_wasi_shim', 'dist')],
];
for (const spec of values.also ?? []) {
  const eq = spec.indexOf('=');
  if (eq <= 0) {
    console.error(`bad --also '${spec}': expected /prefix/=dir (${USAGE})`);
    process.exit(2);
  }
  const prefix = spec.slice(0, eq);
  mounts.unshift([prefix.endsWith('/') ? prefix : `${prefix}/`, resolve(repo, spec.slice(eq + 1))]);
}
mounts.push(['/', here]);

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png',
};

/** A fixture input directory as { name: { b64 } | subtree }. */
function tree(dir) {
  const out = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    out[name] = statSync(p).isDirectory() ? tree(p) : { b64: readFileSync(p).toString('base64') };
  }
  return out;
}

function manifest() {
  const suite = join(repo, 'fixtures', 'testsuite');
  const out = [];
  for (const file of readdirSync(suite).filter((f) => f.endsWith('.json')).sort()) {
    const name = file.slice(0, -'.json'.length);
    if (!existsSync(join(suite, `${name}.wasm`))) continue;
    const spec = JSON.parse(readFileSync(join(suite, file), 'utf8'));
    const dirs = {};
    for (const d of spec.dirs ?? []) dirs[d] = tree(join(suite, d));
    out.push({ name, spec, dirs });
  }
  return out;
}

/** `isolated`: false for a page asked for with ?isolation=off, to see what a page without it gets. */
function send(res, status, type, body, isolated = true) {
  const isolation = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
  res.writeHead(status, {
    'Content-Type': type,
    ...isolation,
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = decodeURIComponent(url.pathname);
  const isolated = url.searchParams.get('isolation') !== 'off';
  if (path === '/fixtures/index.json') return send(res, 200, TYPES['.json'], JSON.stringify(manifest()));
  if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) return send(res, 403, 'text/plain', 'forbidden');
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) continue;
    return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file), isolated);
  }
  send(res, 404, 'text/plain', 'not found');
});

server.listen(port, host, () => {
  const addr = server.address();
  console.log(`serving http://${host}:${addr.port}/`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
