import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOnce, cacheDir, mavenCopy, runCommand, unzip } from './artifacts.js';
import { findJdkIn, type JavaRange } from './java.js';

export type Distribution = 'elasticsearch' | 'opensearch';

const securityManagerGone = 24;

/**
 * The JDKs each server line runs on (the integ-test zips bundle none): Elasticsearch 9 and
 * OpenSearch 3 need Java 21; the lines that still install the security manager (Elasticsearch 7,
 * OpenSearch 1 and 2) stop at Java 23, the last that has it.
 */
export function javaRange(distribution: Distribution, version: string): JavaRange {
  const major = Number(version.split('.')[0]);
  const name = `${distribution} ${version}`;
  const usesSecurityManager = distribution === 'elasticsearch' ? major <= 7 : major <= 2;
  if (usesSecurityManager)
    return {
      min: 11,
      max: securityManagerGone - 1,
      for: name,
      why: `uses the security manager, which Java ${securityManagerGone} removed`,
    };
  const min = distribution === 'elasticsearch' ? (major >= 9 ? 21 : 17) : 21;
  return { min, for: name };
}

/** The oldest JDK each server line runs on. */
export function minimumJava(distribution: Distribution, version: string): number {
  return javaRange(distribution, version).min;
}

const patternPluginSource = fileURLToPath(
  new URL('../../stack/elasticsearch/PatternTokenizerPlugin.java', import.meta.url),
);

/** Compiles the pattern tokenizer plugin against this very server's jars and installs it. */
async function addPatternTokenizer(home: string, version: string): Promise<void> {
  const jdk = findJdkIn(javaRange('elasticsearch', version));
  // Compiled for the oldest Java the server runs on: its own jars are of that class-file version.
  const release = String(Math.max(17, minimumJava('elasticsearch', version)));
  const build = join(home, '..', `pattern-plugin-build-${process.pid}`);
  const classes = join(build, 'classes');
  mkdirSync(classes, { recursive: true });
  try {
    const classpath = `${join(home, 'lib')}/*`;
    await runCommand(
      join(jdk.home, 'bin', 'javac'),
      ['--release', release, '-nowarn', '-cp', classpath, '-d', classes, patternPluginSource],
      'compiling the pattern tokenizer plugin',
    );
    const pluginDir = join(home, 'plugins', 'pattern-tokenizer');
    mkdirSync(pluginDir, { recursive: true });
    await runCommand(
      join(jdk.home, 'bin', 'jar'),
      ['cf', join(pluginDir, 'pattern-tokenizer.jar'), '-C', classes, '.'],
      'packing the pattern tokenizer plugin',
    );
    writeFileSync(
      join(pluginDir, 'plugin-descriptor.properties'),
      [
        'description=The pattern tokenizer, which the integ-test distribution leaves out',
        'version=1.0.0',
        'name=pattern-tokenizer',
        'classname=io.arkime.kafkaindexer.stack.PatternTokenizerPlugin',
        `java.version=${release}`,
        `elasticsearch.version=${version}`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}

/**
 * OpenSearch publishes its analysis-common module as a jar on Maven Central; the integ-test zip
 * leaves it out. Installing it as a module gives the real pattern tokenizer Arkime's template needs.
 */
async function addAnalysisCommon(home: string, version: string): Promise<void> {
  const moduleDir = join(home, 'modules', 'analysis-common');
  if (existsSync(moduleDir)) return; // OpenSearch 3's zip has it already
  mkdirSync(moduleDir, { recursive: true });
  await mavenCopy(`org.opensearch.plugin:analysis-common:${version}`, moduleDir);
  writeFileSync(
    join(moduleDir, 'plugin-descriptor.properties'),
    [
      'description=Adds "built in" analyzers to OpenSearch.',
      `version=${version}`,
      'name=analysis-common',
      'classname=org.opensearch.analysis.common.CommonAnalysisPlugin',
      'java.version=11',
      `opensearch.version=${version}`,
      '',
    ].join('\n'),
  );
}

/** Fetches and unpacks a search server once into the cache; returns its home folder. */
export async function installSearch(distribution: Distribution, version: string): Promise<string> {
  const group =
    distribution === 'elasticsearch'
      ? 'org.elasticsearch.distribution.integ-test-zip'
      : 'org.opensearch.distribution.integ-test-zip';
  const target = join(cacheDir(), `${distribution}-${version}`);
  await buildOnce(target, async (dir) => {
    const download = join(dir, 'download');
    await mavenCopy(`${group}:${distribution}:${version}:zip`, download);
    const zip = readdirSync(download).find((f) => f.endsWith('.zip'));
    if (zip === undefined) throw new Error(`no zip was fetched for ${distribution} ${version}`);
    await unzip(join(download, zip), download);
    const unpacked = join(download, `${distribution}-${version}`);
    const home = join(dir, 'home');
    renameSync(unpacked, home);
    rmSync(download, { recursive: true, force: true });
    if (distribution === 'elasticsearch') await addPatternTokenizer(home, version);
    else await addAnalysisCommon(home, version);
  });
  return join(target, 'home');
}
