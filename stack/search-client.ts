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
 * How the sessions3 template goes in: `composable` (PUT _index_template, the fixture's own form),
 * or `legacy` as Arkime's db.pl installs it on every server it supports (PUT
 * _template/<prefix>_sessions3_template with order 99, the same settings and mappings), which is
 * what Arkime's capture reads back at start-up.
 */
export type TemplateKind = 'composable' | 'legacy';

/**
 * Installs Arkime's sessions3 template, narrowed to `<prefix>-*` so tests sharing a server never
 * meet. Returns the clean-up that removes it and its indices, for the caller's `after` hook: a
 * run creates hundreds of daily indices, more than one small node holds.
 */
export async function installTemplate(
  url: string,
  prefix: string,
  kind: TemplateKind = 'composable',
): Promise<() => Promise<void>> {
  const template = JSON.parse(readFileSync(sessions3TemplatePath, 'utf8')) as {
    index_patterns: string[];
    priority: number;
    template: { settings: unknown; mappings: unknown };
  };
  const path =
    kind === 'composable'
      ? `${url}/_index_template/${prefix}`
      : `${url}/_template/${prefix}_sessions3_template`;
  const body =
    kind === 'composable'
      ? { ...template, index_patterns: [`${prefix}-*`] }
      : {
          index_patterns: [`${prefix}-*`],
          order: template.priority,
          settings: template.template.settings,
          mappings: template.template.mappings,
        };
  await call('PUT', path, body);
  return async () => {
    await call(
      'DELETE',
      `${url}/${prefix}-*?ignore_unavailable=true&allow_no_indices=true&expand_wildcards=all`,
    );
    await call('DELETE', path);
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
