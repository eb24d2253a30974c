// How the indexer connects and authenticates to the search cluster: which nodes (ELASTIC_SERVICE
// or ELASTIC_CLOUD_ID), which certificate authorities verify them (ELASTIC_SSL_CA_LOCATION, else
// the system's), and which one credential goes in the Authorization header. Every problem is found
// before the first connection, one line each naming the variable, never showing a secret.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readProblem } from '../config/files.js';
import type { Config } from '../config/schema.js';
import { IndexerError } from '../retry.js';
import {
  authorization,
  basicFromUrl,
  CloudIdError,
  decodeCloudId,
  nodeUrls,
  serviceProblem,
} from './nodes.js';

export type SearchConnectionConfig = Pick<
  Config,
  | 'elasticService'
  | 'elasticServicePort'
  | 'elasticUseHttps'
  | 'elasticCloudId'
  | 'elasticSslCaLocation'
  | 'elasticUsername'
  | 'elasticPassword'
  | 'elasticApiKey'
  | 'elasticServiceToken'
  | 'elasticAwsSigv4'
  | 'elasticAwsSigv4Service'
>;

/** A search TLS or credential setting that cannot work; the message names the variables at fault. */
export class SearchSecurityError extends IndexerError {
  static readonly code = 'AKI_SEARCH_SECURITY';
  constructor(message: string) {
    super(message, SearchSecurityError.code, false);
  }
}

/** The CA file's certificates, or the reason they cannot be used. */
function readCa(path: string): { ca: Buffer } | { error: string } {
  const where = `ELASTIC_SSL_CA_LOCATION=${JSON.stringify(path)}`;
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    return { error: `${where} cannot be read: ${readProblem(error)}` };
  }
  try {
    new X509Certificate(pem);
  } catch {
    return { error: `${where} does not hold a PEM certificate` };
  }
  return { ca: pem };
}

function carriesCredentials(service: string): boolean {
  try {
    const [url] = nodeUrls({
      elasticService: [service],
      elasticServicePort: 9200,
      elasticUseHttps: false,
      elasticCloudId: '',
    });
    return url !== undefined && url.username !== '';
  } catch {
    return false; // reported as an invalid address
  }
}

/** The credentials that are set, by the variable that sets them. */
function credentialsSet(config: SearchConnectionConfig): string[] {
  const set: string[] = [];
  if (config.elasticAwsSigv4) set.push('ELASTIC_AWS_SIGV4');
  if (config.elasticApiKey !== '') set.push('ELASTIC_API_KEY');
  if (config.elasticServiceToken !== '') set.push('ELASTIC_SERVICE_TOKEN');
  if (config.elasticUsername !== '' || config.elasticPassword !== '') set.push('ELASTIC_USERNAME');
  if (config.elasticCloudId === '' && config.elasticService.some(carriesCredentials)) {
    set.push('a user:password@ in ELASTIC_SERVICE');
  }
  return set;
}

function addressErrors(config: SearchConnectionConfig): string[] {
  if (config.elasticCloudId !== '') {
    const errors: string[] = [];
    if (config.elasticService.length > 0) {
      errors.push('ELASTIC_CLOUD_ID and ELASTIC_SERVICE are both set: set one of them');
    }
    try {
      decodeCloudId(config.elasticCloudId);
    } catch (error) {
      if (!(error instanceof IndexerError) || error.code !== CloudIdError.code) throw error;
      errors.push(error.message);
    }
    return errors;
  }
  if (config.elasticService.length === 0) return ['ELASTIC_SERVICE is required (or ELASTIC_CLOUD_ID)'];
  return config.elasticService
    .map((service) => serviceProblem(service, config.elasticServicePort))
    .filter((problem) => problem !== undefined);
}

function credentialErrors(config: SearchConnectionConfig): string[] {
  const errors = awsErrors(config);
  if (config.elasticPassword !== '' && config.elasticUsername === '') {
    errors.push('ELASTIC_PASSWORD is set but ELASTIC_USERNAME is not: basic authentication needs both');
  }
  if (config.elasticUsername !== '' && config.elasticPassword === '') {
    errors.push('ELASTIC_USERNAME is set but ELASTIC_PASSWORD is not: basic authentication needs both');
  }
  const set = credentialsSet(config);
  if (set.length > 1) {
    const named = `${set.slice(0, -1).join(', ')} and ${set.at(-1)}`;
    errors.push(`${named} are ${set.length === 2 ? 'both' : 'all'} set: choose one way to authenticate`);
  }
  return errors;
}

/** SigV4 signs for one AWS service; Elastic Cloud is no such service. */
function awsErrors(config: SearchConnectionConfig): string[] {
  if (!config.elasticAwsSigv4) return [];
  const errors: string[] = [];
  if (config.elasticCloudId !== '') {
    errors.push('ELASTIC_AWS_SIGV4 and ELASTIC_CLOUD_ID are both set: choose one way to authenticate');
  }
  const service = config.elasticAwsSigv4Service;
  if (service === 'aoss') {
    errors.push(
      'ELASTIC_AWS_SIGV4_SERVICE=aoss: OpenSearch Serverless is not supported, because Arkime itself does not support it; use a managed domain (es)',
    );
  } else if (!/^[a-z0-9-]+$/.test(service)) {
    errors.push(
      `ELASTIC_AWS_SIGV4_SERVICE=${JSON.stringify(service)} is not an AWS service name: expected es`,
    );
  }
  return errors;
}

/**
 * Every reason the search connection settings cannot work, one line each naming the variables
 * (and paths, never a secret); empty when they can. Reads the CA file.
 */
export function validateSearchConnection(config: SearchConnectionConfig): string[] {
  const errors = [...addressErrors(config), ...credentialErrors(config)];
  if (config.elasticSslCaLocation !== '') {
    const ca = readCa(config.elasticSslCaLocation);
    if ('error' in ca) errors.push(ca.error);
    else if (errors.length === 0 && !nodeUrls(config).some((url) => url.protocol === 'https:')) {
      errors.push(
        'ELASTIC_SSL_CA_LOCATION is set but no search node is addressed over https: set ELASTIC_USE_HTTPS=true or use https:// addresses',
      );
    }
  }
  return errors;
}

/** How a request authenticates, as it may be logged: the method and the variable, never the secret. */
export type AuthMethod =
  | 'ApiKey (ELASTIC_API_KEY)'
  | 'Bearer (ELASTIC_SERVICE_TOKEN)'
  | 'Basic (ELASTIC_USERNAME/ELASTIC_PASSWORD)'
  | 'Basic (user:password@ in ELASTIC_SERVICE)'
  | 'AWS SigV4 (ELASTIC_AWS_SIGV4)'
  | 'none';

export interface SearchSecurity {
  /**
   * TLS options for every connection: the CA of ELASTIC_SSL_CA_LOCATION when set (else the
   * system's). Server certificates are always verified; there is no setting to turn that off.
   */
  tls: { rejectUnauthorized: true; ca?: Buffer };
  /** The Authorization header for `node` (a seed URL may carry its own user:password@). */
  authorization: (node?: URL) => string | undefined;
  /** The method `authorization(node)` uses, for log lines. */
  method: (node?: URL) => AuthMethod;
}

/**
 * The TLS options and credentials of every search request; throws a SearchSecurityError if the
 * settings cannot work. A node found later (discovery) has no user:password@ of its own: it gets
 * the configured credentials, else those of the first seed address that carries some.
 */
export function searchSecurity(config: SearchConnectionConfig): SearchSecurity {
  const errors = validateSearchConnection(config);
  if (errors.length > 0) throw new SearchSecurityError(errors.join('; '));
  const ca = config.elasticSslCaLocation === '' ? undefined : readFileSync(config.elasticSslCaLocation);
  // SigV4 puts its own Authorization on each request as it is sent (./aws/signing.ts).
  const configured = config.elasticAwsSigv4 ? undefined : authorization(config);
  const seedCredentials = nodeUrls(config).find((url) => url.username !== '');
  const fromUrl = (node?: URL): URL | undefined =>
    node !== undefined && node.username !== '' ? node : seedCredentials;
  return {
    tls: { rejectUnauthorized: true, ...(ca !== undefined && { ca }) },
    authorization: (node) => {
      if (configured !== undefined) return configured;
      const url = fromUrl(node);
      return url === undefined ? undefined : basicFromUrl(url);
    },
    method: (node) => {
      if (config.elasticAwsSigv4) return 'AWS SigV4 (ELASTIC_AWS_SIGV4)';
      if (config.elasticApiKey !== '') return 'ApiKey (ELASTIC_API_KEY)';
      if (config.elasticServiceToken !== '') return 'Bearer (ELASTIC_SERVICE_TOKEN)';
      if (config.elasticUsername !== '') return 'Basic (ELASTIC_USERNAME/ELASTIC_PASSWORD)';
      return fromUrl(node) === undefined ? 'none' : 'Basic (user:password@ in ELASTIC_SERVICE)';
    },
  };
}
