// `--print-config`: the effective configuration as an env file, grouped as in --help, every value
// in its variable's own syntax (so a line can be pasted back), secrets and passwords as ***. A
// setting without effect has a comment line above it saying so.
import { redacted } from './load.js';
import { groupTitles, noEffectNote, schema, type Config, type Setting } from './schema.js';

const units: [string, number][] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds as a Go duration: the largest unit that divides it exactly ("10s", "6000ms" → "6s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}

function format(setting: Setting<unknown>, value: unknown): string {
  if (value === '***') return value;
  if (Array.isArray(value)) return value.join(',');
  if (setting.type.name === 'time.Duration' && typeof value === 'number') return formatDuration(value);
  return String(value);
}

export function printableConfig(config: Config): string {
  const shown = redacted(config);
  const settings = Object.values(schema) as Setting<unknown>[];
  const lines: string[] = [];
  for (const [group, title] of Object.entries(groupTitles)) {
    lines.push(`# ${title}`);
    for (const setting of settings.filter((s) => s.group === group)) {
      if (setting.noEffect !== undefined) lines.push(`# ${noEffectNote}: ${setting.noEffect}`);
      lines.push(`${setting.env}=${format(setting, shown[setting.env])}`);
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}
