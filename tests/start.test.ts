// WASI.start closes every descriptor when the program ends: by returning from main, by
// proc_exit (from a non-zero main or straight away), and by trapping.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Filetype } from '../src/abi/constants';
import { MemoryDirectory } from '../src/backends/memory';
import type { FileStat, StreamHandle } from '../src/backends/types';
import { WASI } from '../src/wasi';

const wasm = fs.readFileSync(path.join(__dirname, 'wasm/start_close.wasm'));
const program = new WebAssembly.Module(wasm);

/** A stream handle that records what is written and how often it is closed. */
class CountingStream implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype = Filetype.CHARACTER_DEVICE;
  closes = 0;
  text = '';
  read(): number {
    return 0;
  }
  write(data: Uint8Array): number {
    this.text += new TextDecoder().decode(data);
    return data.byteLength;
  }
  stat(): FileStat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  close(): void {
    this.closes++;
  }
}

function setup(mode: string) {
  const root = new MemoryDirectory();
  const stdin = new CountingStream();
  const stdout = new CountingStream();
  const stderr = new CountingStream();
  const wasi = new WASI({ args: ['start_close', mode], preopens: { '/': root }, stdin, stdout, stderr });
  const instance = new WebAssembly.Instance(program, wasi.getImportObject() as unknown as WebAssembly.Imports);
  return { root, stdin, stdout, stderr, wasi, instance };
}

function expectAllClosed(s: ReturnType<typeof setup>): void {
  expect(s.wasi.table.fds()).toEqual([]);
  expect(s.wasi.table.size).toBe(0);
  expect(s.root.openHandles).toBe(0);
  expect(s.root.doubleCloses).toBe(0);
  // Two files were opened, one of them dup'ed: two handles, each closed once.
  expect(s.root.fs.handlesOpened).toBe(2);
  // stdout was dup'ed by the program: its handle is still closed exactly once.
  expect([s.stdin.closes, s.stdout.closes, s.stderr.closes]).toEqual([1, 1, 1]);
}

describe('WASI.start closes every descriptor', () => {
  it('when main returns 0', () => {
    const s = setup('return');
    expect(s.wasi.start(s.instance)).toBe(0);
    expect(s.stdout.text).toBe('ready\n');
    expect(s.stderr.text).toBe('');
    expectAllClosed(s);
    const tree = s.root.toTree();
    expect(new TextDecoder().decode(tree['a.txt'] as Uint8Array)).toBe('data');
    expect(new TextDecoder().decode(tree['b.txt'] as Uint8Array)).toBe('more');
  });

  it('when main returns non-zero (proc_exit from _start)', () => {
    const s = setup('fail');
    expect(s.wasi.start(s.instance)).toBe(3);
    expect(s.stdout.text).toBe('ready\n');
    expectAllClosed(s);
  });

  it('when the program calls proc_exit itself', () => {
    const s = setup('exit');
    expect(s.wasi.start(s.instance)).toBe(7);
    expectAllClosed(s);
  });

  it('when the program traps: the trap is rethrown after the descriptors are closed', () => {
    const s = setup('trap');
    expect(() => s.wasi.start(s.instance)).toThrow(WebAssembly.RuntimeError);
    expect(s.stdout.text).toBe('ready\n');
    expectAllClosed(s);
  });

  it('a second start is refused and closes nothing twice', () => {
    const s = setup('return');
    expect(s.wasi.start(s.instance)).toBe(0);
    expect(() => s.wasi.start(s.instance)).toThrow(/already/);
    expectAllClosed(s);
  });

  it('a close that fails on the host is reported after every other descriptor is closed', () => {
    const s = setup('return');
    const original = s.stdout.close.bind(s.stdout);
    s.stdout.close = () => {
      original();
      throw new Error('host close failed');
    };
    expect(() => s.wasi.start(s.instance)).toThrow('host close failed');
    expectAllClosed(s);
  });
});
