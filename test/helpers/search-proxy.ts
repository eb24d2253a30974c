import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates, type Certificates } from '../../stack/certificates.js';
import { SearchProxy } from '../../stack/nginx.js';

/** A secret no output may contain: random, long enough to never appear by chance. */
export const secret = (): string => `s-${randomBytes(12).toString('hex')}`;

export interface ProxyCredentials {
  user: string;
  password: string;
  apiKey: string;
  token: string;
}

/**
 * Certificates made for the run and nginx in front of the search node at `upstream`, with fresh
 * credentials for each of its doors. The caller stops the proxy (in an `after` at the top of its
 * suite: one registered inside a `before` hook runs at once).
 */
export async function startSearchProxy(
  upstream: string,
): Promise<{ proxy: SearchProxy; certs: Certificates; credentials: ProxyCredentials }> {
  const dir = mkdtempSync(join(tmpdir(), 'aki-search-proxy-'));
  const certs = await makeCertificates(join(dir, 'certificates'));
  const credentials = { user: 'indexer', password: secret(), apiKey: secret(), token: secret() };
  const proxy = await SearchProxy.create({
    dir,
    upstream,
    certificate: { cert: certs.serverCert, key: certs.serverKey },
    basic: { user: credentials.user, password: credentials.password },
    apiKey: credentials.apiKey,
    bearerToken: credentials.token,
  });
  await proxy.start();
  return { proxy, certs, credentials };
}
