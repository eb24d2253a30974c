// The settings table for people, generated from the schema so that it cannot drift from what the
// indexer reads: the README embeds it between markers and a test checks that it is current.
import { descriptionOf, groupTitles, schema, type Setting } from './schema.js';

const cell = (text: string): string => text.replaceAll('|', '\\|');

export function configurationTable(): string {
  const settings = Object.values(schema) as Setting<unknown>[];
  const rows = ['| Variable | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const [group, title] of Object.entries(groupTitles)) {
    rows.push(`| **${title}** | | | |`);
    for (const s of settings.filter((setting) => setting.group === group)) {
      const fallback = s.default === undefined ? '_required_' : s.default === '' ? '' : `\`${s.default}\``;
      const notes = [s.added === true ? '*(added)*' : '', s.secret === true ? '*(secret)*' : '']
        .filter(Boolean)
        .join(' ');
      const description = [cell(descriptionOf(s)), notes].filter(Boolean).join(' ');
      rows.push(`| \`${s.env}\` | ${s.type.name} | ${fallback} | ${description} |`);
    }
  }
  return rows.join('\n');
}

export function deviationsList(): string {
  return (Object.values(schema) as Setting<unknown>[])
    .filter((s) => s.goDefault !== undefined)
    .map(
      (s) =>
        `- \`${s.env}\` defaults to \`${s.default}\`, not \`${s.goDefault?.value}\`: ${s.goDefault?.why}.`,
    )
    .join('\n');
}

/** The Go indexer's settings that are read and checked here but change nothing, each with why. */
export function noEffectList(): string {
  return (Object.values(schema) as Setting<unknown>[])
    .filter((s) => s.noEffect !== undefined)
    .map((s) => `- \`${s.env}\`: ${s.noEffect}.`)
    .join('\n');
}

export const markers = {
  table: ['<!-- configuration-table:start -->', '<!-- configuration-table:end -->'],
  deviations: ['<!-- deviations:start -->', '<!-- deviations:end -->'],
  noEffect: ['<!-- no-effect:start -->', '<!-- no-effect:end -->'],
} as const;

/** `text` with the generated parts put between their markers. */
export function withReference(text: string): string {
  let result = text;
  for (const [key, content] of [
    ['table', configurationTable()],
    ['deviations', deviationsList()],
    ['noEffect', noEffectList()],
  ] as const) {
    const [start, end] = markers[key];
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from === -1 || to === -1) throw new Error(`the text has no ${start} … ${end} markers`);
    result = `${result.slice(0, from + start.length)}\n${content}\n${result.slice(to)}`;
  }
  return result;
}
