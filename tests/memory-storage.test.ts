// MemoryDirectory's storage: file bytes in fixed-size chunks (holes read as zeros) and
// listings kept encoded until the directory changes. Checked against a plain model.
import { MemoryDirectory, MemoryFile } from '../src/backends/memory';
import { CHUNK_BITS } from '../src/backends/memory/file';
import { WasiError } from '../src/abi/errors';
import { Pipe } from '../src/backends/pipe';
import { Harness } from './support/harness';

const CHUNK = 1 << CHUNK_BITS;

/** A tiny deterministic generator, so a failure repeats. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

/** Byte equality without jest's element-by-element diffing (these arrays are megabytes). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

function model(len: number, m: Uint8Array): Uint8Array {
  const out = new Uint8Array(len);
  out.set(m.subarray(0, Math.min(len, m.length)));
  return out;
}

describe('chunked file contents', () => {
  it('writes, reads and truncations around chunk boundaries agree with a flat model', () => {
    const root = new MemoryDirectory();
    const file = new MemoryFile(root.fs);
    const handle = file.open();
    let flat: Uint8Array = new Uint8Array(0);
    const r = rng(7);
    // Positions near boundaries are where a chunked store goes wrong.
    const near = () => Math.max(0, r(4) * CHUNK + r(64) - 32);
    for (let step = 0; step < 400; step++) {
      const op = r(3);
      if (op === 0) {
        const pos = near();
        const len = r(5) === 0 ? CHUNK + r(100) : r(200);
        const data = new Uint8Array(len).map((_, i) => (i * 7 + step) & 0xff);
        expect(handle.write(data, pos)).toBe(len);
        if (pos + len > flat.length) flat = model(pos + len, flat);
        flat.set(data, pos);
      } else if (op === 1) {
        const size = near();
        handle.truncate(size);
        flat = model(size, flat);
      } else {
        const pos = near();
        const len = r(3) === 0 ? 2 * CHUNK : r(300);
        const into = new Uint8Array(len + 8).fill(0xee);
        const n = handle.readInto(into, 4, len, pos);
        const want = Math.max(0, Math.min(len, flat.length - pos));
        expect(n).toBe(want);
        expect(same(into.subarray(4, 4 + n), flat.subarray(pos, pos + n))).toBe(true);
        expect(into[3]).toBe(0xee);
        expect(into[4 + n]).toBe(0xee);
      }
      expect(file.size).toBe(flat.length);
      expect(root.fs.bytesUsed).toBe(flat.length);
    }
    expect(same(file.contents(), flat)).toBe(true);
    handle.close();
  });

  it('a file made from bytes larger than a chunk reads back exactly', () => {
    const bytes = new Uint8Array(3 * CHUNK + 5).map((_, i) => i % 251);
    const root = MemoryDirectory.from({ big: bytes });
    expect(same(root.toTree().big as Uint8Array, bytes)).toBe(true);
  });

  it('growing by truncate leaves a hole that reads as zeros and costs no chunk', () => {
    const root = MemoryDirectory.from({ f: 'abc' });
    const file = root.entries.get('f') as MemoryFile;
    const handle = file.open();
    handle.truncate(10 * CHUNK);
    const into = new Uint8Array(16).fill(1);
    expect(handle.read(into, 5 * CHUNK)).toBe(16);
    expect([...into]).toEqual(new Array(16).fill(0));
    expect(root.fs.bytesUsed).toBe(10 * CHUNK);
    handle.close();
  });

  it('chunks freed by one file come back zeroed in another', () => {
    const root = new MemoryDirectory();
    const a = new MemoryFile(root.fs);
    const ha = a.open();
    const ones = new Uint8Array(3 * CHUNK).fill(0xff);
    ha.write(ones, 0);
    ha.truncate(0); // the chunks go back for reuse
    const b = new MemoryFile(root.fs);
    const hb = b.open();
    hb.write(new Uint8Array([7]), 2 * CHUNK + 10); // a hole, then one byte, in reused chunks
    expect(b.size).toBe(2 * CHUNK + 11);
    const back = new Uint8Array(b.size);
    expect(hb.read(back, 0)).toBe(b.size);
    expect(back.indexOf(0xff)).toBe(-1);
    expect(back[2 * CHUNK + 10]).toBe(7);
    ha.close();
    hb.close();
  });
});

describe('encoded listings', () => {
  it('a new pass sees every change; a pass under way keeps its snapshot', () => {
    const h = new Harness({ d: { a: '', b: '' } });
    const fd = h.openDir('d');
    expect(h.listAll(fd)).toEqual(['.', '..', 'a', 'b']);
    // A pass that read one entry at a time: the directory changes in the middle.
    const first = h.readdir(fd, 24 + 1, 0n);
    expect(first.entries[0].name).toBe('.');
    expect(h.create('d/c')).toBeGreaterThan(0);
    expect(h.unlink('d/a')).toBe(0);
    const rest = h.readdir(fd, 4096, 1n);
    expect(rest.entries.map((e) => e.name)).toEqual(['..', 'a', 'b']);
    expect(h.listAll(fd)).toEqual(['.', '..', 'b', 'c']);
    expect(h.rename('d/b', 'd/z')).toBe(0);
    expect(h.listAll(fd)).toEqual(['.', '..', 'c', 'z']);
  });
});

describe('pipe buffer', () => {
  it('bytes come out in order through growth, compaction and partial reads', () => {
    const pipe = new Pipe();
    const r = rng(11);
    const sent: number[] = [];
    const got: number[] = [];
    let next = 0;
    for (let step = 0; step < 600; step++) {
      if (r(2) === 0) {
        const len = r(4) === 0 ? 5000 + r(70000) : r(300);
        const src = new Uint8Array(len + 6);
        for (let i = 0; i < len; i++) src[3 + i] = (next + i) & 0xff;
        for (let i = 0; i < len; i++) sent.push((next + i) & 0xff);
        next += len;
        expect(pipe.writeEnd.writeFrom(src, 3, len)).toBe(len);
      } else if (pipe.available > 0) {
        const len = 1 + r(r(3) === 0 ? 90000 : 500);
        const into = new Uint8Array(len + 2);
        const n = pipe.readEnd.readInto(into, 1, len);
        expect(n).toBe(Math.min(len, sent.length - got.length));
        for (let i = 0; i < n; i++) got.push(into[1 + i]);
      } else {
        expect(() => pipe.readEnd.readInto(new Uint8Array(4), 0, 4)).toThrow(WasiError);
      }
      expect(pipe.available).toBe(sent.length - got.length);
    }
    const rest = new Uint8Array(pipe.available);
    if (rest.length > 0) expect(pipe.pull(rest)).toBe(rest.length);
    got.push(...rest);
    expect(Buffer.from(got).equals(Buffer.from(sent))).toBe(true);
    pipe.writerOpen = false;
    expect(pipe.pull(new Uint8Array(4))).toBe(0);
  });
});
