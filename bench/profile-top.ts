// Prints the top self-time entries of V8 CPU profiles (the .cpuprofile files BENCH_PROFILE_DIR
// collects), as shares of the busy time (all but "(idle)"), so that runs of different length
// compare. Usage: node dist/bench/profile-top.js file.cpuprofile [more…] [--top N] [--within fn]
// [--callers fn]. --within keeps only the time between the first and the last sample under
// function `fn` (e.g. parseMessage: the run itself, without start-up and shutdown);
// --callers prints who calls `fn` (self time of `fn` by its callers' names).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  options: {
    top: { type: 'string', default: '15' },
    within: { type: 'string' },
    callers: { type: 'string' },
  },
  allowPositionals: true,
});

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const names = new Map<number, string>();
  for (const { id, callFrame: f } of profile.nodes) {
    const where = f.url === '' ? '' : ` ${basename(f.url)}:${f.lineNumber + 1}`;
    names.set(id, `${f.functionName || '(anonymous)'}${where}`);
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const under = (id: number, fn: string): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if ((names.get(at) ?? '').startsWith(`${fn} `)) return true;
    }
    return false;
  };
  const times: number[] = [];
  let clock = 0;
  for (const delta of profile.timeDeltas) times.push((clock += delta));
  let [from, to] = [0, Infinity];
  if (values.within !== undefined) {
    const hits = profile.samples.flatMap((id, i) => (under(id, values.within ?? '') ? [times[i] ?? 0] : []));
    [from, to] = [hits[0] ?? 0, hits.at(-1) ?? Infinity];
  }
  const self = new Map<string, number>();
  const callers = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const at = times[i] ?? 0;
    if (at < from || at > to) return;
    const name = names.get(id) ?? '?';
    const delta = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + delta);
    if (values.callers !== undefined && name.startsWith(values.callers)) {
      let caller = parent.get(id);
      const chain: string[] = [];
      for (let depth = 0; depth < 4 && caller !== undefined; depth += 1, caller = parent.get(caller)) {
        chain.push(names.get(caller) ?? '?');
      }
      const key = chain.join(' < ');
      callers.set(key, (callers.get(key) ?? 0) + delta);
    }
  });
  const idle = self.get('(idle)') ?? 0;
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const busy = total - idle;
  console.log(
    `${basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s, idle ${((idle / total) * 100).toFixed(0)}%`,
  );
  [...self.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(values.top))
    .forEach(([name, time]) => console.log(`  ${((time / busy) * 100).toFixed(1).padStart(5)}%  ${name}`));
  [...callers.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .forEach(([chain, time]) =>
      console.log(`  ${values.callers} ${((time / busy) * 100).toFixed(1)}% from ${chain}`),
    );
}
