import type { ProxyKey } from '../../stack/sigv4-proxy.js';

/** The chain must find nothing of this machine's own: no instance metadata, no ~/.aws files. */
export const isolatedAws: Record<string, string> = {
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
};

/** A key as the AWS environment variables carry it. */
export const keyEnv = (key: ProxyKey): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: key.accessKeyId,
  AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
  ...(key.sessionToken !== undefined && { AWS_SESSION_TOKEN: key.sessionToken }),
});
