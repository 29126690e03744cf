// One measurement in a fresh dedicated worker: a bench/wasm program under one
// implementation, or one of the floors. Answers the page with { lines } (the program's stdout
// lines: RESULT ..., SIZE ..., ENTRIES ..., and STATS for OPFS), { error } or { skipped }.
import { WASI, MemoryDirectory, OPFSDirectory } from '/dist/esm/index.mjs';

const decoder = new TextDecoder();

/** A directory of the origin's OPFS, emptied first: each run starts from nothing. */
async function freshOPFS(name) {
  const top = await navigator.storage.getDirectory();
  await top.removeEntry(name, { recursive: true }).catch(() => undefined);
  return top;
}

async function compile(prog) {
  const res = await fetch(`/bench/wasm/${prog}.wasm`);
  if (!res.ok) throw new Error(`${prog}.wasm: ${res.status}`);
  return WebAssembly.compile(await res.arrayBuffer());
}

/** Collects a guest stream as text. */
function sink() {
  const s = { text: '', write: (chunk) => { s.text += decoder.decode(chunk, { stream: true }); } };
  return s;
}

async function runRefwasi(module, argv, dir) {
  const out = sink();
  const err = sink();
  const wasi = new WASI({ args: argv, env: {}, preopens: { '/b': dir }, stdout: out.write, stderr: err.write });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const code = wasi.start(instance);
  if (code !== 0) throw new Error(`${argv[0]} exited with ${code}: ${err.text}`);
  return out.text;
}

async function runShim(module, argv) {
  const shim = await import('/shim/index.js');
  const out = sink();
  const err = sink();
  const fds = [
    new shim.OpenFile(new shim.File([])),
    new shim.ConsoleStdout(out.write),
    new shim.ConsoleStdout(err.write),
    new shim.PreopenDirectory('/b', new Map()),
  ];
  // debug defaults to on (console.log on every path call); off is the fair setting.
  const wasi = new shim.WASI(argv, [], fds, { debug: false });
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
  const code = wasi.start(instance);
  if (code !== 0) throw new Error(`${argv[0]} exited with ${code}: ${err.text}`);
  return out.text;
}

async function runProgram(impl, prog, args) {
  const module = await compile(prog);
  const argv = [prog, ...args.map(String)];
  if (impl === 'refwasi-memory') return runRefwasi(module, argv, new MemoryDirectory());
  if (impl === 'browser_wasi_shim') return runShim(module, argv);
  if (impl === 'refwasi-opfs' || impl === 'refwasi-opfs-message') {
    const name = `refwasi-bench-${impl}`;
    const top = await freshOPFS(name);
    const mount = await OPFSDirectory.open(name, impl === 'refwasi-opfs-message' ? { wake: 'message' } : {});
    // Builds whose server has no message wake path ignore the option and have no `wake` getter.
    if (impl === 'refwasi-opfs-message' && mount.wake !== 'message') {
      mount.unmount();
      return { skipped: "this build's OPFSDirectory has no { wake: 'message' }" };
    }
    let text;
    try {
      text = await runRefwasi(module, argv, mount);
      // Every descriptor is closed once start returns: a handle still open is a leak.
      const stats = mount.stats();
      if (stats.open !== 0 || stats.descriptionsOpen !== 0) {
        throw new Error(`${stats.open} access handles / ${stats.descriptionsOpen} descriptions still open after the run: ${JSON.stringify(stats)}`);
      }
      text += `STATS ${JSON.stringify(stats)}\n`;
    } finally {
      mount.unmount();
    }
    // Frees the quota (bulk leaves nothing, but create leaves thousands of files).
    await top.removeEntry(name, { recursive: true }).catch(() => undefined);
    return text;
  }
  throw new Error(`unknown implementation ${impl}`);
}

// ---------------------------------------------------------------------------------------
// Floors. performance.now() is coarsened (5 µs when cross-origin isolated), so every loop
// is grown until it takes at least MIN_MS.

const MIN_MS = 100;

/**
 * f() n times, n doubling until a loop lasts MIN_MS (the shorter loops warm up); then the
 * fastest of that loop and LOOPS more of the same n: a floor is the least a call can cost,
 * and the machine's other work only ever adds to it.
 */
const LOOPS = 3;
async function timeLoop(f, isAsync = false) {
  const loop = async (n) => {
    const t0 = performance.now();
    if (isAsync) for (let i = 0; i < n; i++) await f(i);
    else for (let i = 0; i < n; i++) f(i);
    return (performance.now() - t0) * 1e6;
  };
  let n = 8;
  let ns = await loop(n);
  while (ns < MIN_MS * 1e6) ns = await loop((n *= 2));
  for (let k = 0; k < LOOPS; k++) ns = Math.min(ns, await loop(n));
  return { n, ns };
}

const line = (name, { n, ns }) => `RESULT ${name} ${n} ${Math.round(ns)} ${(ns / n).toFixed(1)}\n`;

/** Loads of the state before a side of roundtrip_spin sleeps (OPFSFs spins as many, in src/). */
const SPINS = 2000;

/**
 * A bare request/answer over a SharedArrayBuffer with a second worker (echo.js), shaped as
 * OPFSFs.call does it: store REQUEST, notify, Atomics.wait until the state moves, store IDLE.
 * `mode` is how the second worker waits: 'sync' (an Atomics.wait loop), 'spin' (the same,
 * with both sides spinning SPINS loads before they sleep) or 'waitAsync'.
 */
async function roundtrip(mode) {
  const sab = new SharedArrayBuffer(64);
  const i32 = new Int32Array(sab);
  const spins = mode === 'spin' ? SPINS : 0;
  const echo = new Worker(new URL('./echo.js', import.meta.url), { name: `refwasi-bench-echo-${mode}` });
  await new Promise((resolve, reject) => {
    echo.onmessage = () => resolve();
    echo.onerror = (e) => reject(new Error(`echo worker: ${e.message}`));
    echo.postMessage({ sab, mode, spins });
  });
  const call = () => {
    Atomics.store(i32, 0, 1);
    Atomics.notify(i32, 0);
    for (let i = 0; i < spins && Atomics.load(i32, 0) === 1; i++);
    while (Atomics.load(i32, 0) === 1) {
      if (Atomics.wait(i32, 0, 1, 5000) === 'timed-out') throw new Error(`echo (${mode}) did not answer`);
    }
    Atomics.store(i32, 0, 0);
  };
  const r = await timeLoop(call);
  const answered = Atomics.load(i32, 1);
  Atomics.store(i32, 0, 3); // stop
  Atomics.notify(i32, 0);
  echo.terminate();
  if (answered < r.n) throw new Error(`echo (${mode}) answered ${answered} requests, fewer than ${r.n}`);
  return line(`roundtrip_${mode}`, r);
}

/** 16-byte writes and reads at varying offsets on an access handle this worker made itself. */
async function access() {
  const top = await freshOPFS('refwasi-bench-floor');
  const dir = await top.getDirectoryHandle('refwasi-bench-floor', { create: true });
  const file = await dir.getFileHandle('f', { create: true });
  const h = await file.createSyncAccessHandle();
  h.write(new Uint8Array(65536).fill(120), { at: 0 });
  const buf = new Uint8Array(16).fill(119);
  let out = line('access_write_16B', await timeLoop((i) => h.write(buf, { at: (i * 16) & 65535 })));
  out += line('access_read_16B', await timeLoop((i) => h.read(buf, { at: (i * 16) & 65535 })));
  h.close();
  await top.removeEntry('refwasi-bench-floor', { recursive: true });
  return out;
}

/** createSyncAccessHandle + close of an existing file: the cost of opening a file nobody has open. */
async function accessCreateClose() {
  const top = await freshOPFS('refwasi-bench-floor');
  const dir = await top.getDirectoryHandle('refwasi-bench-floor', { create: true });
  const file = await dir.getFileHandle('f', { create: true });
  const r = await timeLoop(async () => (await file.createSyncAccessHandle()).close(), true);
  await top.removeEntry('refwasi-bench-floor', { recursive: true });
  return line('access_create_close', r);
}

const FLOORS = {
  roundtrip_sync: () => roundtrip('sync'),
  roundtrip_spin: () => roundtrip('spin'),
  roundtrip_waitAsync: () => roundtrip('waitAsync'),
  access: access,
  access_create_close: accessCreateClose,
};

self.onmessage = async (e) => {
  const { impl, prog, args } = e.data;
  try {
    if (!self.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: no SharedArrayBuffer');
    if (impl === 'floor' && !(prog in FLOORS)) throw new Error(`no floor ${prog}`);
    const text = impl === 'floor' ? await FLOORS[prog]() : await runProgram(impl, prog, args);
    if (typeof text !== 'string') self.postMessage(text);
    else self.postMessage({ lines: text.split('\n').filter((l) => l.length > 0) });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack ? err.stack : err) });
  }
};
