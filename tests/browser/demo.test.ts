// The demo page (examples/browser/, served by its own serve.mjs): pick the np.load fixture,
// run it, and check that what the program printed is on the page, for both backends; a
// screenshot of each is saved to a temporary directory (its path is printed).
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, serve, type Browser, type Served } from './browser';
import { spec } from './fixture-specs';

let served: Served;
let browser: Browser;
const shots = mkdtempSync(join(tmpdir(), 'refwasi-demo-'));

beforeAll(async () => {
  served = await serve();
  browser = await launch(served.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const demoReady = () => document.body.dataset.state === 'ready';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('the demo page', () => {
  it.each(['memory', 'opfs'])('runs numpy_load with the %s backend and shows its output', async (backend) => {
    const want = spec('numpy_load').stdout!;
    expect(want.length).toBeGreaterThan(0);
    const page = await browser.open('/', demoReady);
    expect(await page.locator('#program').inputValue()).toBe('numpy_load');
    await page.selectOption('#backend', backend);
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 30_000 });
    expect(await page.locator('#stdout').textContent()).toBe(want);
    expect(await page.locator('#stderr').textContent()).toBe('');
    expect(await page.locator('#status').textContent()).toMatch(/^numpy_load exited with code 0/);
    expect(await page.locator('#files').textContent()).toContain('small.npy  (152 bytes)');
    const file = join(shots, `demo-${backend}.png`);
    const png = await page.screenshot({ path: file, fullPage: true });
    expect(png.subarray(0, 8).equals(PNG)).toBe(true);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    console.log(`screenshot: ${file}`);
    await page.close();
  });

  it('lists every fixture and left no error on the page', async () => {
    const page = await browser.open('/', demoReady);
    const options = await page.locator('#program option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toContain('numpy_load');
    expect(options.length).toBeGreaterThan(1);
    await page.close();
    expect(browser.errors).toEqual([]);
  });
});
