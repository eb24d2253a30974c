import { maskCredentials } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { IndexerError } from '../retry.js';

export type NodeAddressConfig = Pick<
  Config,
  'elasticService' | 'elasticServicePort' | 'elasticUseHttps' | 'elasticCloudId'
>;

/**
 * The search nodes to send to: the one ELASTIC_CLOUD_ID names, or those of ELASTIC_SERVICE (host
 * names, as the Go indexer takes them, or full URLs) with ELASTIC_SERVICE_PORT and ELASTIC_USE_HTTPS.
 * A URL may carry `user:password@`; show one with `displayUrl`, never as it is.
 */
export function nodeUrls(config: NodeAddressConfig): URL[] {
  if (config.elasticCloudId !== '') return [decodeCloudId(config.elasticCloudId)];
  const scheme = config.elasticUseHttps ? 'https' : 'http';
  return config.elasticService.map((service) => {
    const withScheme = hasScheme(service) ? service : `${scheme}://${service}`;
    const url = new URL(withScheme);
    if (!hasExplicitPort(withScheme)) url.port = String(config.elasticServicePort);
    url.pathname = url.pathname.replace(/\/+$/, '');
    return url;
  });
}

function hasScheme(service: string): boolean {
  return /^https?:\/\//i.test(service);
}

/** Whether the authority names a port; URL cannot tell "no port" from "the scheme's default port". */
function hasExplicitPort(url: string): boolean {
  const authority = url.replace(/^https?:\/\//i, '').split(/[/?#]/)[0] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return /:\d+$/.test(host) && !host.endsWith(']');
}

/**
 * Why an ELASTIC_SERVICE entry cannot be used, or undefined when it can. The entry is shown with
 * any password masked: an address may carry `user:password@`.
 */
export function serviceProblem(service: string, port: number): string | undefined {
  const shown = JSON.stringify(maskCredentials(service));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(service) && !hasScheme(service)) {
    return `ELASTIC_SERVICE entry ${shown} is not valid: expected a host, host:port or an http(s) URL`;
  }
  try {
    nodeUrls({
      elasticService: [service],
      elasticServicePort: port,
      elasticUseHttps: false,
      elasticCloudId: '',
    });
    return undefined;
  } catch {
    return `ELASTIC_SERVICE entry ${shown} is not valid: expected a host, host:port or an http(s) URL`;
  }
}

/** A node as it may be logged: scheme, host, port and path, never the credentials it carries. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
}

/** ELASTIC_CLOUD_ID cannot be decoded; the message says what is wrong, in one line. */
export class CloudIdError extends IndexerError {
  static readonly code = 'AKI_SEARCH_CLOUD_ID';
  constructor(message: string) {
    super(message, CloudIdError.code, false);
  }
}

/**
 * The Elasticsearch endpoint of an Elastic Cloud ID, `name:base64("host[:port]$es_uuid[:port]$kibana_uuid")`:
 * https://<es_uuid>.<host>:<port>, the port the Elasticsearch id's, else the host's, else 443, as
 * Elastic's own decoders read it.
 */
export function decodeCloudId(cloudId: string): URL {
  const fail = (why: string): never => {
    throw new CloudIdError(`ELASTIC_CLOUD_ID is not a valid Cloud ID: ${why}`);
  };
  const colon = cloudId.lastIndexOf(':');
  if (colon <= 0) fail('expected "<name>:<base64>", as the Elastic Cloud console shows it');
  const encoded = cloudId.slice(colon + 1).trim();
  // Buffer.from(…, 'base64') skips what is not base64 rather than failing: check the text first.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) fail('the part after the last ":" is not base64');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  if (!decoded.includes('$')) fail('its decoded value has no "$" between host and Elasticsearch id');
  const [hostPart = '', esPart = ''] = decoded.split('$');
  const [, host, hostPort] = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(hostPart) ?? [];
  if (host === undefined) fail('its decoded value does not start with a host name (and :port)');
  const [, esUuid, esPort] = /^([a-z0-9-]+)(?::(\d{1,5}))?$/i.exec(esPart) ?? [];
  if (esUuid === undefined) fail('its decoded value has no Elasticsearch id after the first "$"');
  const port = esPort ?? hostPort ?? '443';
  if (Number(port) < 1 || Number(port) > 65535) fail(`port ${port} is out of range`);
  return new URL(`https://${esUuid}.${host}:${port}`);
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

/** Basic credentials from an address's `user:password@`, when it carries them. */
export function basicFromUrl(url: URL): string | undefined {
  if (url.username === '') return undefined;
  const user = decodeURIComponent(url.username);
  return `Basic ${Buffer.from(`${user}:${decodeURIComponent(url.password)}`).toString('base64')}`;
}
