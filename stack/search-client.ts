import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { sessions3TemplatePath } from './arkime.js';

export async function call(
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<unknown> {
  const response = await request(url, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.body.text();
  assert.ok(
    response.statusCode < 300,
    `${method} ${url} answered ${response.statusCode}: ${text.slice(0, 500)}`,
  );
  return JSON.parse(text) as unknown;
}

/**
 * Installs Arkime's sessions3 template, narrowed to `<prefix>-*` so tests sharing a server never
 * meet. Returns the clean-up that removes it and its indices, for the caller's `after` hook: a
 * run creates hundreds of daily indices, more than one small node holds.
 */
export async function installTemplate(url: string, prefix: string): Promise<() => Promise<void>> {
  const template = JSON.parse(readFileSync(sessions3TemplatePath, 'utf8')) as { index_patterns: string[] };
  template.index_patterns = [`${prefix}-*`];
  await call('PUT', `${url}/_index_template/${prefix}`, template);
  return async () => {
    await call(
      'DELETE',
      `${url}/${prefix}-*?ignore_unavailable=true&allow_no_indices=true&expand_wildcards=all`,
    );
    await call('DELETE', `${url}/_index_template/${prefix}`);
  };
}

export interface StoredDocument {
  _index: string;
  _id: string;
  _source: Record<string, unknown>;
  /** 1 for a document written once; each overwrite (a session indexed again) adds one. */
  _version: number;
}

/** Every document in the indices matching `pattern` (up to 10,000), after a refresh. */
export async function allDocuments(url: string, pattern: string): Promise<StoredDocument[]> {
  await call('POST', `${url}/${pattern}/_refresh?ignore_unavailable=true&allow_no_indices=true`);
  const result = (await call(
    'POST',
    `${url}/${pattern}/_search?ignore_unavailable=true&allow_no_indices=true`,
    {
      size: 10_000,
      version: true,
      query: { match_all: {} },
    },
  )) as { hits: { hits: StoredDocument[] } };
  return result.hits.hits;
}

export async function count(url: string, pattern: string): Promise<number> {
  await call('POST', `${url}/${pattern}/_refresh?ignore_unavailable=true&allow_no_indices=true`);
  const result = (await call(
    'GET',
    `${url}/${pattern}/_count?ignore_unavailable=true&allow_no_indices=true`,
  )) as {
    count: number;
  };
  return result.count;
}
