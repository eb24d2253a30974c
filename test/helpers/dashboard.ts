import { readFileSync } from 'node:fs';

export const dashboardPath = new URL('../../../dashboards/arkime-kafka-indexer.json', import.meta.url);

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Every query expression of the dashboard, with the title of its panel. */
export function dashboardQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as { panels: Panel[] };
  const flat = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...flat(p.panels ?? [])]);
  return flat(dashboard.panels).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
  );
}

/** The metric names an expression queries: ours (arkime_kafkaindexer_…) and the process's (process_…, nodejs_…). */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:arkime_kafkaindexer_|process_|nodejs_)[a-zA-Z0-9_]+/g)].map((m) => m[0]);
}

/**
 * The metric families a Prometheus text exposition declares (# TYPE lines), with the sample
 * names each one gives: a histogram `x` gives x_bucket, x_sum and x_count.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = '', type] = match;
    names.add(name);
    if (type === 'histogram' || type === 'summary') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    }
  }
  return names;
}
