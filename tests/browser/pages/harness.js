// Shared by the browser test pages and the OPFS worker: runs a fixture of
// fixtures/testsuite the way tests/fixtures.test.ts does (args, dirs preopened under their
// own names, env, renumber), and reads trees back in one comparable form.
import { WASI, MemoryDirectory } from '/dist/esm/index.mjs';

const modules = new Map();

export async function manifest() {
  const res = await fetch('/fixtures/index.json');
  if (!res.ok) throw new Error(`manifest: ${res.status}`);
  return res.json();
}

export async function compile(url) {
  if (!modules.has(url)) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    modules.set(url, await WebAssembly.compile(await res.arrayBuffer()));
  }
  return modules.get(url);
}

export function fromB64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A manifest tree ({ name: { b64 } | subtree }) as MemoryDirectory.from's form. */
export function memoryTree(t) {
  const out = {};
  for (const [name, v] of Object.entries(t)) out[name] = typeof v.b64 === 'string' ? fromB64(v.b64) : memoryTree(v);
  return out;
}

/** A manifest tree as { name: hex | subtree }, sorted: what every read-back is compared with. */
export function hexTree(t) {
  const out = {};
  for (const name of Object.keys(t).sort()) out[name] = typeof t[name].b64 === 'string' ? hex(fromB64(t[name].b64)) : hexTree(t[name]);
  return out;
}

/** A MemoryDirectory.toTree() as { name: hex | subtree }. */
export function hexMemoryTree(t) {
  const out = {};
  for (const name of Object.keys(t).sort()) {
    const v = t[name];
    out[name] = v instanceof Uint8Array ? hex(v) : typeof v.symlink === 'string' ? `symlink:${v.symlink}` : hexMemoryTree(v);
  }
  return out;
}

/** Runs one fixture over the given preopens. */
export async function runFixture(fx, preopens) {
  const spec = fx.spec;
  const decoder = new TextDecoder();
  let stdout = '';
  let stderr = '';
  const wasi = new WASI({
    args: [`${fx.name}.wasm`, ...(spec.args ?? [])],
    env: spec.env ?? {},
    preopens,
    stdout: (c) => { stdout += decoder.decode(c, { stream: true }); },
    stderr: (c) => { stderr += decoder.decode(c, { stream: true }); },
    renumber: spec.refwasi?.renumber ?? 'strict',
  });
  const module = await compile(`/fixtures/${fx.name}.wasm`);
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const started = performance.now();
  let code;
  let error = null;
  try {
    code = wasi.start(instance);
  } catch (e) {
    error = String(e && e.stack ? e.stack : e);
  }
  return { name: fx.name, code, stdout, stderr, error, ms: performance.now() - started };
}

/** Runs a program with args and one preopen; returns its output. */
export async function runProgram(url, args, preopens) {
  const decoder = new TextDecoder();
  let stdout = '';
  let stderr = '';
  const wasi = new WASI({
    args, preopens,
    stdout: (c) => { stdout += decoder.decode(c, { stream: true }); },
    stderr: (c) => { stderr += decoder.decode(c, { stream: true }); },
  });
  const instance = await WebAssembly.instantiate(await compile(url), wasi.getImportObject());
  const code = wasi.start(instance);
  return { code, stdout, stderr };
}

/** Runs every fixture on MemoryDirectory: results plus each input dir read back afterwards. */
export async function memorySuite() {
  const out = [];
  for (const fx of await manifest()) {
    const preopens = {};
    for (const [d, t] of Object.entries(fx.dirs)) preopens[d] = MemoryDirectory.from(memoryTree(t));
    const result = await runFixture(fx, preopens);
    result.trees = {};
    result.openHandles = 0;
    result.doubleCloses = 0;
    for (const [d, dir] of Object.entries(preopens)) {
      result.trees[d] = hexMemoryTree(dir.toTree());
      result.openHandles += dir.openHandles;
      result.doubleCloses += dir.doubleCloses;
    }
    out.push(result);
  }
  return out;
}

/** Writes a manifest tree ({ name: { b64 } | subtree }) into a directory through its backend (OPFS). */
export function fillDir(dir, tree) {
  for (const [name, v] of Object.entries(tree)) {
    if (typeof v.b64 === 'string') {
      const h = dir.openFile(name, { read: false, write: true, create: true, exclusive: true, truncate: false });
      h.write(fromB64(v.b64), 0);
      h.close();
    } else {
      dir.mkdir(name);
      fillDir(dir.lookup(name), v);
    }
  }
}

/**
 * Calls into a worker that answers each { id, cmd, arg } with { id, ok, value | error }: a
 * function (cmd, arg) => Promise. A worker error fails every call still waiting.
 */
export function workerCommands(worker) {
  let seq = 0;
  const pending = new Map();
  worker.onmessage = (e) => {
    const { id, ok, value, error } = e.data;
    const p = pending.get(id);
    pending.delete(id);
    if (ok) p.resolve(value);
    else p.reject(new Error(error));
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`worker error: ${e.message}`));
    pending.clear();
  };
  return (cmd, arg) => new Promise((resolve, reject) => {
    const id = ++seq;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, cmd, arg });
  });
}
