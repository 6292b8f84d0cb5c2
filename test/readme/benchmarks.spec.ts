// BENCHMARKS.md and README.md quote figures of the last bench run in their prose. Each such figure is a
// slot the bench fills from the run's data (bench/lib/slots.js): every slot must say what the tables of the
// same run say, and the prose must carry no figure of a run outside a slot, so none can go stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSlots } from '../../bench/lib/slots';

const root = join(__dirname, '..', '..');
const benchmarks = readFileSync(join(root, 'BENCHMARKS.md'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The body rows of the first Markdown table whose header row starts with `header`, as trimmed cells. */
function table(header: string): string[][] {
  const lines = benchmarks.split('\n');
  const start = lines.findIndex((line) => line.startsWith(header));
  if (start < 0) throw new Error(`BENCHMARKS.md has no table "${header}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The first number in `text` after `pattern`'s first group. */
function figure(pattern: RegExp, text = benchmarks): number {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`BENCHMARKS.md does not match ${pattern}`);
  return Number(match[1].replace(/,/g, ''));
}

/** Every slot's value, computed from the tables as the benches compute it from their data. */
function fromTables(): Record<string, string> {
  const adapters = table('| path | median CPU ms |');
  const group = (start: number) => {
    const rows = adapters.slice(start);
    const end = rows.findIndex((row, index) => index > 0 && row[0] === 'bare core, letting events go');
    return end < 0 ? rows : rows.slice(0, end);
  };
  const events = group(0);
  const reply = group(events.length);
  const row = (rows: string[][], name: string) => {
    const found = rows.find((cells) => cells[0]?.startsWith(name));
    if (!found) throw new Error(`no row "${name}" in section 7`);
    return { cpu: Number(found[1]), held: Number(found[5]) };
  };
  const holdCosts = [events, reply].map(
    (rows) => row(rows, 'bare core, holding every event').cpu / row(rows, 'bare core, letting events go').cpu,
  );
  const kb = (bytes: number) => (bytes / 1000).toFixed(1);
  const workflows = table('| workflow | executions/s');
  const rate = (index: number) => Number.parseFloat(workflows[index]?.[1] ?? 'NaN');
  const [bursts] = table('| bursts | sessions started');
  const fleet = table('| scenario | replicas | faults |').find((cells) => cells[0] === 'fleet') ?? [];
  return {
    'bench.minutes': String(Math.max(1, Math.round(figure(/Total bench time: ([\d.]+) s/) / 60))),
    'adapters.events': `${Math.round(figure(/MB stream \((\d+) events\)/) / 1000)}k`,
    'adapters.holdCost': `${Math.min(...holdCosts).toFixed(1)}–${Math.max(...holdCosts).toFixed(1)}×`,
    'adapters.collectHeldKB': kb(row(events, 'bare core, holding every event').held),
    'adapters.nodeHeldKB': kb(row(reply, 'n8n node execute(), whole reply').held),
    'adapters.replyHeldKB': kb(row(reply, 'bare core, the whole reply').held),
    'queue.bursts': bursts?.[0] ?? '',
    'queue.burstSize': String(figure(/bursts of (\d+) first messages/)),
    'queue.sessionsStarted': bursts?.[1] ?? '',
    'queue.converged': bursts?.[2] ?? '',
    'queue.leftOpen': bursts?.[3] ?? '',
    'queue.strayTurns': bursts?.[4] ?? '',
    'queue.conversations': String(figure(/Each round: (\d+) different customers/)),
    'queue.sessionsShare': `${Math.round((100 * rate(2)) / rate(0))}%`,
    'fleet.messages': fleet[3] ?? '',
    'fleet.lost': fleet[4] ?? '',
    'fleet.duplicated': fleet[5] ?? '',
    'fleet.outOfOrder': fleet[6] ?? '',
    'fleet.sentWhileHeld': fleet[7] ?? '',
    'fleet.p50': fleet[8] ?? '',
    'fleet.p99': fleet[9] ?? '',
  };
}

/** BENCHMARKS.md's own prose: without the generated figures, code blocks, slots and the anchors table. */
function prose(): string {
  return benchmarks
    .replace(
      /<!-- (figures|n8n-queue|resumable|short-turns|long-streams|nest-10k|fleet):begin -->[\s\S]*?<!-- \1:end -->/g,
      '',
    )
    .replace(/```[\s\S]*?```/g, '')
    .replace(/<!--fig:[\w.]+-->.*?<!--\/fig-->/g, 'FIGURE')
    .replace(/## Beside the anchors[\s\S]*?(?=\n## )/, '');
}

describe('the figures quoted in prose', () => {
  const expected = fromTables();

  it.each([
    ['BENCHMARKS.md', benchmarks],
    ['README.md', readme],
  ])('every slot of %s holds what the tables of the same run say', (_name, text) => {
    const slots = readSlots(text);
    expect(slots.length).toBeGreaterThan(0);
    for (const { name, value } of slots) expect({ name, value }).toEqual({ name, value: expected[name] });
  });

  it('every figure the benches fill appears in a slot', () => {
    const named = new Set([...readSlots(benchmarks), ...readSlots(readme)].map(({ name }) => name));
    expect([...named].sort()).toEqual(Object.keys(expected).sort());
  });

  it("BENCHMARKS.md's prose states no run's figure outside a slot: no load, duration, p50 or failure count", () => {
    const text = prose();
    expect(text).not.toMatch(/load average[^.]*\d/);
    expect(text).not.toMatch(/\d+\s*[–-]\s*\d+ minutes/);
    expect(text).not.toMatch(/[\d.]+(?: and [\d.]+)? ms at p\d\d/);
    expect(text).not.toMatch(/\d[\d,]* of the [\d,]+ turns/);
  });
});

describe('the targets table', () => {
  const targets = table('| measurement | target |');
  const cell = (name: string) => targets.find((row) => row[0]?.startsWith(name))?.[2] ?? '';

  it('the keep-alive ratio is the ratio of the two times of section 2, which it quotes', () => {
    const hostile = table('| input | approach | ms |');
    const ms = (input: string) => Number(hostile.find((row) => row[0] === input && row[1] === 'core')?.[2]);
    const blank = ms('2 MB of blank keep-alive lines');
    const whitespace = ms('2 MB of whitespace-only keep-alive lines');
    const quoted = /^([\d.]+)× \((\d+) vs (\d+) ms for the 2 MB\)$/.exec(cell('2. 2 MB of whitespace-only'));
    expect(quoted?.slice(2).map(Number)).toEqual([whitespace, blank]);
    // The ratio is of the unrounded times: it may differ from the rounded ones' in the last digit.
    expect(Math.abs(Number(quoted?.[1]) - whitespace / blank)).toBeLessThanOrEqual(0.02);
  });

  it('the conversations at once are counted as section 9 counts them', () => {
    const [streams, completed] = table('| streams | completed | failed | first event')[0] ?? [];
    expect(cell(`9. ${streams} conversations`)).toMatch(new RegExp(`^${completed} of ${streams},`));
  });
});
