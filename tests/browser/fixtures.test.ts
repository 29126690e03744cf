// Every C fixture of fixtures/testsuite, in Chromium: on MemoryDirectory on the page's main
// thread, on OPFSDirectory in a dedicated worker (with the OPFS server's access-handle
// counts checked after each run, and the files read back through OPFS itself), and through
// browser_wasi_shim's own objects handed to ShimWASI.
import { launch, serve, type Browser, type Served } from './browser';
import { expectFixture, fixtureNames, hexTree, OPFS_LIMITS, spec, SUITE, type Run } from './fixture-specs';
import { join } from 'node:path';
import type { OPFSStats as Stats } from '../../src/backends/browser/protocol';

interface MemoryRun extends Run {
  openHandles: number;
  doubleCloses: number;
}

interface OPFSRun extends Run {
  stats: { before: Stats; after: Stats };
  opfsTrees: Run['trees'];
}

let served: Served;
let browser: Browser;
let memory: Map<string, MemoryRun>;
let opfs: { results: Map<string, OPFSRun>; final: Stats; atUnmount: Stats; doubleCloses: number };
let shim: { results: Map<string, Run>; openHandles: number; doubleCloses: number };

const byName = <T extends { name: string }>(list: T[]): Map<string, T> => new Map(list.map((r) => [r.name, r]));

beforeAll(async () => {
  served = await serve();
  browser = await launch(served.url);
  const memPage = await browser.open('/test/pages/memory.html');
  memory = byName(await memPage.evaluate(() => (window as unknown as { memorySuite(): Promise<MemoryRun[]> }).memorySuite()));
  const opfsPage = await browser.open('/test/pages/opfs.html');
  const o = await opfsPage.evaluate(() => (window as unknown as {
    opfs(cmd: 'suite'): Promise<{ results: OPFSRun[]; final: Stats; atUnmount: Stats; doubleCloses: number }>;
  }).opfs('suite'));
  opfs = { ...o, results: byName(o.results) };
  const shimPage = await browser.open('/test/pages/shim.html');
  const s = await shimPage.evaluate(() => (window as unknown as {
    shimSuite(): Promise<{ results: Run[]; openHandles: number; doubleCloses: number }>;
  }).shimSuite());
  shim = { ...s, results: byName(s.results) };
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the fixture suite in Chromium', () => {
  it('has fixtures to run, the np.load one among them, and every page ran all of them without a page error', () => {
    expect(fixtureNames.length).toBeGreaterThan(0);
    expect(fixtureNames).toContain('numpy_load');
    expect([...memory.keys()].sort()).toEqual(fixtureNames);
    expect([...opfs.results.keys()].sort()).toEqual(fixtureNames);
    expect([...shim.results.keys()].sort()).toEqual(fixtureNames);
    expect(browser.errors).toEqual([]);
    // The OPFS limits list names only fixtures that exist.
    expect(fixtureNames).toEqual(expect.arrayContaining(Object.keys(OPFS_LIMITS)));
  });
});

describe('MemoryDirectory, main thread', () => {
  test.each(fixtureNames)('%s', (name) => {
    const run = memory.get(name)!;
    expectFixture(run);
    expect({ openHandles: run.openHandles, doubleCloses: run.doubleCloses }).toEqual({ openHandles: 0, doubleCloses: 0 });
  });
});

describe('OPFSDirectory, in a worker', () => {
  test.each(fixtureNames)('%s', (name) => {
    const run = opfs.results.get(name)!;
    if (name in OPFS_LIMITS) {
      // Needs what OPFS cannot express: it must not pass here (and it is run to show that).
      expect({ name, passed: run.code === (spec(name).exit_code ?? 0) && run.stdout === spec(name).stdout }).toEqual({ name, passed: false });
      return;
    }
    expectFixture(run);
    // OPFS itself (read without refwasi) holds what the program left.
    for (const d of spec(name).dirs ?? []) expect({ dir: d, opfs: run.opfsTrees[d] }).toEqual({ dir: d, opfs: hexTree(join(SUITE, d)) });
    // Every access handle this run made was closed, once per handle, and no description is left.
    const { before, after } = run.stats;
    expect({
      open: after.open,
      descriptionsOpen: after.descriptionsOpen,
      created: after.created - before.created,
      acquired: after.acquired - before.acquired,
      opened: after.descriptionsOpened - before.descriptionsOpened,
      doubleCloses: after.doubleCloses,
    }).toEqual({
      open: 0,
      descriptionsOpen: 0,
      created: after.closed - before.closed,
      acquired: after.released - before.released,
      opened: after.descriptionsClosed - before.descriptionsClosed,
      doubleCloses: 0,
    });
  });

  it('closed every access handle it made, exactly once, by the end of the suite', () => {
    expect(opfs.final.created).toBeGreaterThan(0);
    expect(opfs.final).toMatchObject({ open: 0, closed: opfs.final.created, released: opfs.final.acquired, doubleCloses: 0, descriptionsOpen: 0 });
    expect(opfs.atUnmount.closedAtUnmount).toBe(0);
    expect(opfs.doubleCloses).toBe(0);
  });
});

describe('browser_wasi_shim objects through ShimWASI', () => {
  test.each(fixtureNames)('%s', (name) => {
    expectFixture(shim.results.get(name)!);
  });

  it('closed every shim Fd it was given or opened exactly once', () => {
    expect({ openHandles: shim.openHandles, doubleCloses: shim.doubleCloses }).toEqual({ openHandles: 0, doubleCloses: 0 });
  });
});
