// The long fuzz run: `npm run fuzz [-- options]`. The same checks as tests/fuzz.test.ts
// (tests/helpers/fuzz-driver.ts), for as many calls and seeds as asked, over MemoryDirectory
// and NodeDirectory in turn. Prints every problem with the seed that reproduces it; exits 1
// if there was one.
//
//   --calls N      calls in all (default 2,000,000)
//   --seed S       first seed (default: from the clock, printed); seeds S, S+1, ... follow
//   --per-seed N   calls per seed (default 50,000)
//   --backend B    memory, node or both (default both, one seed each in turn)
import { parseArgs } from 'node:util';
import { runFuzz, type Backend } from '../tests/helpers/fuzz-driver';

const USAGE = 'usage: npm run fuzz -- [--calls N] [--seed S] [--per-seed N] [--backend memory|node|both]';

function usage(message: string): never {
  console.error(`${message} (${USAGE})`);
  process.exit(2);
}

let values: { calls?: string; seed?: string; 'per-seed'?: string; backend?: string };
try {
  ({ values } = parseArgs({
    options: { calls: { type: 'string' }, seed: { type: 'string' }, 'per-seed': { type: 'string' }, backend: { type: 'string' } },
  }));
} catch (e) {
  usage((e as Error).message);
}

function count(name: 'calls' | 'seed' | 'per-seed', fallback: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) usage(`bad --${name} '${text}': expected a whole number`);
  return n;
}

const total = count('calls', 2_000_000);
const perSeed = count('per-seed', 50_000);
const firstSeed = count('seed', Date.now() % 1_000_000);
const which = values.backend ?? 'both';
if (which !== 'both' && which !== 'memory' && which !== 'node') usage(`bad --backend '${which}': expected memory, node or both`);
if (perSeed === 0) usage('--per-seed must be at least 1');
const backends: Backend[] = which === 'both' ? ['memory', 'node'] : [which];

console.log(`fuzz: ${total} calls from seed ${firstSeed}, ${perSeed} a seed, over ${backends.join(' and ')}`);
const started = Date.now();
let done = 0;
let problems = 0;
for (let i = 0; done < total; i++) {
  const seed = firstSeed + i;
  const backend = backends[i % backends.length];
  const calls = Math.min(perSeed, total - done);
  const r = runFuzz({ seed, calls, backend, maxProblems: 50 });
  done += r.calls;
  problems += r.problems.length;
  const rate = Math.round(r.calls / (r.ms / 1000));
  console.log(`seed ${seed} (${backend}): ${r.calls} calls in ${(r.ms / 1000).toFixed(1)} s (${rate}/s), ${r.problems.length} problems`);
  for (const p of r.problems) console.log(`  ${p}`);
  if (r.calls < calls) break; // stopped at maxProblems
}
const secs = (Date.now() - started) / 1000;
console.log(`${done} calls in ${secs.toFixed(1)} s: ${problems === 0 ? 'no problems' : `${problems} problems`}`);
process.exitCode = problems === 0 ? 0 : 1;
