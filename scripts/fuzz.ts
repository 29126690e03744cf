// The long fuzz run: `npm run fuzz [-- options]`. The same checks as tests/fuzz.test.ts
// (tests/helpers/fuzz-driver.ts), for as many calls and seeds as asked, over MemoryDirectory
// and NodeDirectory in turn. Prints every problem with the seed that reproduces it; exits 1
// if there was one.
//
//   --calls N      calls in all (default 2,000,000)
//   --seed S       first seed (default: from the clock, printed); seeds S, S+1, ... follow
//   --per-seed N   calls per seed (default 50,000)
//   --backend B    memory, node or both (default both, one seed each in turn)
import { runFuzz, type Backend } from '../tests/helpers/fuzz-driver';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const total = Number(option('calls', '2000000'));
const perSeed = Number(option('per-seed', '50000'));
const firstSeed = Number(option('seed', String(Date.now() % 1_000_000)));
const which = option('backend', 'both');
const backends: Backend[] = which === 'both' ? ['memory', 'node'] : [which as Backend];
if (!Number.isInteger(total) || !Number.isInteger(perSeed) || !Number.isInteger(firstSeed) || backends.some((b) => b !== 'memory' && b !== 'node')) {
  console.error('usage: npm run fuzz -- [--calls N] [--seed S] [--per-seed N] [--backend memory|node|both]');
  process.exit(2);
}

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
