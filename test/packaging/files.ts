// Just enough reading of the Dockerfile and docker-compose.yml for tests to check them without
// Docker: instructions by stage, and compose keys by indentation (the file is block-style YAML).
import { readFileSync } from 'node:fs';

export const repoFile = (path: string): string =>
  readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

export interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's stages, each a list of instructions (continuation lines joined, comments dropped). */
export function dockerStages(text: string): Instruction[][] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replaceAll(/\\\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!.trim() };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

const unquote = (value: string): string => value.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');

/** The lines nested under `path` (e.g. ['services', 'indexer', 'environment']), or undefined. */
function block(lines: string[], path: string[]): string[] | undefined {
  let scope = lines;
  for (const key of path) {
    const indent = Math.min(...scope.map((line) => line.search(/\S/)));
    const start = scope.findIndex(
      (line) => line.search(/\S/) === indent && line.trimStart().startsWith(`${key}:`),
    );
    if (start === -1) return undefined;
    const rest = scope.slice(start + 1);
    const end = rest.findIndex((line) => line.search(/\S/) <= indent);
    scope = end === -1 ? rest : rest.slice(0, end);
  }
  return scope;
}

function meaningful(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

/** The keys directly under `path`, with their scalar values ('' for nested blocks). */
export function composeMap(text: string, path: string[]): Map<string, string> {
  const lines = block(meaningful(text), path) ?? [];
  const indent = Math.min(...lines.map((line) => line.search(/\S/)));
  return new Map(
    lines
      .filter((line) => line.search(/\S/) === indent)
      .map((line) => /^\s*([^:\s]+):\s*(.*)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1]!, unquote(match[2]!.trim())]),
  );
}

/** The items of the block list under `path` (`- item` lines). */
export function composeList(text: string, path: string[]): string[] {
  return (block(meaningful(text), path) ?? [])
    .map((line) => /^\s*-\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => unquote(match[1]!.trim()));
}
