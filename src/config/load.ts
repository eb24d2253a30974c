import { schema, type Config, type Setting } from './schema.js';
import { withSecretFiles, type ReadText } from './secret-files.js';
import { ValueError } from './values.js';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/**
 * Required settings that another one can stand in for: ELASTIC_CLOUD_ID names the search nodes
 * itself, and ELASTIC_SERVICE (a list) is then left empty.
 */
const standIns: Readonly<Record<string, string>> = { ELASTIC_SERVICE: 'ELASTIC_CLOUD_ID' };

function isSet(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  return value !== undefined && value.trim() !== '';
}

/** Settings whose entries are addresses, which may carry `user:password@`. */
const addressSettings = new Set(['ELASTIC_SERVICE']);

/** Each comma-separated address with whatever stands before the `@` of its authority replaced by ***. */
export function maskCredentials(text: string): string {
  return text
    .split(',')
    .map((entry) => entry.replace(/^(\s*(?:[a-z][a-z0-9+.-]*:\/\/)?)[^/?#]*@/i, '$1***@'))
    .join(',');
}

function describeValue(setting: Setting<unknown>, text: string): string {
  if (setting.secret === true) return '***';
  return JSON.stringify(addressSettings.has(setting.env) ? maskCredentials(text) : text);
}

/** The variables of every secret setting, each of which may be read from a file instead. */
const secretNames = (Object.values(schema) as Setting<unknown>[])
  .filter((s) => s.secret === true)
  .map((s) => s.env);

/**
 * Reads every setting from the environment (a secret from the file its <NAME>_FILE names, when
 * given: ./secret-files.ts). All problems are reported at once, one line per variable naming it,
 * its value (never a secret's) and what was expected, so an operator fixes them in one go.
 */
export function loadConfig(environment: NodeJS.ProcessEnv, readText?: ReadText): LoadResult {
  const { env, errors } = withSecretFiles(environment, secretNames, readText);
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(schema) as [string, Setting<unknown>][]) {
    const given = env[setting.env];
    const text = given === undefined || given.trim() === '' ? setting.default : given;
    if (text === undefined && isSet(env, standIns[setting.env] ?? '')) {
      config[key] = [];
      continue;
    }
    if (text === undefined) {
      errors.push(`${setting.env} is required: ${setting.description}`);
      continue;
    }
    try {
      config[key] = setting.type.parse(text);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      errors.push(`${setting.env}=${describeValue(setting, text)} is not valid: expected ${error.message}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: withDerivedDefaults(env, config as Config) };
}

/** How much longer than the node may wait the client waits at least, when the operator set no request timeout. */
export const requestTimeoutMargin = 30_000;

/**
 * ELASTIC_REQUEST_TIMEOUT left unset follows ELASTIC_CLIENT_BULK_TIMEOUT, which it must stay above
 * (./timeouts.ts says why): a Go indexer's settings with a bulk timeout of 90 s or more start as
 * they did there. Set, it is taken as given, and a contradiction stops start-up.
 */
function withDerivedDefaults(env: NodeJS.ProcessEnv, config: Config): Config {
  if (isSet(env, schema.elasticRequestTimeout.env)) return config;
  const floor = config.elasticClientBulkTimeout + requestTimeoutMargin;
  return { ...config, elasticRequestTimeout: Math.max(config.elasticRequestTimeout, floor) };
}

/** The configuration as it may be shown: every secret that is set, and every address's password, becomes ***. */
export function redacted(config: Config): Record<string, unknown> {
  return Object.fromEntries(
    (Object.entries(schema) as [keyof Config, Setting<unknown>][]).map(([key, setting]) => {
      const value = config[key];
      if (setting.secret === true && value !== '') return [setting.env, '***'];
      if (addressSettings.has(setting.env) && Array.isArray(value)) {
        return [setting.env, (value as string[]).map(maskCredentials)];
      }
      return [setting.env, value];
    }),
  );
}

/** The user and password an address carries (`scheme://user:password@host`), decoded. */
function addressCredentials(address: string): { user: string; password: string } | undefined {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `http://${address}`);
    if (url.username === '' && url.password === '') return undefined;
    return { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  } catch {
    return undefined;
  }
}

/**
 * Every secret of the configuration in every form it could be written in: the values of secret
 * settings, the passwords in addresses, and the base64 `user:password` of basic authentication.
 * The logger blanks them out of every line, a last line of defence behind code that never logs them.
 */
export function secretValues(config: Config): string[] {
  const values = new Set<string>();
  const basic = (user: string, password: string): void => {
    values.add(password);
    values.add(Buffer.from(`${user}:${password}`).toString('base64'));
  };
  for (const [key, setting] of Object.entries(schema) as [keyof Config, Setting<unknown>][]) {
    const value = config[key];
    if (setting.secret === true && typeof value === 'string') values.add(value);
    if (!addressSettings.has(setting.env) || !Array.isArray(value)) continue;
    for (const entry of value as string[]) {
      const credentials = addressCredentials(entry);
      if (credentials === undefined) continue;
      basic(credentials.user, credentials.password);
      // And as written, percent-encoded.
      const authority = entry.replace(/^\s*[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
      const userInfo = authority.slice(0, authority.lastIndexOf('@'));
      if (userInfo.includes(':')) values.add(userInfo.slice(userInfo.indexOf(':') + 1));
    }
  }
  if (config.elasticUsername !== '') basic(config.elasticUsername, config.elasticPassword);
  if (config.statusPassword !== '') basic(config.statusUsername, config.statusPassword);
  values.delete('');
  return [...values];
}
