// The compatibility matrix's last results (docs/compatibility.json) and the table made of them
// for docs/security.md, kept in step with stack/search-versions.ts by test/compat/table.test.ts.
import { releaseName, type SearchRelease } from '../../stack/search-versions.js';

export interface ReleaseResult {
  distribution: SearchRelease['distribution'];
  version: string;
  /** The JDK major it ran on. */
  java: number;
  /** Seconds from starting the node until it answered healthy. */
  startSeconds: number;
  /** Seconds the compatibility test took. */
  testSeconds: number;
  passed: number;
  failed: number;
  /** The day it was tested, YYYY-MM-DD (UTC). */
  date: string;
  /** What the mapping breakers were refused as, and other answers worth knowing. */
  mappingError?: string;
}

/** Which release the compatibility test file is run against, and where it saves what it captured. */
export const releaseEnvVar = 'AKI_COMPAT_RELEASE';
export const fixturesEnvVar = 'AKI_COMPAT_FIXTURES';

/** What a server calls a document that does not fit the mapping (Elasticsearch renamed it in 8). */
export function mappingErrorType(distribution: SearchRelease['distribution'], version: string): string {
  return distribution === 'elasticsearch' && Number(version.split('.')[0]) >= 8
    ? 'document_parsing_exception'
    : 'mapper_parsing_exception';
}

export const tableMarkers = [
  '<!-- compatibility table: start -->',
  '<!-- compatibility table: end -->',
] as const;

const product = (d: SearchRelease['distribution']): string =>
  d === 'elasticsearch' ? 'Elasticsearch' : 'OpenSearch';

/** One row per release of the matrix: tested (with its date) when its last run passed, else believed. */
export function compatibilityTable(
  matrix: readonly SearchRelease[],
  results: readonly ReleaseResult[],
): string {
  const rows = matrix.map((release) => {
    const result = results.find((r) => releaseName(r) === releaseName(release));
    const tested = result !== undefined && result.failed === 0 && result.passed > 0;
    const status = tested
      ? `tested: ${result.passed} of ${result.passed} passed`
      : result === undefined
        ? 'believed (not run yet)'
        : `believed (last run: ${result.failed} of ${result.passed + result.failed} failed)`;
    return [
      product(release.distribution),
      release.version,
      status,
      result?.date ?? '',
      result === undefined ? '' : String(result.java),
      result?.mappingError === undefined ? '' : `\`${result.mappingError}\``,
      release.note,
    ];
  });
  const header = ['server', 'version', 'status', 'tested on', 'Java', 'mapping error', 'why this release'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `text` with the table between its markers replaced. */
export function withCompatibilityTable(text: string, table: string): string {
  const [start, end] = tableMarkers;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`the text has no ${start} … ${end} markers`);
  return `${text.slice(0, from + start.length)}\n\n${table}\n\n${text.slice(to)}`;
}
