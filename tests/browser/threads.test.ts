// wasi-threads programs in Chromium: runThreads from the browser entry runs each fixture of
// fixtures/threads with a Web Worker per thread and one WASI, from the page (over a
// MemoryDirectory) and from a dedicated worker (over MemoryDirectory and OPFSDirectory, whose
// access handles exist only there). Without cross-origin isolation it says why it cannot.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launch, ROOT, serve, type Browser, type Served } from './browser';

const SUITE = path.join(ROOT, 'fixtures', 'threads');
type B64Tree = { [name: string]: { b64: string } | B64Tree };
interface Spec { exit_code?: number; stdout?: string; stderr?: string }
interface Outcome { code: number; stdout: string; stderr: string; trap: string | null; after: object | null; opfs: { created: number; closed: number; descriptionsOpened: number; descriptionsClosed: number; doubleCloses: number; closedAtUnmount: number } | null }

function b64Tree(dir: string): B64Tree {
  const out: B64Tree = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out[e.name] = e.isDirectory() ? b64Tree(p) : { b64: fs.readFileSync(p).toString('base64') };
  }
  return out;
}
/** A host directory as the page's hexMemoryTree gives a MemoryDirectory back. */
function hexTree(dir: string): object {
  const out: Record<string, unknown> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    out[e.name] = e.isDirectory() ? hexTree(p) : fs.readFileSync(p).toString('hex');
  }
  return out;
}
const tree = b64Tree(path.join(SUITE, 'fs-tests.dir'));
const spec = (name: string): Spec => JSON.parse(fs.readFileSync(path.join(SUITE, `${name}.json`), 'utf8')) as Spec;
const names = fs.readdirSync(SUITE).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
// OPFS has no symlinks: the race fixture swaps symlinks.
const opfsNames = names.filter((n) => n !== 'race_rename_symlink');

let served: Served;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  served = await serve();
  browser = await launch(served.url);
  page = await browser.open('/test/pages/threads.html');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const onPage = (name: string) =>
  page.evaluate((arg) => (window as unknown as { runThreadFixture(a: object): Promise<Outcome> }).runThreadFixture(arg), { name, tree });
const inWorker = (name: string, backend: 'memory' | 'opfs') =>
  page.evaluate((arg) => (window as unknown as { runInWorker(a: object): Promise<Outcome> }).runInWorker(arg), { name, tree, backend });

function expectSpec(name: string, o: Outcome): void {
  const s = spec(name);
  expect({ code: o.code, stdout: o.stdout, stderr: o.stderr }).toEqual({ code: s.exit_code ?? 0, stdout: s.stdout ?? '', stderr: s.stderr ?? '' });
}

test('the test page is cross-origin isolated', async () => {
  expect(await page.evaluate(() => (window as unknown as { isolated: boolean }).isolated)).toBe(true);
});

describe.each(names)('%s', (name) => {
  test('on the page, over a MemoryDirectory, which it leaves as the program left it', async () => {
    const o = await onPage(name);
    expectSpec(name, o);
    // All clean up after themselves but the one that shows a thread's file outlives the program.
    const left = name === 'thread_writes_file' ? { 'made-by-thread.txt': Buffer.from('written by a thread\n').toString('hex') } : {};
    expect(o.after).toEqual({ ...hexTree(path.join(SUITE, 'fs-tests.dir')), ...left });
  });
  test('in a dedicated worker, over a MemoryDirectory', async () => {
    expectSpec(name, await inWorker(name, 'memory'));
  });
});

describe.each(opfsNames)('%s over OPFSDirectory', (name) => {
  test('in a dedicated worker: the spec, and every access handle closed once', async () => {
    const o = await inWorker(name, 'opfs');
    expectSpec(name, o);
    // The program's end closed every description (leave_open's too), each once.
    const st = o.opfs!;
    expect(st.descriptionsOpened).toBeGreaterThan(0);
    expect({ closed: st.closed, doubleCloses: st.doubleCloses, closedAtUnmount: st.closedAtUnmount, descriptionsClosed: st.descriptionsClosed })
      .toEqual({ closed: st.created, doubleCloses: 0, closedAtUnmount: 0, descriptionsClosed: st.descriptionsOpened });
  });
});

test('the embedder API: a Web Worker joins with fromThreadHandle and its fds are the page\'s', async () => {
  const r = await page.evaluate(() => (window as unknown as { embedder(): Promise<Record<string, unknown>> }).embedder());
  expect(r).toEqual({
    open: 0, fd: 4, read: 0, text: 'hello, page', create: 0, outFd: 5, write: 0,
    closes: [0, 0, 8], written: 'from a worker', openHandles: 0,
  });
});

test('without cross-origin isolation: runThreads says why, and a thread cannot join on the main thread', async () => {
  const plain = await browser.open('/test/pages/threads.html?isolation=off');
  expect(await plain.evaluate(() => (window as unknown as { isolated: boolean }).isolated)).toBe(false);
  const r = await plain.evaluate(() => (window as unknown as { refusals(): Promise<Record<string, string>> }).refusals());
  expect(r.runThreads).toMatch(/^TypeError: threads need shared memory.*cross-origin isolated.*Cross-Origin-Embedder-Policy: require-corp/);
  await plain.close();
  // Isolated, a page may make the WASI, but a thread's calls block, which its main thread may not.
  const r2 = await page.evaluate(() => (window as unknown as { refusals(): Promise<Record<string, string>> }).refusals());
  expect(r2.fromThreadHandle).toMatch(/^TypeError: a thread waits .* join the program from a Web Worker/);
});
