import type { Config } from '../config/schema.js';

/**
 * The search nodes to send to, from ELASTIC_SERVICE (host names, as the Go indexer takes them, or
 * full URLs), ELASTIC_SERVICE_PORT and ELASTIC_USE_HTTPS.
 */
export function nodeUrls(
  config: Pick<Config, 'elasticService' | 'elasticServicePort' | 'elasticUseHttps'>,
): URL[] {
  const scheme = config.elasticUseHttps ? 'https' : 'http';
  return config.elasticService.map((service) => {
    const withScheme = /^https?:\/\//i.test(service) ? service : `${scheme}://${service}`;
    const url = new URL(withScheme);
    if (!hasExplicitPort(withScheme)) url.port = String(config.elasticServicePort);
    url.pathname = url.pathname.replace(/\/+$/, '');
    return url;
  });
}

/** Whether the authority names a port; URL cannot tell "no port" from "the scheme's default port". */
function hasExplicitPort(url: string): boolean {
  const authority = url.replace(/^https?:\/\//i, '').split(/[/?#]/)[0] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return /:\d+$/.test(host) && !host.endsWith(']');
}

/** The Authorization header, from whichever credential is set (API key, then service token, then basic). */
export function authorization(
  config: Pick<Config, 'elasticApiKey' | 'elasticServiceToken' | 'elasticUsername' | 'elasticPassword'>,
): string | undefined {
  if (config.elasticApiKey !== '') return `ApiKey ${config.elasticApiKey}`;
  if (config.elasticServiceToken !== '') return `Bearer ${config.elasticServiceToken}`;
  if (config.elasticUsername !== '') {
    return `Basic ${Buffer.from(`${config.elasticUsername}:${config.elasticPassword}`).toString('base64')}`;
  }
  return undefined;
}
