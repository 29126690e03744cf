// The project's scripts read their options with node:util's parseArgs and refuse what they do
// not know: a mistyped flag is one line on stderr and status 2, never silently ignored.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectRefused(args: string[], message: RegExp): void {
  const r = run(args);
  expect(r.stderr).toMatch(/^[^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
  expect(r.status).toBe(2);
}

const FUZZ = ['-r', 'ts-node/register', 'scripts/fuzz.ts'];

describe('every script refuses an unknown flag', () => {
  it.each([
    [['scripts/build-fixtures.mjs', '--chek'], /Unknown option '--chek'.*usage: node scripts\/build-fixtures\.mjs/],
    [['scripts/demo.mjs', '--fast'], /Unknown option '--fast'.*it takes no options/],
    [['scripts/build-native.mjs', '--force'], /Unknown option '--force'.*it takes no options/],
    [['bench/build.mjs', '--chek'], /Unknown option '--chek'.*usage: node bench\/build\.mjs \[--check\]/],
    [['bench/trace-off.mjs', '--rep', '3'], /Unknown option '--rep'.*usage: node bench\/trace-off\.mjs/],
    [['examples/browser/serve.mjs', '--prot', '0'], /Unknown option '--prot'.*usage: node examples\/browser\/serve\.mjs/],
    [[...FUZZ, '--seeds', '3'], /Unknown option '--seeds'.*usage: npm run fuzz/],
  ])('%j', (args, message) => expectRefused(args, message));
});

describe('and a bad value', () => {
  it.each([
    [['scripts/build-fixtures.mjs', '--check', '--native'], /--check and --native are two different runs/],
    [['scripts/build-fixtures.mjs', '--check=yes'], /does not take an argument/],
    [['examples/browser/serve.mjs', '--port', 'eighty'], /bad --port 'eighty'/],
    [['examples/browser/serve.mjs', '--also', 'nodir'], /bad --also 'nodir'/],
    [[...FUZZ, '--calls', '1e3'], /bad --calls '1e3': expected a whole number/],
    [[...FUZZ, '--backend', 'opfs'], /bad --backend 'opfs'/],
    [[...FUZZ, '--calls'], /argument missing/],
  ])('%j', (args, message) => expectRefused(args, message));
});

it('the fuzz script still runs with good options', () => {
  const r = run([...FUZZ, '--calls', '200', '--per-seed', '100', '--seed', '7', '--backend', 'memory']);
  expect(r.stdout).toMatch(/^fuzz: 200 calls from seed 7, 100 a seed, over memory\n/);
  expect(r.stdout).toMatch(/200 calls in [\d.]+ s: no problems\n$/);
  expect(r.status).toBe(0);
});
