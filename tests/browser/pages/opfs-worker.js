// The program's worker: runs wasm with OPFSDirectory preopens (OPFSDirectory.open starts
// the OPFS server, a second worker). Commands come from opfs.html.
import { DescriptorTable, Filetype, OpenFileDescription, OPFSDirectory, RIGHTS_FILE } from '/dist/esm/index.mjs';
import { fillDir, fromB64, hex, manifest, runFixture, runProgram } from './harness.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function fresh(name, options) {
  const top = await navigator.storage.getDirectory();
  await top.removeEntry(name, { recursive: true }).catch(() => undefined);
  return OPFSDirectory.open(name, options);
}

/** Reads a directory back through the backend: { name: hex | subtree }. */
function readBack(dir) {
  const out = {};
  for (const e of dir.list().sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.filetype === Filetype.DIRECTORY) {
      out[e.name] = readBack(dir.lookup(e.name));
    } else {
      const h = dir.openFile(e.name, { read: true, write: false, create: false, exclusive: false, truncate: false });
      const bytes = new Uint8Array(h.size());
      h.read(bytes, 0);
      h.close();
      out[e.name] = hex(bytes);
    }
  }
  return out;
}

/** Reads a directory back through OPFS's own async API, not through refwasi. */
async function readBackOPFS(handle) {
  const entries = [];
  for await (const entry of handle.entries()) entries.push(entry);
  entries.sort(([a], [b]) => (a < b ? -1 : 1));
  const out = {};
  for (const [name, h] of entries) {
    out[name] = h.kind === 'directory' ? await readBackOPFS(h) : hex(new Uint8Array(await (await h.getFile()).arrayBuffer()));
  }
  return out;
}

async function opfsPath(...parts) {
  let h = await navigator.storage.getDirectory();
  for (const p of parts) h = await h.getDirectoryHandle(p);
  return h;
}

/** Names in a directory as refwasi lists them, and as OPFS itself does. */
async function bothListings(dir, handle) {
  const own = [];
  for await (const [name] of handle.entries()) own.push(name);
  return { refwasi: dir.list().map((e) => e.name).sort(), opfs: own.sort() };
}

const commands = {
  /** Listings kept on the program's side stay those of OPFS through every kind of change. */
  async listings() {
    const mount = await fresh('listings');
    const file = { read: true, write: true, create: true, exclusive: false, truncate: false };
    const steps = [];
    const step = async (label, f) => {
      let errno = 0;
      try {
        f();
      } catch (e) {
        errno = e.errno ?? -1;
      }
      const sub = mount.lookup('sub');
      steps.push({
        label, errno,
        top: await bothListings(mount, await opfsPath('listings')),
        sub: sub === null ? null : await bothListings(sub, await opfsPath('listings', 'sub')),
      });
    };
    await step('list an empty directory', () => mount.list());
    await step('create a and b', () => { mount.openFile('a', file).close(); mount.openFile('b', file).close(); });
    await step('mkdir sub, create sub/x', () => { mount.mkdir('sub'); mount.lookup('sub').openFile('x', file).close(); });
    await step('exclusive create of a fails', () => mount.openFile('a', { ...file, exclusive: true }));
    await step('unlink a', () => mount.unlink('a'));
    await step('unlink a again fails', () => mount.unlink('a'));
    await step('rename b to sub/y', () => mount.rename('b', mount.lookup('sub'), 'y'));
    await step('a name OPFS refuses', () => mount.openFile('back\\slash', file));
    await step('rmdir of a full sub fails', () => mount.rmdir('sub'));
    const held = mount.lookup('sub');
    await step('rename sub to moved', () => mount.rename('sub', mount, 'moved'));
    await step('create in a renamed directory', () => held.openFile('z', file).close());
    const moved = await bothListings(held, await opfsPath('listings', 'moved'));
    const stats = mount.unmount();
    return { steps, moved, stats };
  },

  async suite() {
    const mount = await fresh('suite');
    const results = [];
    for (const fx of await manifest()) {
      mount.mkdir(fx.name);
      const fxDir = mount.lookup(fx.name);
      const preopens = {};
      for (const [d, t] of Object.entries(fx.dirs)) {
        fxDir.mkdir(d);
        preopens[d] = fxDir.lookup(d);
        fillDir(preopens[d], t);
      }
      const before = mount.stats();
      const r = await runFixture(fx, preopens);
      r.stats = { before, after: mount.stats() };
      r.trees = {};
      for (const [d, dir] of Object.entries(preopens)) r.trees[d] = readBack(dir);
      results.push(r);
    }
    const final = mount.stats();
    const doubleCloses = mount.doubleCloses;
    const atUnmount = mount.unmount();
    // What OPFS itself holds now, read without refwasi.
    for (const r of results) {
      r.opfsTrees = {};
      for (const d of Object.keys(r.trees)) r.opfsTrees[d] = await readBackOPFS(await opfsPath('suite', r.name, d));
    }
    return { results, final, atUnmount, doubleCloses };
  },

  /** Dups and a second open of one file, with the server's counts after every step. */
  async accounting() {
    const mount = await fresh('accounting');
    const steps = [];
    const snap = (label) => steps.push({ label, ...mount.stats() });
    const table = new DescriptorTable();
    const opts = { read: true, write: true, create: true, exclusive: false, truncate: true };
    const a = table.insert(new OpenFileDescription(mount.openFile('f.txt', opts), Filetype.REGULAR_FILE, 0, true, true), RIGHTS_FILE, 0);
    const a1 = table.dup(a);
    const a2 = table.dup(a, 10);
    snap('open f.txt, dup it twice');
    const b = table.insert(new OpenFileDescription(mount.openFile('f.txt', { ...opts, create: false, truncate: false }), Filetype.REGULAR_FILE, 0, true, true), RIGHTS_FILE, 0);
    snap('open f.txt again');
    table.get(a1).handle.write(encoder.encode('shared bytes'), 0);
    const buf = new Uint8Array(12);
    table.get(b).handle.read(buf, 0);
    const seenBySecondOpen = decoder.decode(buf);
    table.close(a);
    snap('close the original');
    table.close(a1);
    snap('close dup 1');
    table.renumber(a2, b);
    snap('renumber dup 2 onto the second open');
    table.close(b);
    snap('close the last descriptor');
    const unmounted = mount.unmount();
    return { steps, seenBySecondOpen, doubleCloses: mount.doubleCloses, unmounted };
  },

  /** probe.c's transcript. */
  async fsops() {
    const mount = await fresh('fsops');
    const r = await runProgram('/test/wasm/probe.wasm', ['probe', 'fsops', 'data'], { data: mount });
    const stats = mount.stats();
    const left = readBack(mount);
    mount.unmount();
    return { ...r, stats, left, doubleCloses: mount.doubleCloses };
  },

  async persistWrite(text) {
    const mount = await fresh('persist');
    mount.mkdir('sub');
    const r = await runProgram('/test/wasm/probe.wasm', ['probe', 'write', 'data/sub/note.txt', text], { data: mount });
    const stats = mount.unmount();
    return { ...r, stats };
  },

  /** Mounts by FileSystemDirectoryHandle this time (persistWrite mounted by path). */
  async persistRead() {
    const handle = await (await navigator.storage.getDirectory()).getDirectoryHandle('persist');
    const mount = await OPFSDirectory.open(handle);
    const r = await runProgram('/test/wasm/probe.wasm', ['probe', 'read', 'data/sub/note.txt'], { data: mount });
    const tree = readBack(mount);
    const stats = mount.unmount();
    return { ...r, tree, stats };
  },
};

self.onmessage = async (e) => {
  const { id, cmd, arg } = e.data;
  try {
    if (!(cmd in commands)) throw new Error(`no command ${cmd}`);
    self.postMessage({ id, ok: true, value: await commands[cmd](arg) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err && err.stack ? err.stack : err) });
  }
};
