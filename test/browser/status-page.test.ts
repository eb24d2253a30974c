// The status page in a real browser while the real indexer indexes the real corpus into the real
// OpenSearch: its figures agree with /metrics, its chart moves between two refreshes, it loads
// nothing from elsewhere, it fits a phone and a wall screen, and its screenshot is the README's.
// The page asks for a password (STATUS_PASSWORD): the browser logs in with basic authentication.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { bulkLines, copiesOf, readSessions } from '../../stack/arkime.js';
import { launchChromium } from '../helpers/browser.js';
import { indexerRun, stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

const screenshot = fileURLToPath(new URL('../../../docs/status-page.png', import.meta.url));
const password = 'status-page-secret-42';
const login = { username: 'ops', password: 'status-page-login-77' };
const authorization = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;

/** The figure's text as a number: "1,234" → 1234. */
async function figure(page: Page, selector: string): Promise<number> {
  const text = (await page.textContent(selector)) ?? '';
  assert.match(text, /^[\d,]+$/, `${selector} shows "${text}"`);
  return Number(text.replaceAll(',', ''));
}

/** Evaluates `expression` in the page (the tests are compiled without the DOM's types). */
const inPage = <T>(page: Page, expression: string): Promise<T> => page.evaluate<T>(expression);

const refreshes = async (page: Page): Promise<number> =>
  Number((await page.getAttribute('body', 'data-refreshes')) ?? 0);

/**
 * Waits for the page to render a new answer after this moment (it refreshes every 2 s). Polled
 * from here: page.waitForFunction evaluates its predicate by eval, which the page's policy forbids.
 */
async function nextRefresh(page: Page): Promise<void> {
  const seen = await refreshes(page);
  for (let i = 0; i < 100; i++) {
    if ((await refreshes(page)) > seen) return;
    await sleep(100);
  }
  assert.fail(`the page did not refresh within 10 s (refreshes: ${seen})`);
}

const chartState = async (page: Page) => ({
  last: (await page.getAttribute('#chart', 'data-last')) ?? '',
  indexed: (await page.getAttribute('#line-indexed', 'd')) ?? '',
});

/** Each row's data attributes `keys` and the text of its last cell. */
const tableRows = (page: Page, selector: string, keys: string[]): Promise<(string | undefined)[][]> =>
  inPage(
    page,
    `[...document.querySelectorAll(${JSON.stringify(selector)})].map((r) => [
      ...${JSON.stringify(keys)}.map((k) => r.dataset[k]), r.cells[r.cells.length - 1].textContent])`,
  );

/** The y coordinates of a chart path ("M0 300 L2 250 …"): 300 is the baseline (0/s). */
const heights = (d: string): number[] =>
  [...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => 300 - Number(m[1]));

describe('the status page in chromium', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('opensearch')));

  test('shows what /metrics says while the corpus is indexed, its chart moving', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_status', partitions: 3 });
    // The real corpus twice over (each copy with its own _ids), one session a message (bulk1), every
    // 40th with a date its mapping refuses. Into one index: the corpus spans 130 days, and creating
    // 130 daily indices would be most of the test's time.
    const sessions = copiesOf(readSessions(), 2, 'status');
    const broken = (i: number): boolean => i % 40 === 7;
    const index = `${run.prefix}-status`;
    const messages = sessions.map((s, i) =>
      Buffer.from(bulkLines(broken(i) ? { ...s, doc: { ...s.doc, firstPacket: 'yesterday' } } : s, index)),
    );
    const refused = sessions.filter((_, i) => broken(i)).length;

    const indexer: IndexerProcess = await run.start({
      LOG_LEVEL: 'info',
      BULKER_MAX_MESSAGES: '40',
      // Not used by this OpenSearch (no security plugin): here to show the page never names it.
      ELASTIC_USERNAME: 'indexer',
      ELASTIC_PASSWORD: password,
      STATUS_USERNAME: login.username,
      STATUS_PASSWORD: login.password,
    });
    const origin = `http://127.0.0.1:${indexer.port}`;
    await indexer.waitFor('/readyz 200', async () => (await fetch(`${origin}/readyz`)).status === 200);

    assert.equal((await fetch(`${origin}/`)).status, 401);
    const context = await launchChromium(t, login);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/`);
    await nextRefresh(page);

    // Six waves, 2 s apart: the page refreshes (and the ring samples) in between.
    const waves = 6;
    const perWave = Math.ceil(messages.length / waves);
    let moved = 0;
    for (let w = 0; w < waves; w++) {
      await run.produce(messages.slice(w * perWave, (w + 1) * perWave));
      const before = await chartState(page);
      await nextRefresh(page);
      await sleep(w === waves - 1 ? 0 : 1000);
      const after = await chartState(page);
      if (after.last !== before.last && after.indexed !== before.indexed) moved++;
    }
    assert.ok(moved >= 3, `the chart moved between refreshes ${moved} times of ${waves}`);
    // Leading the page: how far behind capture the slowest partition is, while sessions flow.
    assert.match((await page.textContent('#behind')) ?? '', /^[\d,.]+ s behind$/);
    // The README's picture: sessions still flowing.
    await page.screenshot({ path: screenshot, fullPage: true });

    await indexer.waitForMetric('indexed_documents_total', (n) => n === sessions.length - refused);
    await indexer.waitForMetric('msg_produced_success_total', (n) => n === refused);
    await indexer.waitFor('lag 0 on every partition', async () => {
      const text = await indexer.metrics();
      return [0, 1, 2].every((p) =>
        new RegExp(`_consumer_lag_messages\\{[^}]*partition="${p}"[^}]*\\} 0\n`).test(text),
      );
    });
    // Two refreshes: the second has sampled the ring after the counters stopped.
    await nextRefresh(page);
    await nextRefresh(page);
    const peak = Math.max(...heights((await chartState(page)).indexed));
    assert.ok(peak > 0, 'documents indexed show above the baseline');

    // Every figure as /metrics has it (nothing moves any more).
    const metric = (name: string, labels = ''): Promise<number> => indexer.metric(name, labels);
    assert.equal(await figure(page, '#total-consumed'), await metric('msgs_consumed_total'));
    assert.equal(await figure(page, '#total-indexed'), sessions.length - refused);
    assert.equal(await figure(page, '#total-indexed'), await metric('indexed_documents_total'));
    assert.equal(await figure(page, '#total-failed'), await metric('documents_failed_total'));
    assert.equal(await figure(page, '#total-produced'), await metric('msg_produced_success_total'));
    assert.equal(await figure(page, '#lag-total'), await metric('consumer_lag_messages'));
    const lagRows = await tableRows(page, '#lag tr', ['topic', 'partition']);
    assert.deepEqual(
      lagRows,
      [0, 1, 2].map((p) => [run.topic, String(p), '0']),
    );
    assert.equal(await page.textContent('#behind'), '0.0 s behind');
    assert.equal(await page.textContent('#behind-detail'), 'caught up: nothing waits to be indexed');
    assert.equal(await metric('consumer_lag_seconds'), 0);
    assert.deepEqual(
      await tableRows(page, '#behind-partitions tr', ['topic', 'partition']),
      [0, 1, 2].map((p) => [run.topic, String(p), '0.0 s']),
    );
    const failureRows = await tableRows(page, '#failures tr', ['reason']);
    assert.deepEqual(failureRows, [['mapper_parsing_exception', String(refused)]]);
    assert.equal(refused, await metric('documents_failed_total', 'reason="mapper_parsing_exception"'));
    assert.equal(await figure(page, '#inflight-requests'), await metric('in_flight_bulk_requests'));
    assert.equal(await page.textContent('#fetch-state'), 'running');
    const alive =
      (await metric('es_client_total_connections_total')) -
      (await metric('es_client_dead_connections_total'));
    assert.equal(await page.textContent('#search-state'), `${alive} of ${alive} nodes alive`);
    assert.equal(await page.locator('#nodes li[data-alive="true"]').count(), alive);
    assert.equal(await page.textContent('#ready'), 'Ready');
    const errors = await page.textContent('#errors');
    assert.match(errors ?? '', new RegExp(`document failed to index mapper_parsing_exception ×${refused}`));
    // The refused date is captured data: the page says it was cut (the log has it).
    assert.match(errors ?? '', /Preview of field's value: \(hidden\)/);
    assert.ok(!(errors ?? '').includes('yesterday'), errors ?? '');

    // Nothing from elsewhere, nothing secret, no script error.
    assert.deepEqual([...new Set(requests.map((u) => new URL(u).origin))], [origin], requests.join('\n'));
    assert.deepEqual(pageErrors, []);
    const json = await (await fetch(`${origin}/status.json`, { headers: { authorization } })).text();
    for (const secret of [password, login.password, authorization.slice(6)])
      assert.ok(!json.includes(secret) && !(await page.content()).includes(secret), secret);

    // A phone and a wall screen: no sideways scrolling; the wall's text is larger.
    const fontSizes: number[] = [];
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 2560, height: 1440 },
    ]) {
      await page.setViewportSize(viewport);
      const { scroll, font } = await inPage<{ scroll: number; font: number }>(
        page,
        '({ scroll: document.documentElement.scrollWidth, font: parseFloat(getComputedStyle(document.documentElement).fontSize) })',
      );
      assert.ok(scroll <= viewport.width, `${viewport.width} px wide: scrolls to ${scroll}`);
      fontSizes.push(font);
    }
    assert.ok(fontSizes[1]! > fontSizes[0]! * 1.4, `font sizes ${fontSizes.join(', ')}`);
    await stopCleanly(indexer);
  });
});
