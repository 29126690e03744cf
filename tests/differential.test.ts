// Differential runs of one seeded C program (tests/wasm/differential.c): a long random
// sequence of open, dup, dup2, renumber, pipe, read, write, seek, append, truncate, rename,
// unlink, mkdir, rmdir, readdir and close, with a transcript of every result. Linux is the
// reference: tests/wasm/differential.golden.json holds what the program prints when built
// with gcc and run natively (tests/wasm/build.ts makes it). Under refwasi, over
// MemoryDirectory and over NodeDirectory, transcript and final tree must be identical to it;
// the variant without the dup extension must be identical under node:wasi too, except for
// node:wasi's documented bugs, each of which must actually show up.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DIFFERENTIAL, NODE_WASI_DEVIATIONS, REPO, compareAllowing, compileNative, firstDifference, hashes, nativeCompiler,
  runNative, runNodeWasi, runRefwasi, type Golden,
} from './helpers/differential';

const golden: Golden = JSON.parse(fs.readFileSync(path.join(REPO, DIFFERENTIAL.golden), 'utf8'));

describe('the differential program and its Linux transcripts are current', () => {
  it('the sources are the ones the committed .wasm and golden transcripts were made from', () => {
    // A stale build would compare refwasi with an old program: rebuild with tests/wasm/build.ts.
    expect(hashes(DIFFERENTIAL.inputs)).toEqual(golden.sources);
    expect(hashes(DIFFERENTIAL.outputs)).toEqual(golden.wasm);
    expect(golden.ops).toBe(DIFFERENTIAL.ops);
    for (const v of DIFFERENTIAL.variants) expect(Object.keys(golden.runs[v.name]).map(Number)).toEqual(DIFFERENTIAL.seeds);
  });

  it('the golden runs did real work: thousands of calls, every operation, successes and failures', () => {
    for (const v of DIFFERENTIAL.variants) {
      const all = Object.values(golden.runs[v.name]).map((r) => r.stdout).join('\n');
      const ops = v.name === 'differential'
        ? ['open', 'close', 'dup', 'dup2', 'renumber', 'pipe', 'read', 'write', 'seek', 'getfl', 'setfl', 'truncate', 'fstat', 'rename', 'unlink', 'mkdir', 'rmdir', 'readdir']
        : ['open', 'close', 'renumber', 'read', 'write', 'seek', 'getfl', 'setfl', 'truncate', 'fstat', 'rename', 'unlink', 'mkdir', 'rmdir', 'readdir'];
      for (const op of ops) {
        const lines = all.split('\n').filter((l) => l.startsWith(`${l.split(' ')[0]} ${op} `));
        expect(lines.filter((l) => !/= E[A-Z]+$/.test(l)).length).toBeGreaterThan(0);
        // pipe() has nothing to fail on (no descriptor limit is reached), and setfl only
        // follows a getfl that succeeded.
        if (op !== 'pipe' && op !== 'setfl') expect(lines.filter((l) => /= E[A-Z]+$/.test(l)).length).toBeGreaterThan(0);
      }
      if (v.name === 'differential-nodup') expect(all).not.toMatch(/^\d+ (dup|dup2|pipe) /m);
      expect(all.split('\n').length).toBeGreaterThan(DIFFERENTIAL.seeds.length * DIFFERENTIAL.ops * 0.8);
      for (const r of Object.values(golden.runs[v.name])) expect(r.tree.length).toBeGreaterThan(2);
    }
  });

  const cc = nativeCompiler();
  it(`Linux still prints the golden transcripts (rebuilt natively with ${cc ?? 'no compiler: the source hashes above vouch for them'})`, () => {
    if (cc === null) {
      // No C compiler on this machine: the hash check above is what ties the golden
      // transcripts to this source; they were made by the compiler recorded in them.
      expect(golden.compiler).toMatch(/gcc|clang|cc/i);
      return;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-differential-native-'));
    try {
      for (const v of DIFFERENTIAL.variants) {
        const bin = compileNative(cc, v, tmp);
        for (const seed of DIFFERENTIAL.seeds) {
          const r = runNative(bin, seed, DIFFERENTIAL.ops);
          const g = golden.runs[v.name][seed];
          expect(r.exitCode).toBe(0);
          expect(firstDifference(r.stdout, g.stdout)).toBeNull();
          expect(r.tree).toEqual(g.tree);
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe.each(DIFFERENTIAL.variants.map((v) => [v.name, v] as const))('%s under refwasi is Linux', (_name, v) => {
  describe.each(['memory', 'node'] as const)('over %s', (backend) => {
    it.each(DIFFERENTIAL.seeds)('seed %i: same transcript, same final tree, every handle closed once', (seed) => {
      const r = runRefwasi(v, backend, seed, DIFFERENTIAL.ops);
      const g = golden.runs[v.name][seed];
      expect(r.exitCode).toBe(0);
      expect(firstDifference(r.stdout, g.stdout)).toBeNull();
      expect(r.tree).toEqual(g.tree);
      expect(r.leaks).toEqual([]);
    });
  });
});

describe('differential-nodup under node:wasi', () => {
  const v = DIFFERENTIAL.variants.find((x) => x.name === 'differential-nodup')!;
  const used: Record<string, number> = {};

  it.each(DIFFERENTIAL.seeds)('seed %i: Linux\'s transcript but for node:wasi\'s documented bugs; same final tree', (seed) => {
    const r = runNodeWasi(v, seed, DIFFERENTIAL.ops);
    const g = golden.runs[v.name][seed];
    expect(r.exitCode).toBe(0);
    const c = compareAllowing(r.stdout, g.stdout, NODE_WASI_DEVIATIONS);
    expect(c.problem).toBeNull();
    for (const [k, n] of Object.entries(c.used)) used[k] = (used[k] ?? 0) + n;
    expect(r.tree).toEqual(g.tree);
  });

  it('every deviation allowed for node:wasi actually happened (none is a stale excuse)', () => {
    for (const d of NODE_WASI_DEVIATIONS) expect(`${d.name}: ${used[d.name] ?? 0}`).not.toBe(`${d.name}: 0`);
  });

  it('refwasi itself needs none of them', () => {
    const r = runRefwasi(v, 'memory', DIFFERENTIAL.seeds[0], DIFFERENTIAL.ops);
    const c = compareAllowing(r.stdout, golden.runs[v.name][DIFFERENTIAL.seeds[0]].stdout, []);
    expect(c.problem).toBeNull();
  });
});
