import { isIP } from 'node:net';
import { parseTopicSelection, type TopicSelection } from './topics.js';
import { parseBoolean, parseDuration, parseInteger, parseList, parseNumber, ValueError } from './values.js';

/** How one setting's text becomes a value: the name shown in --help and the parser. */
export interface ValueType<T> {
  /** As the Go indexer's table names it: string, int, bool, time.Duration, []int, []float64. */
  name: string;
  parse: (text: string) => T;
}

function bounded(name: string, min: number, max: number, parse: (text: string) => number): ValueType<number> {
  return {
    name,
    parse: (text) => {
      const value = parse(text);
      if (value < min || value > max) throw new ValueError(`a value from ${min} to ${max}`);
      return value;
    },
  };
}

export const string: ValueType<string> = { name: 'string', parse: (text) => text.trim() };

export const boolean: ValueType<boolean> = { name: 'bool', parse: parseBoolean };

export const integer = (min = 0, max = Number.MAX_SAFE_INTEGER): ValueType<number> =>
  bounded('int', min, max, parseInteger);

/** Milliseconds. */
export const duration = (min = 0): ValueType<number> =>
  bounded('time.Duration', min, Infinity, parseDuration);

/** A whole number from `min` to `max`, or `word` (a mode with no number, such as 'adaptive'). */
export const integerOr = <W extends string>(word: W, min: number, max: number): ValueType<number | W> => ({
  name: 'int',
  parse: (text) => {
    if (text.trim().toLowerCase() === word) return word;
    try {
      return integer(min, max).parse(text);
    } catch (error) {
      if (error instanceof ValueError) throw new ValueError(`${word}, or ${error.message}`);
      throw error;
    }
  },
});

export const port: ValueType<number> = bounded('string', 0, 65535, parseInteger);

export const integerList = (min: number, max: number): ValueType<number[]> => ({
  name: '[]int',
  parse: (text) => parseList(text, (part) => bounded('int', min, max, parseInteger).parse(part)),
});

export const increasingNumbers: ValueType<number[]> = {
  name: '[]float64',
  parse: (text) => {
    const values = parseList(text, parseNumber);
    if (values.length === 0 || values.some((v, i) => i > 0 && v <= (values[i - 1] ?? v))) {
      throw new ValueError('increasing numbers separated by commas, such as 2,4,8');
    }
    return values;
  },
};

export const stringList: ValueType<string[]> = {
  name: 'string',
  parse: (text) => {
    const values = parseList(text, (part) => part);
    if (values.length === 0) throw new ValueError('one or more values separated by commas');
    return values;
  },
};

export const oneOf = <T extends string>(values: readonly T[]): ValueType<T> => ({
  name: 'string',
  parse: (text) => {
    const value = text.trim().toLowerCase();
    if (!(values as readonly string[]).includes(value)) {
      const named = values.map((v) => (v === '' ? '(empty)' : v));
      throw new ValueError(`one of ${named.join(', ')}`);
    }
    return value as T;
  },
});

/** KAFKA_CONSUMER_TOPIC: a topic, a comma list of them, or a regular expression in slashes (./topics.ts). */
export const topicSelection: ValueType<TopicSelection> = { name: 'string', parse: parseTopicSelection };

/** A host name as RFC 1123 allows it: dot-separated labels of letters, digits and inner hyphens. */
const hostName =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** A last label of digits only is a mistyped IPv4 address (300.1.1.1), never a host name (RFC 3696). */
const numericTop = /(^|\.)\d+\.?$/;

/** LISTEN_ADDRESS: an IPv4 or IPv6 address (brackets allowed), a host name, or empty for every interface. */
export const listenAddress: ValueType<string> = {
  name: 'string',
  parse: (text) => {
    const value = text.trim().replace(/^\[(.*)\]$/, '$1');
    if (value === '' || isIP(value) !== 0 || (hostName.test(value) && !numericTop.test(value))) return value;
    throw new ValueError('an IP address (0.0.0.0, 127.0.0.1, ::1) or a host name, without a port');
  },
};
