import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '../config/schema.js';

export type KafkaTlsConfig = Pick<
  Config,
  'kafkaSslCaLocation' | 'kafkaSslCertLocation' | 'kafkaSslKeyLocation' | 'kafkaSslKeyPassword'
>;

/**
 * TLS options for the Kafka clients, or undefined for plaintext. A CA alone gives a verified
 * server; a certificate and key add client authentication; the password opens an encrypted key.
 */
export function kafkaTls(config: KafkaTlsConfig): ConnectionOptions | undefined {
  if (config.kafkaSslCaLocation === '' && config.kafkaSslCertLocation === '') return undefined;
  return {
    ...(config.kafkaSslCaLocation !== '' && { ca: readFileSync(config.kafkaSslCaLocation) }),
    ...(config.kafkaSslCertLocation !== '' && { cert: readFileSync(config.kafkaSslCertLocation) }),
    ...(config.kafkaSslKeyLocation !== '' && { key: readFileSync(config.kafkaSslKeyLocation) }),
    ...(config.kafkaSslKeyPassword !== '' && { passphrase: config.kafkaSslKeyPassword }),
  };
}
