// A real browser for the status page's test: Debian's chromium (`apt-get install chromium`,
// which .ci/run does), driven by playwright-core, which downloads no browser of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type HTTPCredentials } from 'playwright-core';
import type { Cleanups } from './indexer.js';

export const chromiumPath = '/usr/bin/chromium';

/**
 * Chromium headless with a fresh profile, quiet: no network of its own (updates, sync, QUIC
 * probes), so that every request it makes is one the page made. Closed when the test ends.
 * `httpCredentials`: the user name and password it answers a basic-authentication 401 with, as a
 * person would in the browser's login dialog.
 */
export async function launchChromium(
  t: Cleanups,
  httpCredentials?: HTTPCredentials,
): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'aki-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    ...(httpCredentials !== undefined && { httpCredentials }),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}
