// The order a threaded program's calls ran in, found from the kernel's trace, and the fd
// numbering facts that order must show. Used by tests/threads-property.test.ts.
import type { Op, Outcome } from './fd-ops';

export interface MadeCall {
  readonly name: string;
  readonly args: readonly (number | bigint)[];
  readonly errno: number | null;
}

const key = (c: MadeCall) => `${c.name}(${c.args.map(String).join(',')})=${c.errno}`;

/**
 * Which worker made each traced call: an interleaving of the workers' own call lists that is
 * exactly the trace (names, raw arguments, errnos), or null if there is none. A call that
 * carries pointers is its worker's alone (each has its own scratch memory); a close or a
 * renumber may look the same from two workers, so the search backs up, and remembers the
 * positions it already found to lead nowhere (so it stays quick).
 */
export function findOrder(trace: readonly { name: string; rawArgs: readonly (number | bigint)[]; errno: number | null }[], calls: MadeCall[][]): number[] | null {
  const got = trace.map((e) => key({ name: e.name, args: e.rawArgs, errno: e.errno }));
  const want = calls.map((list) => list.map(key));
  if (got.length !== want.reduce((n, l) => n + l.length, 0)) return null;
  const next = want.map(() => 0);
  const order: number[] = [];
  const deadEnds = new Set<string>();
  const search = (step: number): boolean => {
    if (step === got.length) return true;
    const at = next.join(',');
    if (deadEnds.has(at)) return false;
    for (let w = 0; w < want.length; w++) {
      if (want[w][next[w]] !== got[step]) continue;
      next[w]++;
      order.push(w);
      if (search(step + 1)) return true;
      order.pop();
      next[w]--;
    }
    deadEnds.add(at);
    return false;
  };
  return search(0) ? order : null;
}

/**
 * The program-level facts about fd numbers, straight from what the workers saw: a new fd is
 * never one that is open at that point of the order, and it is the lowest free one; a
 * successful close or renumber is of fds that are open.
 */
export function checkNumbering(plans: Op[][], order: number[], outcomes: Outcome[][]): void {
  const open = new Set([0, 1, 2, 3]);
  const next = plans.map(() => 0);
  order.forEach((w, step) => {
    const i = next[w]++;
    const op = plans[w][i];
    const out = outcomes[w][i];
    if (out.errno !== 0) return;
    const where = `step ${step}, worker ${w}'s ${JSON.stringify(op)}`;
    if (op.op === 'open' || op.op === 'dup') {
      const fd = out.value!;
      if (open.has(fd)) throw new Error(`${where}: got fd ${fd}, which is open`);
      let lowest = 0;
      while (open.has(lowest)) lowest++;
      if (fd !== lowest) throw new Error(`${where}: got fd ${fd}, not the lowest free one (${lowest})`);
      open.add(fd);
    } else if (op.op === 'close') {
      if (!open.delete(op.fd)) throw new Error(`${where}: closed an fd that was not open`);
    } else if (op.op === 'renumber' && op.from !== op.to) {
      if (!open.has(op.from) || !open.has(op.to)) throw new Error(`${where}: renumbered an fd that was not open`);
      open.delete(op.from);
    }
  });
}

/** The calls up to `last` in the order they ran, one a line, for a failure's message. */
export function describeOrder(plans: Op[][], order: number[], done: { outcome: Outcome }[][], last: number): string {
  const next = plans.map(() => 0);
  return order.slice(0, last + 1).map((w, step) => {
    const i = next[w]++;
    return `  ${step}: worker ${w} ${JSON.stringify(plans[w][i])} -> ${JSON.stringify(done[w][i].outcome)}`;
  }).join('\n');
}
