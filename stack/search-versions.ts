import { findJdkIn, jvmRoot, type Jdk } from './java.js';
import { javaRange, type Distribution } from './search-install.js';

/** One search server release the compatibility matrix starts and tests. */
export interface SearchRelease {
  distribution: Distribution;
  version: string;
  /** Why this release of its line, for the docs table. */
  note: string;
}

/**
 * The search servers users run, one release per major line, each from Maven Central's
 * integration-test zip. `npm run test:compat` runs the compatibility test against each in turn;
 * docs/compatibility.md is written from its results.
 */
export const searchMatrix: readonly SearchRelease[] = [
  { distribution: 'elasticsearch', version: '7.17.29', note: 'newest 7.17 on Maven Central' },
  { distribution: 'elasticsearch', version: '8.19.21', note: 'the default of the stack and CI' },
  { distribution: 'elasticsearch', version: '9.2.4', note: 'newest 9.x integ-test zip on Maven Central' },
  {
    distribution: 'opensearch',
    version: '1.3.14',
    note: 'newest 1.3 with both an integ-test zip and an analysis-common jar on Maven Central',
  },
  { distribution: 'opensearch', version: '2.19.6', note: 'the default of the stack and CI' },
  { distribution: 'opensearch', version: '3.6.0', note: 'newest 3.x; its zip has analysis-common' },
];

export function releaseName(release: Pick<SearchRelease, 'distribution' | 'version'>): string {
  return `${release.distribution} ${release.version}`;
}

/**
 * The JDK each release will run on, chosen before any server starts: a release with none is not
 * skipped, the whole matrix fails with one line naming every JDK that is missing.
 */
export function jdksFor(
  releases: readonly SearchRelease[],
  env: NodeJS.ProcessEnv = process.env,
  root = jvmRoot,
): Map<SearchRelease, Jdk> {
  const chosen = new Map<SearchRelease, Jdk>();
  const missing: string[] = [];
  for (const release of releases) {
    try {
      chosen.set(release, findJdkIn(javaRange(release.distribution, release.version), env, root));
    } catch (error) {
      missing.push((error as Error).message);
    }
  }
  if (missing.length > 0) throw new Error(missing.join('; '));
  return chosen;
}
