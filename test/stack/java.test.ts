import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { findJdk, findJdkIn } from '../../stack/java.js';
import { javaRange, minimumJava } from '../../stack/search-install.js';
import { jdksFor, releaseName, searchMatrix } from '../../stack/search-versions.js';

function fakeJdk(root: string, name: string, version: string): string {
  const home = join(root, name);
  mkdirSync(join(home, 'bin'), { recursive: true });
  writeFileSync(join(home, 'bin', 'java'), '');
  writeFileSync(join(home, 'release'), `IMPLEMENTOR="test"\nJAVA_VERSION="${version}"\n`);
  return home;
}

describe('choosing a JDK for a server', () => {
  const root = mkdtempSync(join(tmpdir(), 'jdk-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('JAVA_HOME wins when it is recent enough', () => {
    const home = fakeJdk(root, 'jdk17', '17.0.15');
    assert.deepEqual(findJdk(17, { JAVA_HOME: home, PATH: '' }), { home, major: 17 });
  });

  test('a JAVA_HOME that is too old is passed over, with the JDKs seen named when none fits', () => {
    const home = fakeJdk(root, 'jdk11', '11.0.2');
    assert.throws(() => findJdk(99, { JAVA_HOME: home, PATH: '' }), /no JDK 99 or newer.*jdk11 \(11\)/);
  });

  test('each server line gets the oldest JDK it supports', () => {
    assert.equal(minimumJava('elasticsearch', '8.19.21'), 17);
    assert.equal(minimumJava('elasticsearch', '9.1.0'), 21);
    assert.equal(minimumJava('elasticsearch', '7.17.29'), 11);
    assert.equal(minimumJava('opensearch', '2.19.6'), 11);
    assert.equal(minimumJava('opensearch', '3.6.0'), 21);
  });
});

describe('the JDK of each release of the search matrix', () => {
  const root = mkdtempSync(join(tmpdir(), 'jdk-matrix-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const both = join(root, 'both');
  const jdk17 = fakeJdk(both, 'jdk-17', '17.0.15');
  const jdk25 = fakeJdk(both, 'jdk-25', '25.0.1');
  const only25 = join(root, 'only25');
  fakeJdk(only25, 'jdk-25', '25.0.1');
  const only17 = join(root, 'only17');
  fakeJdk(only17, 'jdk-17', '17.0.15');
  const noPath = { PATH: '' };

  test('Java 17 for the lines with the security manager and Elasticsearch 8, Java 25 for those needing 21', () => {
    const chosen = jdksFor(searchMatrix, noPath, both);
    assert.deepEqual(
      searchMatrix.map((r) => `${releaseName(r)}: ${chosen.get(r)?.major}`),
      [
        'elasticsearch 7.17.29: 17',
        'elasticsearch 8.19.21: 17',
        'elasticsearch 9.2.4: 25',
        'opensearch 1.3.14: 17',
        'opensearch 2.19.6: 17',
        'opensearch 3.6.0: 25',
      ],
    );
  });

  test('a JAVA_HOME past the security manager is passed over for the lines that need it', () => {
    const range = javaRange('elasticsearch', '7.17.29');
    assert.equal(range.max, 23);
    assert.equal(findJdkIn(range, { JAVA_HOME: jdk25, PATH: '' }, both).home, jdk17);
    assert.equal(
      findJdkIn(javaRange('opensearch', '3.6.0'), { JAVA_HOME: jdk17, PATH: '' }, both).home,
      jdk25,
    );
  });

  test('without Java 17 the matrix fails with one line naming each release left without a JDK', () => {
    assert.throws(
      () => jdksFor(searchMatrix, noPath, only25),
      (error: Error) => {
        assert.doesNotMatch(error.message, /\n/);
        assert.match(
          error.message,
          /^no JDK 11 to 23 found for elasticsearch 7\.17\.29 \(it uses the security manager, which Java 24 removed\): install one or set JAVA_HOME; JDKs seen: .*jdk-25 \(25\)/,
        );
        assert.match(error.message, /for opensearch 1\.3\.14 .*for opensearch 2\.19\.6 /);
        assert.doesNotMatch(error.message, /elasticsearch 9|opensearch 3|elasticsearch 8/);
        return true;
      },
    );
  });

  test('without Java 21 or newer it names Elasticsearch 9 and OpenSearch 3', () => {
    assert.throws(
      () => jdksFor(searchMatrix, noPath, only17),
      /no JDK 21 or newer found for elasticsearch 9\.2\.4: .*; no JDK 21 or newer found for opensearch 3\.6\.0: [^\n]*$/,
    );
  });
});
