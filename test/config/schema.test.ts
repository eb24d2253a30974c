// `noEffect` is a claim about the code: that nothing outside src/config/ reads the setting. These
// tests check it against the compiled source, both ways, and that people are told.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { descriptionOf, noEffectNote, schema, type Setting } from '../../src/config/schema.js';

const compiledSource = fileURLToPath(new URL('../../src/', import.meta.url));
const settings = Object.entries(schema) as [string, Setting<unknown>][];

/** Every compiled file of src/ but the configuration's own, which names every setting. */
function codeOutsideConfig(dir = compiledSource): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(compiledSource, 'config') ? [] : codeOutsideConfig(path);
    return entry.name.endsWith('.js') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}

describe('settings without effect', () => {
  const code = codeOutsideConfig();

  test('the compiled source is there to search', () => {
    assert.ok(code.length >= 10, `only ${code.length} files under ${compiledSource}`);
    assert.ok(code.some((file) => file.path.endsWith(join('bulk', 'parse.js'))));
  });

  test('are exactly those whose config field no code outside src/config/ reads', () => {
    for (const [key, setting] of settings) {
      const readers = code.filter((file) => new RegExp(`\\b${key}\\b`).test(file.text)).map((f) => f.path);
      if (setting.noEffect !== undefined) {
        assert.deepEqual(readers, [], `${setting.env} is marked noEffect, yet read`);
      } else {
        assert.notDeepEqual(readers, [], `${setting.env} is read nowhere: mark it noEffect, or use it`);
      }
    }
  });

  test('CONSUMER_CHANNEL_BUFFER_SIZE sizes the read-ahead, so it is not one of them', () => {
    assert.equal(schema.consumerChannelBufferSize.noEffect, undefined);
  });

  test('each says why, and its description says so first, then what it did in the Go indexer', () => {
    for (const [, setting] of settings) {
      const shown = descriptionOf(setting);
      if (setting.noEffect === undefined) {
        assert.equal(shown, setting.description, setting.env);
        assert.doesNotMatch(shown, /no effect/i, setting.env);
        continue;
      }
      assert.notEqual(setting.noEffect.trim(), '', `${setting.env}: noEffect without a reason`);
      assert.ok(shown.startsWith(`${noEffectNote}: ${setting.noEffect}.`), shown);
      assert.match(shown, /accepted for compatibility; no effect/i);
      assert.ok(
        shown.toLowerCase().endsWith(`in the go indexer: ${setting.description.toLowerCase()}`),
        shown,
      );
    }
  });
});
