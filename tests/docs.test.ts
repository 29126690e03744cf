// The README and docs/ link to each other by relative paths and #anchors: every link must
// lead to a file that exists and, with an anchor, to a heading in it (GitHub's slugs).
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'examples/node/README.md'];
// Written alongside, in their own changes: linked before they exist.
const ELSEWHERE = new Set(['docs/cli.md', 'docs/node.md', 'docs/threads.md']);

/** GitHub's anchor for a heading: lower case, punctuation dropped, blanks to dashes. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

function links(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
}

describe.each(DOCS)('%s', (file) => {
  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const link of links(file)) {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const resolved = target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
      if (ELSEWHERE.has(resolved)) continue;
      if (!fs.existsSync(path.join(ROOT, resolved))) broken.push(`${link} (no ${resolved})`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(`${link} (no heading #${anchor} in ${resolved})`);
    }
    expect(broken).toEqual([]);
  });
});

it('the README stays a front door: a few screens, with the Node example the README test runs', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  // About four screens, with the napi-rs switch and the bench table in them.
  expect(readme.split('\n').length).toBeLessThan(225);
  for (const section of ['## Install', '## Develop', '## In Node', '## In the browser', '## The command line', '## Conformance', '## Documentation']) {
    expect(readme).toContain(`\n${section}\n`);
  }
  expect(readme).toContain('npm ci');
  expect(readme).toContain('npm test');
});
