// The field values the clusters quote, cut from every reason of the recorded answers
// (test/fixtures/responses/: Elasticsearch 7.17, 8.19, 9.2, OpenSearch 1.3, 2.19, 3.6), as the
// indexer writes them: the reason and its cause joined (search/classify.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hiddenValue, hideFieldValues } from '../../src/telemetry/field-values.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/responses/', import.meta.url));

interface ItemError {
  reason?: string;
  caused_by?: { type?: string; reason?: string };
}

/** Every error of every recorded answer, its reason as the indexer logs it. */
function recordedReasons(): { file: string; reason: string }[] {
  const found: { file: string; reason: string }[] = [];
  const walk = (value: unknown, file: string): void => {
    if (value === null || typeof value !== 'object') return;
    const error = value as ItemError;
    if (typeof error.reason === 'string') {
      const cause = error.caused_by?.reason;
      found.push({
        file,
        reason: [error.reason, cause && `(caused by ${error.caused_by?.type}: ${cause})`]
          .filter(Boolean)
          .join(' '),
      });
    }
    for (const child of Object.values(value)) walk(child, file);
  };
  for (const file of readdirSync(fixtures).filter((name) => name.endsWith('.json'))) {
    const recorded = JSON.parse(readFileSync(fixtures + file, 'utf8')) as { body?: unknown };
    let body = recorded.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        continue;
      }
    }
    walk(body, file);
  }
  return found;
}

// The values the fixtures' documents and requests carry that the clusters quote back.
const quoted = ['yesterday', 'not-an-ip', 'this is not json', "'this'"];

describe('hideFieldValues', () => {
  const reasons = recordedReasons();

  test('the fixtures hold the quoting reasons of all six releases', () => {
    const quoting = reasons.filter(({ reason }) => quoted.some((value) => reason.includes(value)));
    const releases = new Set(quoting.map(({ file }) => /^(\w+-\d+\.\d+)/.exec(file)?.[1]).filter(Boolean));
    assert.deepEqual([...releases].sort(), [
      'elasticsearch-7.17',
      'elasticsearch-8.19',
      'elasticsearch-9.2',
      'opensearch-1.3',
      'opensearch-2.19',
      'opensearch-3.6',
    ]);
  });

  test('no recorded reason keeps a quoted value; every one keeps its field, type and document id', () => {
    for (const { file, reason } of reasons) {
      const cut = hideFieldValues(reason);
      for (const value of quoted) assert.ok(!cut.includes(value), `${file}: ${cut}`);
      for (const kept of reason.match(/\[(firstPacket|source\.ip|date|ip|dstTTL)\]|id '[^']+'/g) ?? [])
        assert.ok(cut.includes(kept), `${file}: ${kept} lost in ${cut}`);
    }
  });

  test('the preview becomes the marker, the cause too; what says what went wrong stays', () => {
    assert.equal(
      hideFieldValues(
        "[1:1573] failed to parse field [source.ip] of type [ip] in document with id '170627-dfI9IuC60NSSYq2YcOSzJgeV'. Preview of field's value: 'not-an-ip' (caused by illegal_argument_exception: 'not-an-ip' is not an IP string literal.)",
      ),
      `[1:1573] failed to parse field [source.ip] of type [ip] in document with id '170627-dfI9IuC60NSSYq2YcOSzJgeV'. Preview of field's value: ${hiddenValue} (caused by illegal_argument_exception: ${hiddenValue} is not an IP string literal.)`,
    );
    assert.equal(
      hideFieldValues(
        "failed to parse field [firstPacket] of type [date] in document with id 'x'. Preview of field's value: 'yesterday' (caused by illegal_argument_exception: failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis])",
      ),
      `failed to parse field [firstPacket] of type [date] in document with id 'x'. Preview of field's value: ${hiddenValue} (caused by illegal_argument_exception: failed to parse date field [${hiddenValue}] with format [strict_date_optional_time||epoch_millis])`,
    );
    assert.equal(
      hideFieldValues(
        "[1:6] Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (byte[])\"this is not json\"; line: 1, column: 6]",
      ),
      `[1:6] Unrecognized token ${hiddenValue}: was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (byte[])${hiddenValue}; line: 1, column: 6]`,
    );
    const untouched = 'mapper [dstTTL] cannot be changed from type [long] to [keyword]';
    assert.equal(hideFieldValues(untouched), untouched);
  });

  test('values with quotes, values cut short by the log, numbers and dates of other parsers', () => {
    assert.equal(
      hideFieldValues(
        "Preview of field's value: 'it's a (user) agent' (caused by number_format_exception: For input string: \"it's\")",
      ),
      `Preview of field's value: ${hiddenValue} (caused by number_format_exception: For input string: ${hiddenValue})`,
    );
    assert.equal(
      hideFieldValues("Preview of field's value: 'Mozilla/5.0 (X11; Lin"),
      `Preview of field's value: ${hiddenValue}`,
    );
    assert.equal(
      hideFieldValues('Value [99999999999999999999] is out of range for a long'),
      `Value [${hiddenValue}] is out of range for a long`,
    );
    assert.equal(
      hideFieldValues('Numeric value (99999999999999999999) out of range of long'),
      `Numeric value (${hiddenValue}) out of range of long`,
    );
    assert.equal(
      hideFieldValues("Text '2024-13-01' could not be parsed at index 5"),
      `Text ${hiddenValue} could not be parsed at index 5`,
    );
    assert.equal(hideFieldValues('Invalid format: "host.example.org"'), `Invalid format: ${hiddenValue}`);
  });
});
