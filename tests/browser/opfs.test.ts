// OPFSDirectory in Chromium: one access handle per file, shared by descriptions and closed
// exactly once at the last close; what OPFS can and cannot do, next to MemoryDirectory;
// files that persist across a reload; and a clear refusal on a page's main thread.
import { launch, serve, type Browser, type Served } from './browser';
import type { Page } from 'playwright-core';
import type { OPFSStats as Stats } from '../../src/backends/browser/protocol';


type Opfs = (cmd: string, arg?: unknown) => Promise<never>;

let served: Served;
let browser: Browser;
let page: Page;

const opfs = <T>(cmd: string, arg?: unknown): Promise<T> =>
  page.evaluate(([c, a]) => (window as unknown as { opfs: Opfs }).opfs(c as string, a), [cmd, arg] as const) as Promise<T>;

beforeAll(async () => {
  served = await serve();
  browser = await launch(served.url);
  page = await browser.open('/test/pages/opfs.html');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('OPFSDirectory', () => {
  it('runs in a cross-origin isolated page', async () => {
    expect(await page.evaluate(() => (window as unknown as { isolated: boolean }).isolated)).toBe(true);
  });

  it('gives a file one access handle, shared by dups and a second open, closed once when the last descriptor goes', async () => {
    const r = await opfs<{ steps: (Stats & { label: string })[]; seenBySecondOpen: string; doubleCloses: number; unmounted: Stats }>('accounting');
    const view = r.steps.map((s) => [s.label, { created: s.created, closed: s.closed, open: s.open, descriptions: s.descriptionsOpen }]);
    expect(view).toEqual([
      ['open f.txt, dup it twice', { created: 1, closed: 0, open: 1, descriptions: 1 }],
      ['open f.txt again', { created: 1, closed: 0, open: 1, descriptions: 2 }],
      ['close the original', { created: 1, closed: 0, open: 1, descriptions: 2 }],
      ['close dup 1', { created: 1, closed: 0, open: 1, descriptions: 2 }],
      ['renumber dup 2 onto the second open', { created: 1, closed: 0, open: 1, descriptions: 1 }],
      ['close the last descriptor', { created: 1, closed: 1, open: 0, descriptions: 0 }],
    ]);
    expect(r.seenBySecondOpen).toBe('shared bytes');
    expect(r.doubleCloses).toBe(0);
    expect(r.unmounted).toMatchObject({ doubleCloses: 0, closedAtUnmount: 0, swaps: 0 });
  });

  it('does what the in-memory filesystem does, except symlinks, hard links and set timestamps', async () => {
    const memPage = await browser.open('/test/pages/memory.html');
    const mem = await memPage.evaluate(() => (window as unknown as {
      memoryFsops(): Promise<{ code: number; stdout: string; stderr: string; openHandles: number; doubleCloses: number }>;
    }).memoryFsops());
    await memPage.close();
    const o = await opfs<{ code: number; stdout: string; stderr: string; stats: Stats; left: object; doubleCloses: number }>('fsops');
    expect({ code: mem.code, stderr: mem.stderr, openHandles: mem.openHandles }).toEqual({ code: 0, stderr: '', openHandles: 0 });
    expect({ code: o.code, stderr: o.stderr }).toEqual({ code: 0, stderr: '' });
    const differ = (a: string, b: string) => {
      const x = a.split('\n');
      const y = b.split('\n');
      return x.map((line, i) => [line, y[i]]).filter(([l, r]) => l !== r);
    };
    expect(mem.stdout.split('\n').length).toBeGreaterThan(40);
    expect(differ(mem.stdout, o.stdout)).toEqual([
      ['symlink: ok', 'symlink: EPERM'],
      ['link: ok', 'link: EPERM'],
      ['utimensat explicit: ok', 'utimensat explicit: ENOTSUP'],
    ]);
    // The POSIX parts, on OPFS: an unlinked or replaced file lives on through its descriptors.
    expect(o.stdout).toContain('read unlinked through dup: "still here"\nunlinked nlink: 0\n');
    expect(o.stdout).toContain('read replaced target: "old target"\n');
    expect(o.stdout).toContain('ls d2: f.txt\ncat d2/f.txt: "inner"\n');
    // Unlinking and replacing open files swapped their access handles around the move; all closed.
    expect(o.stats).toMatchObject({ open: 0, swaps: 2, closed: o.stats.created, released: o.stats.acquired, descriptionsOpen: 0, doubleCloses: 0 });
    expect(o.left).toEqual({});
    expect(o.doubleCloses).toBe(0);
  });

  it('keeps each directory\'s listing on the program\'s side in step with OPFS through every change, failed ones too', async () => {
    type Listing = { refwasi: string[]; opfs: string[] };
    const r = await opfs<{ steps: { label: string; errno: number; top: Listing; sub: Listing | null }[]; moved: Listing; stats: Stats }>('listings');
    for (const s of r.steps) {
      expect({ label: s.label, top: s.top.refwasi, sub: s.sub?.refwasi }).toEqual({ label: s.label, top: s.top.opfs, sub: s.sub?.opfs });
    }
    expect(r.steps.map((s) => [s.label, s.errno, s.top.refwasi])).toEqual([
      ['list an empty directory', 0, []],
      ['create a and b', 0, ['a', 'b']],
      ['mkdir sub, create sub/x', 0, ['a', 'b', 'sub']],
      ['exclusive create of a fails', 20, ['a', 'b', 'sub']],
      ['unlink a', 0, ['b', 'sub']],
      ['unlink a again fails', 44, ['b', 'sub']],
      ['rename b to sub/y', 0, ['sub']],
      ['a name OPFS refuses', 28, ['sub']],
      ['rmdir of a full sub fails', 55, ['sub']],
      ['rename sub to moved', 0, ['moved']],
      ['create in a renamed directory', 0, ['moved']],
    ]);
    expect(r.steps[6].sub).toEqual({ refwasi: ['x', 'y'], opfs: ['x', 'y'] });
    expect(r.moved).toEqual({ refwasi: ['x', 'y', 'z'], opfs: ['x', 'y', 'z'] });
    expect(r.stats).toMatchObject({ open: 0, closedAtUnmount: 0 });
  });

  it('keeps files across a reload of the page (mounted by path, then by directory handle)', async () => {
    const text = `written before the reload ${Date.now()}`;
    const w = await opfs<{ code: number; stdout: string; stats: Stats }>('persistWrite', text);
    expect({ code: w.code, stdout: w.stdout }).toEqual({ code: 0, stdout: 'wrote data/sub/note.txt\n' });
    expect(w.stats).toMatchObject({ open: 0, closedAtUnmount: 0 });
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady === true);
    const r = await opfs<{ code: number; stdout: string; tree: object; stats: Stats }>('persistRead');
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: text });
    expect(r.tree).toEqual({ sub: { 'note.txt': Buffer.from(text).toString('hex') } });
    expect(r.stats).toMatchObject({ open: 0, closed: r.stats.created, closedAtUnmount: 0 });
  });

  it('refuses to start on a page\'s main thread, saying why', async () => {
    const memPage = await browser.open('/test/pages/memory.html');
    const msg = await memPage.evaluate(() => (window as unknown as { opfsOnMainThread(): Promise<string> }).opfsOnMainThread());
    await memPage.close();
    expect(msg).toMatch(/dedicated worker/);
  });

  it('left no error on any page', () => {
    expect(browser.errors).toEqual([]);
  });
});
