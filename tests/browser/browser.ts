// Starts what a browser test needs: the demo's own server (examples/browser/serve.mjs, on a
// free port, also serving tests/browser/) and Debian's Chromium through playwright-core,
// with a fresh profile. No browser is downloaded.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = join(__dirname, '..', '..');
export const CHROMIUM = process.env.REFWASI_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export interface Served {
  url: string;
  stop(): Promise<void>;
}

/** Runs `node examples/browser/serve.mjs --port 0 ...` and waits for its "serving URL" line. */
export function serve(): Promise<Served> {
  // The pages load the built bundle: without it every page would just time out.
  if (!existsSync(join(ROOT, 'dist', 'esm', 'index.mjs'))) {
    return Promise.reject(new Error('dist/esm/index.mjs is missing: run `npm run build` (npm run test:browser does)'));
  }
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'examples', 'browser', 'serve.mjs'), '--port', '0', '--also', '/test/=tests/browser', '--also', '/threads/=fixtures/threads'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve.mjs did not start: ${out}${err}`)), 15_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}: ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({
          url: m[1],
          stop: () => new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
        });
      }
    });
  });
}

export interface Browser {
  context: BrowserContext;
  profile: string;
  /** A new page at `path`, once `ready` holds there (default: it has set window.pageReady). Page errors are collected into `errors`. */
  open(path: string, ready?: () => boolean): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

export async function launch(base: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'refwasi-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1000, height: 760 },
  });
  const errors: string[] = [];
  return {
    context, profile, errors,
    async open(path: string, ready = () => (window as unknown as { pageReady?: boolean }).pageReady === true): Promise<Page> {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`${path}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${path}: ${m.text()}`);
      });
      await page.goto(new URL(path, base).href);
      await page.waitForFunction(ready, null, { timeout: 20_000 });
      return page;
    },
    async close(): Promise<void> {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
