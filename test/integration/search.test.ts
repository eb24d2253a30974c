import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { bulkLines, readSessions } from '../../stack/arkime.js';
import { uniqueName } from '../../stack/names.js';
import { installTemplate } from '../../stack/search-client.js';
import { required, useStack } from '../helpers/stack.js';
import type { Distribution } from '../../stack/search-install.js';

interface BulkResponse {
  errors: boolean;
  items: Record<string, { _index: string; _id: string; status: number; error?: { type: string } }>[];
}

async function call(
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: string,
  contentType = 'application/json',
) {
  const response = await request(url, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }),
  });
  const text = await response.body.text();
  assert.ok(
    response.statusCode < 300,
    `${method} ${url} answered ${response.statusCode}: ${text.slice(0, 500)}`,
  );
  return JSON.parse(text) as unknown;
}

for (const distribution of ['opensearch', 'elasticsearch'] as const satisfies Distribution[]) {
  describe(`a real ${distribution} server with Arkime's sessions3 template`, () => {
    let url: string;
    // Each run writes to its own index pattern: the template is Arkime's, with only its pattern narrowed.
    const prefix = uniqueName('arkime_sessions3').toLowerCase();

    let removeTemplate = (): Promise<void> => Promise.resolve();

    before(async () => {
      url = required((await useStack(distribution))[distribution], distribution).url;
      removeTemplate = await installTemplate(url, prefix);
    });
    after(() => removeTemplate());

    test('real sessions bulk-indexed through undici read back unchanged, mapped as Arkime maps them', async () => {
      const sessions = readSessions().slice(0, 40);
      const body = sessions.map((s) => bulkLines(s, `${prefix}-${s.index.split('-').at(-1)}`)).join('');
      const result = (await call(
        'POST',
        `${url}/_bulk?refresh=wait_for`,
        body,
        'application/x-ndjson',
      )) as BulkResponse;
      assert.equal(result.errors, false, JSON.stringify(result.items.find((i) => i['index']?.error)));
      assert.equal(result.items.length, sessions.length);

      const docs = sessions.map((s) => ({ _index: `${prefix}-${s.index.split('-').at(-1)}`, _id: s.id }));
      const read = (await call('POST', `${url}/_mget`, JSON.stringify({ docs }))) as {
        docs: { _id: string; found: boolean; _source: unknown }[];
      };
      read.docs.forEach((doc, i) => {
        assert.equal(doc.found, true, `${doc._id} found`);
        assert.deepEqual(doc._source, sessions[i]?.doc);
      });

      // The template, not dynamic mapping, decided the field types.
      const mapping = (await call(
        'GET',
        `${url}/${docs[0]?._index}/_mapping/field/source.ip,firstPacket`,
      )) as Record<string, { mappings: Record<string, { mapping: Record<string, { type: string }> }> }>;
      const fields = Object.values(mapping)[0]?.mappings;
      assert.equal(fields?.['source.ip']?.mapping['ip']?.type, 'ip');
      assert.equal(fields?.['firstPacket']?.mapping['firstPacket']?.type, 'date');
    });

    test('a document that breaks the mapping is rejected alone, with a mapping error', async () => {
      const [good, bad] = readSessions().slice(0, 2);
      assert.ok(good && bad);
      const index = `${prefix}-broken`;
      const body =
        bulkLines(good, index) + bulkLines({ ...bad, doc: { ...bad.doc, firstPacket: 'yesterday' } }, index);
      const result = (await call('POST', `${url}/_bulk`, body, 'application/x-ndjson')) as BulkResponse;
      assert.equal(result.errors, true);
      const [first, second] = result.items.map((i) => i['index']);
      assert.equal(first?.status, 201);
      assert.equal(second?.status, 400);
      assert.match(second?.error?.type ?? '', /^(mapper_parsing_exception|document_parsing_exception)$/);
    });
  });
}
