import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { findJdk } from '../../stack/java.js';
import { minimumJava } from '../../stack/search-install.js';

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
