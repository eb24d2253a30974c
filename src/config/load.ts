import { schema, type Config, type Setting } from './schema.js';
import { ValueError } from './values.js';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] };

function describeValue(setting: Setting<unknown>, text: string): string {
  return setting.secret === true ? '***' : JSON.stringify(text);
}

/**
 * Reads every setting from the environment. All problems are reported at once, one line per
 * variable naming it, its value (never a secret's) and what was expected, so an operator fixes
 * them in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv): LoadResult {
  const errors: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(schema) as [string, Setting<unknown>][]) {
    const given = env[setting.env];
    const text = given === undefined || given.trim() === '' ? setting.default : given;
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
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: config as Config };
}

/** An address with its password (`https://user:password@host`, `user:password@host`) as `user:***@host`. */
export function withoutPassword(address: string): string {
  return address.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?[^/@:]*):[^/@]*@/i, '$1:***@');
}

function shown(value: unknown): unknown {
  if (typeof value === 'string') return withoutPassword(value);
  return Array.isArray(value) ? value.map(shown) : value;
}

/** The configuration as it may be shown: every secret that is set, and passwords in addresses, become ***. */
export function redacted(config: Config): Record<string, unknown> {
  return Object.fromEntries(
    (Object.entries(schema) as [keyof Config, Setting<unknown>][]).map(([key, setting]) => [
      setting.env,
      setting.secret === true && config[key] !== '' ? '***' : shown(config[key]),
    ]),
  );
}
