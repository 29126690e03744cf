// Runs a program for the demo page with OPFSDirectory preopens. Each input directory lives
// at refwasi-demo/<name> in the origin's OPFS; its files are written there the first time
// and kept afterwards, so what a program writes is still there after a reload.
import { Filetype, OPFSDirectory, WASI } from '/dist/esm/index.mjs';

let mount = null;

function fromB64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function fill(dir, tree) {
  for (const [name, v] of Object.entries(tree)) {
    if (typeof v.b64 === 'string') {
      if (dir.lookup(name) !== null) continue;
      const h = dir.openFile(name, { read: false, write: true, create: true, exclusive: true, truncate: false });
      h.write(fromB64(v.b64), 0);
      h.close();
    } else {
      if (dir.lookup(name) === null) dir.mkdir(name);
      fill(dir.lookup(name), v);
    }
  }
}

function describe(dir, indent) {
  const lines = [];
  for (const e of dir.list().sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.filetype === Filetype.DIRECTORY) lines.push(`${indent}${e.name}/`, ...describe(dir.lookup(e.name), `${indent}  `));
    else lines.push(`${indent}${e.name}  (${dir.lookup(e.name).stat().size} bytes)`);
  }
  return lines;
}

self.onmessage = async (e) => {
  const { id, name, bytes, args, spec, dirs } = e.data;
  try {
    mount ??= await OPFSDirectory.open('refwasi-demo');
    const preopens = {};
    for (const [d, tree] of Object.entries(dirs)) {
      if (mount.lookup(d) === null) mount.mkdir(d);
      preopens[d] = mount.lookup(d);
      fill(preopens[d], tree);
    }
    let stdout = '';
    let stderr = '';
    const out = new TextDecoder();
    const err = new TextDecoder();
    const wasi = new WASI({
      args: [`${name}.wasm`, ...args],
      env: spec.env ?? {},
      preopens,
      stdout: (c) => { stdout += out.decode(c, { stream: true }); },
      stderr: (c) => { stderr += err.decode(c, { stream: true }); },
      renumber: spec.refwasi?.renumber ?? 'strict',
    });
    const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
    const code = wasi.start(instance);
    const files = Object.entries(preopens).flatMap(([d, dir]) => [`refwasi-demo/${d}/`, ...describe(dir, '  ')]);
    self.postMessage({ id, ok: true, value: { code, stdout, stderr, files } });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err && err.message ? err.message : err) });
  }
};
