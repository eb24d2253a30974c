// What Arkime's capture checks, as --check and the start-up log say it: pure parts, on answers
// shaped as Elasticsearch and OpenSearch give them (the integration test asks real servers).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  describeDbVersion,
  describeTodaysIndex,
  testedDbVersion,
  todaysIndices,
} from '../../src/check/arkime.js';
import { sessions3TemplatePath } from '../../stack/arkime.js';

describe('the Arkime schema version', () => {
  test('the version we say we are tested with is the one of the template the tests install', () => {
    const template = JSON.parse(readFileSync(sessions3TemplatePath, 'utf8')) as {
      template: { mappings: { _meta: { molochDbVersion: number } } };
    };
    assert.equal(testedDbVersion, template.template.mappings._meta.molochDbVersion);
  });

  test('at or above it passes, naming the template', () => {
    assert.equal(
      describeDbVersion(
        'arkime_sessions3-*',
        [{ name: 'arkime_sessions3_template', dbVersion: 86 }],
        'http://es:9200',
      ),
      'molochDbVersion 86 ("arkime_sessions3_template"), at least 86',
    );
  });

  test('older fails with the db.pl upgrade that fixes it', () => {
    assert.throws(
      () => describeDbVersion('arkime_sessions3-*', [{ name: 't', dbVersion: 78 }], 'http://es:9200'),
      /^Error: molochDbVersion 78 in "t" is older than 86, .* run db\/db\.pl http:\/\/es:9200 upgrade$/,
    );
  });

  test('no template, or one without _meta, says init', () => {
    assert.throws(
      () => describeDbVersion('x_sessions3-*', [], 'http://es:9200'),
      /db\/db\.pl http:\/\/es:9200 init/,
    );
    assert.throws(
      () => describeDbVersion('x_sessions3-*', [{ name: 'mine' }], 'http://es:9200'),
      /"mine" carries no _meta\.molochDbVersion: not Arkime's sessions3 template; run db\/db\.pl http:\/\/es:9200 init/,
    );
  });
});

describe("today's index", () => {
  test('its names in UTC: daily and hourly, weekly (day of the year / 7), monthly', () => {
    assert.deepEqual(todaysIndices('arkime_sessions3-*', new Date('2026-12-07T23:30:00Z')), [
      'arkime_sessions3-261207*',
      'arkime_sessions3-26w48',
      'arkime_sessions3-26m12',
    ]);
    assert.deepEqual(todaysIndices('arkime_sessions3-*', new Date('2027-01-01T00:10:00Z')).slice(1), [
      'arkime_sessions3-27w00',
      'arkime_sessions3-27m01',
    ]);
    assert.deepEqual(todaysIndices('logs-*', new Date()), []);
  });

  test('open and writable passes; not there yet passes too (the first session creates it)', () => {
    assert.equal(
      describeTodaysIndex(['a_sessions3-261207*'], { 'a_sessions3-261207': { settings: {} } }),
      'a_sessions3-261207: open and writable',
    );
    assert.match(describeTodaysIndex(['a_sessions3-261207*'], {}), /^a_sessions3-261207 does not exist yet/);
  });

  test('write-blocked, read-only, flood-stage and closed each fail with what lifts it', () => {
    const problem = (settings: Record<string, string>): string => {
      try {
        describeTodaysIndex(['i*'], { i: { settings } });
      } catch (error) {
        return (error as Error).message;
      }
      return 'passed';
    };
    assert.match(
      problem({ 'index.blocks.write': 'true' }),
      /^i is write-blocked \(index\.blocks\.write\): PUT \/i\/_settings \{"index\.blocks\.write": false\}/,
    );
    assert.match(
      problem({ 'index.blocks.read_only': 'true' }),
      /^i is read-only \(index\.blocks\.read_only\)/,
    );
    assert.match(
      problem({ 'index.blocks.read_only_allow_delete': 'true' }),
      /flood-stage watermark.*free disk space/,
    );
    assert.match(problem({ 'index.verified_before_close': 'true' }), /^i is closed: POST \/i\/_open/);
    assert.equal(problem({ 'index.blocks.write': 'false' }), 'passed');
  });
});
