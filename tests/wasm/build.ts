// Builds the differential program (and tests/wasm/lost.c) and records Linux's answers:
//
//   node -r ts-node/register tests/wasm/build.ts
//
// - tests/wasm/differential.wasm and tests/wasm/differential-nodup.wasm (-DNO_DUP), built
//   from tests/wasm/differential.c with the flags of the C fixtures (scripts/build-fixtures.mjs:
//   clang --target=wasm32-wasi --sysroot=/usr -O2, debug info and the producers section
//   stripped, so the output is reproducible);
// - tests/wasm/differential.golden.json: the hash of the sources and of both .wasm, and for
//   every seed the tests run, the transcript and final tree of the same program built
//   natively (gcc) and run on Linux: the reference every runtime is compared with;
// - tests/wasm/lost.wasm (tests/robustness.test.ts: nothing written is lost, however a run ends).
//
// It is not part of the fixture suite because its transcript depends on its seed and it
// changes the directory it runs in. tests/differential.test.ts checks the hashes (a stale
// build fails) and, wherever a C compiler exists, re-runs the native program to re-check the
// golden transcripts against Linux.
//
// Toolchain: clang with wasi-libc (scripts/setup-debian.sh) and gcc. Override with WASI_CC,
// WASI_SYSROOT and NATIVE_CC.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DIFFERENTIAL, REPO, compileNative, compilerVersion, hashes, runNative, type Golden, type RunResult,
} from '../helpers/differential';

const WASI_CC = process.env.WASI_CC || 'clang';
const WASI_SYSROOT = process.env.WASI_SYSROOT || '/usr';
const NATIVE_CC = process.env.NATIVE_CC || 'gcc';

function readLeb(bytes: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result >>> 0, pos];
    shift += 7;
  }
}

/** Drops the "producers" custom section, which names the exact compiler build. */
function stripProducers(bytes: Buffer): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, 8)];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++];
    const [size, payload] = readLeb(bytes, pos);
    const end = payload + size;
    let keep = true;
    if (id === 0) {
      const [len, at] = readLeb(bytes, payload);
      keep = bytes.subarray(at, at + len).toString('utf8') !== 'producers';
    }
    if (keep) parts.push(bytes.subarray(start, end));
    pos = end;
  }
  return Buffer.concat(parts);
}

function mustRun(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: REPO });
  if (r.error || r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}\n`);
    throw new Error(`failed: ${cmd} ${args.join(' ')}`);
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-differential-build-'));
try {
  const builds = [
    ...DIFFERENTIAL.variants.map((v) => ({ name: v.name, src: DIFFERENTIAL.source, defines: v.defines, flags: [] as string[] })),
    // lost.c imports env.host_callback, which the embedder provides.
    { name: 'lost', src: 'tests/wasm/lost.c', defines: [] as string[], flags: ['-Wl,--allow-undefined'] },
  ];
  for (const b of builds) {
    const raw = path.join(tmp, `${b.name}.raw.wasm`);
    mustRun(WASI_CC, [
      '--target=wasm32-wasi', `--sysroot=${WASI_SYSROOT}`, '-O2', '-Wall', '-Wextra', '-I', 'fixtures/include',
      '-Wl,--strip-debug', ...b.flags, ...b.defines, '-o', raw, b.src,
    ]);
    fs.writeFileSync(path.join(REPO, `tests/wasm/${b.name}.wasm`), stripProducers(fs.readFileSync(raw)));
  }
  const runs: Record<string, Record<string, RunResult>> = {};
  for (const v of DIFFERENTIAL.variants) {
    const bin = compileNative(NATIVE_CC, v, tmp);
    runs[v.name] = {};
    for (const seed of DIFFERENTIAL.seeds) {
      const r = runNative(bin, seed, DIFFERENTIAL.ops);
      if (r.exitCode !== 0) throw new Error(`native ${v.name} seed ${seed} exited ${r.exitCode}`);
      runs[v.name][seed] = r;
    }
  }
  const golden: Golden = {
    sources: hashes(DIFFERENTIAL.inputs), wasm: hashes(DIFFERENTIAL.outputs), compiler: compilerVersion(NATIVE_CC), ops: DIFFERENTIAL.ops, runs,
  };
  fs.writeFileSync(path.join(REPO, DIFFERENTIAL.golden), `${JSON.stringify(golden, null, 1)}\n`);
  console.log(`built ${DIFFERENTIAL.outputs.join(', ')}; Linux transcripts in ${DIFFERENTIAL.golden}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
