// What real WASI programs (ruby.wasm, Yosys, Flite, archivers) showed about refwasi, kept as
// small C programs in tests/wasm/ that do the same thing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Filetype } from '../src/abi/constants';
import type { FileStat, StreamHandle } from '../src/backends/types';
import { WASI, type WASIOptions } from '../src/wasi';

const interpStart = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, 'wasm/interp_start.wasm')));

/** A keyboard: a character device that hands out its lines one read at a time. */
class Terminal implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype = Filetype.CHARACTER_DEVICE;
  constructor(private lines: string[]) {}
  read(into: Uint8Array): number {
    const line = this.lines.shift();
    if (line === undefined) return 0;
    const bytes = new TextEncoder().encode(line);
    into.set(bytes);
    return bytes.byteLength;
  }
  write(): number {
    return 0;
  }
  stat(): FileStat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  close(): void {}
}

function runInterp(stdin: WASIOptions['stdin']): { code: number; stdout: string } {
  let stdout = '';
  const wasi = new WASI({ args: ['interp_start'], stdin, stdout: (c) => { stdout += new TextDecoder().decode(c); }, stderr: () => {} });
  const instance = new WebAssembly.Instance(interpStart, wasi.getImportObject() as unknown as WebAssembly.Imports);
  return { code: wasi.start(instance), stdout };
}

describe('stdin given as bytes is input, not a terminal (isatty(0) is false)', () => {
  const script = 'line 1: puts 1\nline 2: puts 2\n';

  it('a Uint8Array is read as a script, without prompts', () => {
    expect(runInterp(new TextEncoder().encode('puts 1\nputs 2\n'))).toEqual({ code: 0, stdout: `stdin: script\n${script}` });
  });

  it('a string is read as a script, without prompts', () => {
    expect(runInterp('puts 1\nputs 2\n')).toEqual({ code: 0, stdout: `stdin: script\n${script}` });
  });

  it('no stdin at all is an empty script', () => {
    expect(runInterp(undefined)).toEqual({ code: 0, stdout: 'stdin: script\n' });
  });

  it('a character device stays a terminal: banner and prompts', () => {
    expect(runInterp(new Terminal(['puts 1\n', 'puts 2\n']))).toEqual({
      code: 0, stdout: 'stdin: terminal\n> line 1: puts 1\n> line 2: puts 2\n> ',
    });
  });
});

describe('wasiImport: embedders written for node:wasi or browser_wasi_shim', () => {
  it('is the wasi_snapshot_preview1 import object', () => {
    const wasi = new WASI();
    expect(wasi.wasiImport).toBe(wasi.getImportObject().wasi_snapshot_preview1);
    expect(typeof wasi.wasiImport.fd_write).toBe('function');
  });

  it('links and runs a program built from { wasi_snapshot_preview1: wasi.wasiImport }, as ruby.wasm does', () => {
    let stdout = '';
    const wasi = new WASI({ args: ['interp_start'], stdin: 'x\n', stdout: (c) => { stdout += new TextDecoder().decode(c); } });
    const instance = new WebAssembly.Instance(interpStart, { wasi_snapshot_preview1: wasi.wasiImport } as unknown as WebAssembly.Imports);
    expect(wasi.start(instance)).toBe(0);
    expect(stdout).toBe('stdin: script\nline 1: x\n');
  });
});
