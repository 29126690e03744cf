// The results as a table for the terminal, as Markdown (the comparison table in the docs),
// and as JSON.
import type { Outcome, Status } from './run';
import type { Runtime } from './runtimes';

export interface Results {
  date: string;
  node: string;
  suites: string[];
  runtimes: { name: string; version: string | null; missing?: string }[];
  tests: { name: string; results: Record<string, Outcome> }[];
  summary: Record<string, Record<Status, number>>;
}

const CELL: Record<Status, string> = { pass: 'pass', fail: 'FAIL', timeout: 'TIMEOUT', 'n/a': 'n/a', missing: '-' };

export function summarize(runtimes: Runtime[], tests: Results['tests']): Results['summary'] {
  const summary: Results['summary'] = {};
  for (const r of runtimes) {
    const counts: Record<Status, number> = { pass: 0, fail: 0, timeout: 0, 'n/a': 0, missing: 0 };
    for (const t of tests) counts[t.results[r.name]!.status]++;
    summary[r.name] = counts;
  }
  return summary;
}

function pad(s: string, n: number): string {
  return s + ' '.repeat(Math.max(0, n - s.length));
}

function summaryLine(counts: Record<Status, number>): string {
  const parts = [`${counts.pass} pass`, `${counts.fail} fail`];
  if (counts.timeout) parts.push(`${counts.timeout} timeout`);
  parts.push(`${counts['n/a']} n/a`);
  return parts.join(', ');
}

export function textReport(res: Results): string {
  const names = res.runtimes.map((r) => r.name);
  const first = Math.max(4, ...res.tests.map((t) => t.name.length));
  const widths = names.map((n) => Math.max(n.length, 7));
  const row = (cells: string[]): string => [pad(cells[0]!, first), ...cells.slice(1).map((c, i) => pad(c, widths[i]!))].join('  ').trimEnd();
  const lines = [row(['test', ...names]), row(['-'.repeat(first), ...widths.map((w) => '-'.repeat(w))])];
  for (const t of res.tests) lines.push(row([t.name, ...names.map((n) => CELL[t.results[n]!.status])]));
  const reasons: string[] = [];
  for (const t of res.tests) {
    for (const n of names) {
      const o = t.results[n]!;
      if (o.status === 'fail' || o.status === 'timeout') reasons.push(`${t.name} [${n}]: ${o.reason}`);
    }
  }
  if (reasons.length > 0) lines.push('', 'failures:', ...reasons.map((r) => `  ${r}`));
  lines.push('', 'summary:');
  for (const r of res.runtimes) {
    const what = r.version === null ? `not run: ${r.missing}` : `${summaryLine(res.summary[r.name]!)} (${r.version})`;
    lines.push(`  ${pad(r.name, Math.max(...names.map((n) => n.length)))}  ${what}`);
  }
  return `${lines.join('\n')}\n`;
}

const MD: Record<Status, string> = { pass: '✓', fail: '✗', timeout: '✗ (timeout)', 'n/a': 'n/a', missing: '—' };

/** The comparison as Markdown: who ran, a summary per runtime, the table test by runtime, and why each failure failed. */
export function markdownReport(res: Results): string {
  const shown = res.runtimes.filter((r) => r.version !== null);
  const lines = [
    `Produced by \`refwasi conformance\` on ${res.date.slice(0, 10)} (Node ${res.node}); ${shown.map((r) => `${r.name} ${r.version}`).join(', ')}.`,
    '',
    '| runtime | version | passed | failed | n/a |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const r of shown) {
    const c = res.summary[r.name]!;
    lines.push(`| ${r.name} | ${r.version} | ${c.pass} | ${c.fail + c.timeout} | ${c['n/a']} |`);
  }
  lines.push('', `| test | ${shown.map((r) => r.name).join(' | ')} |`, `| --- | ${shown.map(() => ':---:').join(' | ')} |`);
  for (const t of res.tests) lines.push(`| ${t.name} | ${shown.map((r) => MD[t.results[r.name]!.status]).join(' | ')} |`);
  lines.push(`| **passed** | ${shown.map((r) => {
    const c = res.summary[r.name]!;
    return `**${c.pass}** / ${c.pass + c.fail + c.timeout}`;
  }).join(' | ')} |`);
  const failures = res.tests.flatMap((t) => shown.filter((r) => ['fail', 'timeout'].includes(t.results[r.name]!.status)).map((r) => `- ${t.name} [${r.name}]: ${t.results[r.name]!.reason}`));
  if (failures.length > 0) lines.push('', 'Why each failure failed:', '', ...failures.map((f) => f.replace(/\|/g, '\\|')));
  return `${lines.join('\n')}\n`;
}
