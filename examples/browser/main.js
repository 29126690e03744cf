// The demo: pick a fixture (or load a .wasm), run it under refwasi, show its output.
// MemoryDirectory runs on this page; OPFSDirectory runs in demo-worker.js (it must block,
// which a page's main thread may not), and its files stay in the origin's OPFS.
import { MemoryDirectory, WASI } from '/dist/esm/index.mjs';

const $ = (id) => document.getElementById(id);
const decoder = () => new TextDecoder();
let fixtures = [];
let uploaded = null;
let worker = null;
let seq = 0;
const pending = new Map();

function fromB64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function memoryTree(t) {
  const out = {};
  for (const [name, v] of Object.entries(t)) out[name] = typeof v.b64 === 'string' ? fromB64(v.b64) : memoryTree(v);
  return out;
}

function describeTree(tree, indent = '') {
  const lines = [];
  for (const name of Object.keys(tree).sort()) {
    const v = tree[name];
    if (v instanceof Uint8Array) lines.push(`${indent}${name}  (${v.byteLength} bytes)`);
    else lines.push(`${indent}${name}/`, ...describeTree(v, `${indent}  `));
  }
  return lines;
}

function selected() {
  if (uploaded !== null && $('program').value === '__upload__') return uploaded;
  return fixtures.find((f) => f.name === $('program').value);
}

function splitArgs(s) {
  return s.trim() === '' ? [] : s.trim().split(/\s+/);
}

async function wasmBytes(program) {
  if (program.bytes) return program.bytes;
  const res = await fetch(`/fixtures/${program.name}.wasm`);
  if (!res.ok) throw new Error(`fetching ${program.name}.wasm: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function runInMemory(program, bytes, args) {
  const preopens = {};
  for (const [d, t] of Object.entries(program.dirs)) preopens[d] = MemoryDirectory.from(memoryTree(t));
  let stdout = '';
  let stderr = '';
  const out = decoder();
  const err = decoder();
  const wasi = new WASI({
    args: [`${program.name}.wasm`, ...args],
    env: program.spec.env ?? {},
    preopens,
    stdout: (c) => { stdout += out.decode(c, { stream: true }); },
    stderr: (c) => { stderr += err.decode(c, { stream: true }); },
    renumber: program.spec.refwasi?.renumber ?? 'strict',
  });
  const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
  const code = wasi.start(instance);
  const files = Object.entries(preopens).flatMap(([d, dir]) => [`${d}/`, ...describeTree(dir.toTree(), '  ')]);
  return { code, stdout, stderr, files };
}

function runInWorker(program, bytes, args) {
  if (worker === null) {
    worker = new Worker('./demo-worker.js', { type: 'module', name: 'refwasi-demo-program' });
    worker.onmessage = (e) => {
      const p = pending.get(e.data.id);
      pending.delete(e.data.id);
      if (e.data.ok) p.resolve(e.data.value);
      else p.reject(new Error(e.data.error));
    };
  }
  return new Promise((resolve, reject) => {
    const id = ++seq;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, name: program.name, bytes, args, spec: program.spec, dirs: program.dirs });
  });
}

async function run(event) {
  event?.preventDefault();
  const program = selected();
  if (!program) return;
  $('run').disabled = true;
  $('status').className = '';
  $('status').textContent = 'Running…';
  $('stdout').textContent = '';
  $('stderr').textContent = '';
  $('files').textContent = '';
  document.body.dataset.state = 'running';
  try {
    const bytes = await wasmBytes(program);
    const args = splitArgs($('args').value);
    const backend = $('backend').value;
    const r = backend === 'opfs' ? await runInWorker(program, bytes, args) : await runInMemory(program, bytes, args);
    $('stdout').textContent = r.stdout;
    $('stderr').textContent = r.stderr;
    $('files').textContent = r.files.join('\n');
    $('status').textContent = `${program.name} exited with code ${r.code}` + (backend === 'opfs' ? ' (files in OPFS, kept across reloads)' : '');
    $('status').className = r.code === 0 ? 'ok' : 'fail';
  } catch (e) {
    $('status').textContent = `failed: ${e.message}`;
    $('status').className = 'fail';
  } finally {
    $('run').disabled = false;
    document.body.dataset.state = 'done';
  }
}

function describe() {
  const p = selected();
  if (!p) return;
  $('args').value = (p.spec.args ?? []).join(' ');
  const dirs = Object.keys(p.dirs);
  $('about').textContent = p.bytes
    ? `Your program, ${p.bytes.byteLength} bytes; no directories are preopened.`
    : `fixtures/testsuite/${p.name}.wasm` + (dirs.length ? `, with ${dirs.join(', ')} preopened under ${dirs.length > 1 ? 'their' : 'its'} own name.` : '.');
}

async function init() {
  const res = await fetch('/fixtures/index.json');
  fixtures = await res.json();
  const select = $('program');
  for (const f of fixtures) select.add(new Option(f.name === 'numpy_load' ? 'numpy_load (np.load on a dup)' : f.name, f.name));
  const wanted = new URLSearchParams(location.search).get('program') ?? 'numpy_load';
  if (fixtures.some((f) => f.name === wanted)) select.value = wanted;
  const backend = new URLSearchParams(location.search).get('backend');
  if (backend) $('backend').value = backend;
  if (!self.crossOriginIsolated) {
    $('backend').querySelector('option[value=opfs]').disabled = true;
  }
  select.addEventListener('change', describe);
  $('upload').addEventListener('change', async () => {
    const file = $('upload').files[0];
    if (!file) return;
    uploaded = { name: file.name.replace(/\.wasm$/, ''), bytes: new Uint8Array(await file.arrayBuffer()), spec: {}, dirs: {} };
    let opt = select.querySelector('option[value=__upload__]');
    if (!opt) select.add((opt = new Option('', '__upload__')));
    opt.textContent = `${file.name} (uploaded)`;
    select.value = '__upload__';
    describe();
  });
  $('controls').addEventListener('submit', run);
  describe();
  document.body.dataset.state = 'ready';
  if (new URLSearchParams(location.search).has('autorun')) await run();
}

init().catch((e) => {
  $('status').textContent = `could not load the fixture list: ${e.message}`;
  $('status').className = 'fail';
});
