// A thread an embedder starts itself (as emnapi does): it joins the page's program with
// WASI.fromThreadHandle and calls preview1 directly over the shared memory.
import { WASI } from '/dist/esm/index.mjs';

self.onmessage = (e) => {
  const { handle, memory } = e.data;
  try {
    const wasi = WASI.fromThreadHandle(handle);
    const p1 = wasi.wasiImport;
    const bytes = new Uint8Array(memory.buffer);
    const view = new DataView(memory.buffer);
    const name = new TextEncoder().encode('a.txt');
    bytes.set(name, 100);
    // path_open(dirfd 3, follow, "a.txt", no oflags, rights for read, fdflags 0, -> fd at 200)
    const open = p1.path_open(3, 1, 100, name.length, 0, 2n, 0n, 0, 200);
    const fd = view.getUint32(200, true);
    // One iovec at 300: 64 bytes at 400; bytes read at 208.
    view.setUint32(300, 400, true);
    view.setUint32(304, 64, true);
    const read = p1.fd_read(fd, 300, 1, 208);
    const text = new TextDecoder().decode(bytes.slice(400, 400 + view.getUint32(208, true)));
    // A file of its own, written here, for the page to read back through its own table.
    const out = new TextEncoder().encode('out.txt');
    bytes.set(out, 500);
    const create = p1.path_open(3, 1, 500, out.length, 1, 64n, 0n, 0, 204);
    const outFd = view.getUint32(204, true);
    const data = new TextEncoder().encode('from a worker');
    bytes.set(data, 600);
    view.setUint32(300, 600, true);
    view.setUint32(304, data.length, true);
    const write = p1.fd_write(outFd, 300, 1, 208);
    self.postMessage({ open, fd, read, text, create, outFd, write });
  } catch (error) {
    self.postMessage({ error: `${error.name}: ${error.message}` });
  }
};
