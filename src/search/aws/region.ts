// The region requests are signed for, found once at start: ELASTIC_AWS_SIGV4_REGION, else
// AWS_REGION, else the `region` of the profile in the shared config file, else the instance
// metadata's (IMDSv2), the order the AWS SDKs use. The published credential packages have no
// region lookup from instance metadata, hence the two requests below.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

/** The variables read here, as the AWS SDKs name them. */
export type RegionEnv = Partial<
  Record<
    | 'AWS_REGION'
    | 'AWS_PROFILE'
    | 'AWS_CONFIG_FILE'
    | 'AWS_EC2_METADATA_DISABLED'
    | 'AWS_EC2_METADATA_SERVICE_ENDPOINT',
    string
  >
>;

/** IMDS answers within milliseconds on an instance; elsewhere nothing answers at all. */
const metadataTimeoutMs = 1000;

/** The `region` of `profile` in an AWS config file's text (`[default]` or `[profile name]`). */
export function profileRegion(text: string, profile: string): string | undefined {
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inside = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section !== null) {
      inside = wanted.includes((section[1] as string).replace(/\s+/g, ' '));
      continue;
    }
    const setting = /^region\s*=\s*(\S+)$/.exec(line);
    if (inside && setting !== null) return setting[1];
  }
  return undefined;
}

function fromConfigFile(env: RegionEnv): string | undefined {
  const path = env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config');
  try {
    return profileRegion(readFileSync(path, 'utf8'), env.AWS_PROFILE ?? 'default');
  } catch {
    return undefined; // no config file: the next source
  }
}

/** The instance's region from IMDSv2 (token, then placement/region); undefined when none answers. */
export async function metadataRegion(env: RegionEnv): Promise<string | undefined> {
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') return undefined;
  const base = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254').replace(/\/+$/, '');
  const timeouts = { headersTimeout: metadataTimeoutMs, bodyTimeout: metadataTimeoutMs };
  const signal = AbortSignal.timeout(metadataTimeoutMs * 2);
  try {
    const token = await request(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      signal,
      ...timeouts,
    });
    const tokenText = await token.body.text();
    if (token.statusCode !== 200) return undefined;
    const answer = await request(`${base}/latest/meta-data/placement/region`, {
      headers: { 'x-aws-ec2-metadata-token': tokenText },
      signal,
      ...timeouts,
    });
    const region = (await answer.body.text()).trim();
    return answer.statusCode === 200 && /^[a-z0-9-]+$/.test(region) ? region : undefined;
  } catch {
    return undefined; // not on an instance, or metadata switched off
  }
}

/** The region, or the one line that says none was found. */
export async function signingRegion(
  setting: string,
  env: RegionEnv,
): Promise<{ region: string } | { error: string }> {
  const found =
    (setting || undefined) ??
    (env.AWS_REGION?.trim() || undefined) ??
    fromConfigFile(env) ??
    (await metadataRegion(env));
  if (found !== undefined) return { region: found };
  return {
    error:
      "ELASTIC_AWS_SIGV4_REGION is not set and no region was found (AWS_REGION, the profile's region, the instance metadata): set it to the domain's region",
  };
}
