// The sandbox escape suite (tests/helpers/escape-suite.ts), which tests/node-sandbox.test.ts
// runs over NodeDirectory and MemoryDirectory, here over OPFSDirectory in Chromium.
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ESCAPE_ATTEMPTS } from '../helpers/escape-suite';
import { launch, ROOT, serve, type Browser, type Served } from './browser';

interface Report { name: string; failures: string[]; checks: number }

let served: Served;
let browser: Browser;
let page: Page;
let result: { reports: Report[]; stats: { open: number; doubleCloses: number }; doubleCloses: number };
let canary: Report;

const call = <T>(cmd: string, arg?: unknown): Promise<T> =>
  page.evaluate(([c, a]) => (window as unknown as { escape: (c: string, a: unknown) => Promise<never> }).escape(c as string, a), [cmd, arg] as const) as Promise<T>;

beforeAll(async () => {
  // The suite and its guest, bundled for the browser (with their own copy of the core; the
  // OPFS backend under test is the one from dist/).
  const code = buildSync({
    entryPoints: [join(ROOT, 'tests/helpers/escape-suite.ts')], bundle: true, format: 'esm', platform: 'browser',
    write: false, logLevel: 'silent',
  }).outputFiles[0].text;
  served = await serve();
  browser = await launch(served.url);
  page = await browser.open('/test/pages/escape.html');
  const names = await call<string[]>('load', code);
  expect(names).toEqual(ESCAPE_ATTEMPTS.map((a) => a.name));
  result = await call('run');
  canary = await call('canary');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

/**
 * Failures that mean the sandbox did not hold: something outside it changed, a secret reached
 * guest memory, a handle leaked or closed twice, or the attempt could not run at all.
 */
const breach = (f: string) => /^outside: |secret bytes|^leak: |^threw: |checked nothing/.test(f);

/**
 * Attempts that go through a symlink: one the suite plants in the world, or one the guest
 * makes. OPFS can have none (the world is built without them, and the guest's symlink() is
 * EPERM), so there the path is missing (ENOENT) instead of refused (EPERM, ELOOP), or a name
 * a dangling link held is simply free: other errnos, never a way out (the test above). Every
 * other attempt must give exactly the errnos it gives over NodeDirectory and MemoryDirectory;
 * an attempt added to the suite that needs a symlink belongs in this list.
 */
const THROUGH_SYMLINKS = new Set<string>([
  'a host-planted symlink with an absolute target is refused when followed',
  'an absolute symlink as an earlier component is refused',
  'a relative symlink leaving through ".." is refused in the last component',
  'a symlink in the middle of a path that leaves the root is refused',
  'a chain of three host symlinks whose last hop leaves is refused',
  'symlinks to "." and ".." inside the root work, and climbing past the root through them is refused',
  'symlink loops give ELOOP, and so does a walk of more than 40 symlinks',
  'trailing slashes: lookups follow the final symlink and are refused; calls on the name never follow it',
  'O_NOFOLLOW-style lookups never follow: ELOOP on open, the link itself on stat',
  'O_CREAT through a dangling host symlink that points outside creates nothing',
  'creating files and directories through an escaping directory symlink is refused',
  'unlink and rmdir through escapes are refused; unlinking the link itself removes only the link',
  'rename out of, into and through escapes is refused',
  'renaming a symlink moves the link, never its target, and it still cannot be followed out',
  'a hard link to a file outside cannot be made, by any path',
  'a hard link cannot be planted outside either',
  'hard-linking a symlink that points outside links the symlink itself (no follow)',
  'a symlink the guest makes to ../secret is made, but following it is refused',
  'a chain of guest-made symlinks whose last hop leaves is refused',
  'guest-made symlinks to "." and ".." work inside and are refused past the root',
  'O_CREAT through a dangling symlink the guest made that points outside creates nothing',
  'a hard link the guest makes of its own escaping symlink still cannot be followed',
  'a guest symlink that is harmless where it is made is refused once renamed to where it leaves',
  'set_times through an escaping symlink is refused; without follow it touches only the link',
  'readlink of an escaping symlink gives its text, never the target\'s bytes',
  'a dirfd opened on a subdirectory is its own root: ".." above it is refused',
  'a dirfd on a deeper directory, and one opened through a symlink, are roots too',
  'a directory fd whose directory the guest renames away and replaces with an escaping symlink never follows the link',
  'opening ".." of the root as a directory to list it, through every spelling, is refused',
]);

describe('escape suite over OPFSDirectory', () => {
  it('sees a change outside the sandbox through OPFS (a canary that writes there itself)', () => {
    const seen = canary.failures.filter(breach);
    expect(seen).toContainEqual(expect.stringMatching(/^outside: \/planted-by-canary\.txt appeared/));
    expect(seen).toContainEqual(expect.stringMatching(/^outside: \/ changed: .*entries=.*planted-by-canary\.txt/));
  });

  it('ran every attempt', () => {
    expect(result.reports.map((r) => r.name)).toEqual(ESCAPE_ATTEMPTS.map((a) => a.name));
    expect(result.reports.every((r) => r.checks > 0)).toBe(true);
  });

  it('no attempt changed anything outside the sandbox, read a secret, or leaked a handle', () => {
    const breaches = result.reports.flatMap((r) => r.failures.filter(breach).map((f) => `${r.name}: ${f}`));
    expect(breaches).toEqual([]);
    expect(result.stats.open).toBe(0);
    expect(result.doubleCloses).toBe(0);
  });

  it('every attempt gets the errnos it gets elsewhere, except where it needs a symlink OPFS cannot have', () => {
    const wrong = result.reports.filter((r) => r.failures.length > 0 && !THROUGH_SYMLINKS.has(r.name));
    expect(wrong.map((r) => `${r.name}: ${r.failures.join('; ')}`)).toEqual([]);
    // The exceptions are real: each of them does differ (else it belongs with the others).
    const stale = [...THROUGH_SYMLINKS].filter((n) => result.reports.find((r) => r.name === n)?.failures.length === 0);
    expect(stale).toEqual([]);
  });
});
