// Threads: a program's instances sharing one imported memory (shared, as
// wasm32-wasip1-threads imports it, or ordinary) and one WASI object, so one descriptor
// table. The program is tests/wasm/threads.c (built by tests/wasm/build-threads.mjs): instance
// A runs _start; the host runs instance B (its own stack) in the middle of A's calls, where it
// uses and dups A's descriptor and grows the memory, once while A is inside fd_read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errno } from '../src/abi/constants';
import { GuestMemory } from '../src/abi/memory';
import { MemoryDirectory } from '../src/backends/memory';
import { WASI } from '../src/wasi';

const PAGE = 65536;

function load(variant: 'shared' | 'plain'): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(join(__dirname, 'wasm', `threads_${variant}.wasm`)));
}

interface Outcome {
  code: number;
  stdout: string;
  file: Uint8Array | undefined;
  pages: number;
  stdinCalls: number;
  memory: WebAssembly.Memory;
  wasi: WASI;
}

function runThreads(variant: 'shared' | 'plain'): Outcome {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: variant === 'shared' });
  const module = load(variant);
  const root = MemoryDirectory.from({ données: {} });
  const decoder = new TextDecoder();
  let stdout = '';
  let stdinCalls = 0;
  let b: Record<string, unknown> = {};
  const wasi = new WASI({
    args: ['threads', 'ünïcödé', '日本語', 'two words'],
    preopens: { '/': root },
    stdout: (chunk) => {
      const text = decoder.decode(chunk);
      stdout += text;
      if (text === 'A: opened\n') (b.thread_entry as () => void)();
    },
    stdin: () => {
      stdinCalls++;
      if (stdinCalls > 1) return null;
      (b.grow_and_fill as () => void)();
      return 'from stdin\n';
    },
  });
  const imports = { ...wasi.getImportObject(), env: { memory } } as WebAssembly.Imports;
  const a = new WebAssembly.Instance(module, imports);
  const second = new WebAssembly.Instance(module, imports);
  b = second.exports as Record<string, unknown>;
  // A thread gets its own stack, as wasi-threads' thread start does: a fresh page.
  const stackPage = memory.grow(1);
  (b.__stack_pointer as WebAssembly.Global).value = (stackPage + 1) * PAGE;
  // The memory is imported, not exported: bind it before start.
  wasi.setMemory(memory);
  const code = wasi.start(a);
  const tree = root.toTree() as { données: Record<string, Uint8Array> };
  return { code, stdout, file: tree.données['é.txt'], pages: memory.buffer.byteLength / PAGE, stdinCalls, memory, wasi };
}

/** Makes TextDecoder refuse views of shared memory, as browsers do (Node's accepts them). */
function strictTextDecoder(): jest.SpyInstance {
  const decode = TextDecoder.prototype.decode;
  return jest.spyOn(TextDecoder.prototype, 'decode').mockImplementation(function (this: TextDecoder, input?: AllowSharedBufferSource, options?: TextDecodeOptions) {
    if (input && ArrayBuffer.isView(input) && input.buffer instanceof SharedArrayBuffer) {
      throw new TypeError('The provided ArrayBufferView value must not be shared.');
    }
    return decode.call(this, input, options);
  });
}

describe.each(['shared', 'plain'] as const)('one program, two instances, one WASI object (%s memory)', (variant) => {
  let out: Outcome;
  beforeAll(() => {
    const spy = strictTextDecoder();
    try {
      out = runThreads(variant);
    } finally {
      spy.mockRestore();
    }
  });

  it('the memory is what the variant says', () => {
    expect(out.memory.buffer instanceof SharedArrayBuffer).toBe(variant === 'shared');
  });

  it('runs to its proc_exit status', () => {
    expect(out.code).toBe(3);
  });

  it('args are written into the memory intact', () => {
    expect(out.stdout.startsWith('ünïcödé\n日本語\ntwo words\nA: opened\n')).toBe(true);
  });

  it('a non-ASCII path is read out of the memory (TextDecoder refuses shared views: it is copied first)', () => {
    expect(out.file).toBeDefined();
  });

  it('one descriptor table: B wrote through and dup\'d the fd A opened; the dup shares the offset', () => {
    expect(new TextDecoder().decode(out.file)).toBe('A1;B;A2;A3;');
    expect(out.stdout).toContain('file: A1;B;A2;A3;\n');
  });

  it('memory grown by B while A was inside fd_read: the read lands, and A writes from the new page', () => {
    expect(out.stdinCalls).toBe(1);
    expect(out.stdout).toContain('from stdin\nwritten into memory that B grew\n');
    // 2 pages at first, B's stack page, the page B grew
    expect(out.pages).toBe(4);
  });

  it('start() closed every descriptor at the end', () => {
    expect(out.wasi.table.size).toBe(0);
  });
});

describe('GuestMemory over shared memory', () => {
  let afterSpy: jest.SpyInstance | null = null;
  afterEach(() => afterSpy?.mockRestore());

  it('reads strings (UTF-8 checked) and follows growth between calls', () => {
    const spy = strictTextDecoder();
    afterSpy = spy;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const mem = new GuestMemory(memory);
    expect(mem.shared).toBe(true);
    const text = new TextEncoder().encode('chemin/été/日本');
    new Uint8Array(memory.buffer).set(text, 100);
    expect(mem.string(100, text.byteLength)).toBe('chemin/été/日本');
    new Uint8Array(memory.buffer).set([0xff, 0xfe], 300);
    expect(() => mem.string(300, 2)).toThrow(expect.objectContaining({ errno: Errno.ILSEQ }));
    expect(() => mem.u32(PAGE)).toThrow(expect.objectContaining({ errno: Errno.FAULT }));
    memory.grow(2);
    new Uint8Array(memory.buffer).set(text, 2 * PAGE + 5);
    expect(mem.string(2 * PAGE + 5, text.byteLength)).toBe('chemin/été/日本');
    mem.setU32(3 * PAGE - 4, 0xdeadbeef);
    expect(new DataView(memory.buffer).getUint32(3 * PAGE - 4, true)).toBe(0xdeadbeef);
  });

  it('a memory grown from outside between syscalls is used at once (ordinary memory too)', () => {
    for (const shared of [true, false]) {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared });
      const chunks: string[] = [];
      const wasi = new WASI({ stdout: (c) => chunks.push(new TextDecoder().decode(c)) });
      wasi.setMemory(memory);
      const p1 = wasi.getImportObject().wasi_snapshot_preview1 as unknown as Record<string, (...a: number[]) => number>;
      memory.grow(1);
      const view = new DataView(memory.buffer);
      new Uint8Array(memory.buffer).set(new TextEncoder().encode('on page 1'), PAGE + 16);
      view.setUint32(PAGE, PAGE + 16, true);
      view.setUint32(PAGE + 4, 9, true);
      expect(p1.fd_write(1, PAGE, 1, PAGE + 8)).toBe(0);
      expect(new DataView(memory.buffer).getUint32(PAGE + 8, true)).toBe(9);
      expect(chunks).toEqual(['on page 1']);
    }
  });

  it('a stdout callback that grows an ordinary memory mid-write: a short write, nothing lost or doubled', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const got: string[] = [];
    const wasi = new WASI({
      stdout: (c) => {
        got.push(new TextDecoder().decode(c));
        if (got.length === 1) memory.grow(1);
      },
    });
    wasi.setMemory(memory);
    const p1 = wasi.getImportObject().wasi_snapshot_preview1 as unknown as Record<string, (...a: number[]) => number>;
    const bytes = new Uint8Array(memory.buffer);
    bytes.set(new TextEncoder().encode('firstsecond'), 1000);
    const view = new DataView(memory.buffer);
    view.setUint32(100, 1000, true);
    view.setUint32(104, 5, true);
    view.setUint32(108, 1005, true);
    view.setUint32(112, 6, true);
    expect(p1.fd_write(1, 100, 2, 200)).toBe(0);
    const written = new DataView(memory.buffer).getUint32(200, true);
    expect(written).toBe(5);
    expect(got).toEqual(['first']);
    // What a libc does next: write the rest, from the (new) memory.
    const v2 = new DataView(memory.buffer);
    v2.setUint32(100, 1000 + written, true);
    v2.setUint32(104, 6, true);
    expect(p1.fd_write(1, 100, 1, 200)).toBe(0);
    expect(got.join('')).toBe('firstsecond');
  });
});
