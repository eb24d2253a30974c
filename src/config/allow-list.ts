// Whether ELASTIC_ALLOWED_INDICES and ELASTIC_ALLOWED_ACTIONS can work, checked with the other
// settings before anything starts (cli.ts). Filtering messages by them is the pipeline's
// (pipeline/allow-list.ts).
import { bulkActions } from '../records.js';
import type { Config } from './schema.js';

export type AllowListConfig = Pick<Config, 'elasticAllowedIndices' | 'elasticAllowedActions'>;

// What Elasticsearch and OpenSearch refuse in an index name (upper case, these characters, a
// leading -, _ or +, "." and ".."), so a pattern using them could never match a real index. A
// leading "-" is also how their multi-target syntax excludes: refused rather than misread.
const forbiddenCharacters = /[\\/?"<>|\s,#:]/;

/** Why one ELASTIC_ALLOWED_INDICES entry is not a usable pattern, or undefined when it is. */
function patternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'an empty pattern';
  if (pattern !== pattern.toLowerCase()) return 'index names are lower case';
  if (forbiddenCharacters.test(pattern)) return 'index names have no \\ / ? " < > | space , # or :';
  if (/^[-_+]/.test(pattern)) return 'index names do not start with -, _ or +';
  if (pattern === '.' || pattern === '..') return 'index names are not . or ..';
  if (Buffer.byteLength(pattern) > 255) return 'index names are at most 255 bytes';
  return undefined;
}

/** Every reason the allow-list settings cannot work, one line per variable; empty when they can. */
export function allowListErrors(config: AllowListConfig): string[] {
  const errors: string[] = [];
  for (const pattern of config.elasticAllowedIndices) {
    const problem = patternProblem(pattern);
    if (problem !== undefined) {
      errors.push(
        `ELASTIC_ALLOWED_INDICES entry ${JSON.stringify(pattern)} is not valid: expected index name patterns with * wildcards (${problem})`,
      );
    }
  }
  const unknown = config.elasticAllowedActions.filter(
    (action) => !(bulkActions as readonly string[]).includes(action.toLowerCase()),
  );
  if (unknown.length > 0) {
    errors.push(
      `ELASTIC_ALLOWED_ACTIONS=${JSON.stringify(config.elasticAllowedActions.join(','))} is not valid: expected bulk actions among ${bulkActions.join(', ')}, not ${unknown.join(', ')}`,
    );
  }
  return errors;
}
