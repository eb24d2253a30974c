// The native Kafka limit: librdkafka (through kcat) reading the topic and doing nothing else, at
// its default fetch settings, as a librdkafka-based indexer would. kcat writes each message's
// offset and exits after `messages`; its CPU and peak RSS are sampled from /proc every few
// milliseconds until then, so that they are kcat's alone. Timed from its first output to its exit
// (which includes closing its connections). Its output is buffered (4 KiB, so no system call per
// message); each line is padded so that the first 4 KiB leave after 0.5% of the messages.
// Arguments: bootstrap topic messages. Prints one JSON line.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { installKcat } from './kcat.js';
import { cpuSeconds, peakRssBytes } from './proc.js';

const [bootstrap = '', topic = '', expected = '0'] = process.argv.slice(2);
const kcat = await installKcat();
const padding = ' '.repeat(Math.ceil(4096 / Math.max(1, Number(expected) / 200)));
const child = spawn(
  kcat.command,
  ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-q', '-c', expected, '-f', `%o${padding}\n`],
  { env: { ...process.env, ...kcat.env }, stdio: ['ignore', 'pipe', 'inherit'] },
);
const pid = child.pid ?? -1;
let ended = 0;
child.on('exit', () => (ended = performance.now()));
const closed = once(child, 'close') as Promise<[number | null]>; // after its last output is read
let messages = 0;
let first = 0;
child.stdout.on('data', (chunk: Buffer) => {
  if (first === 0) first = performance.now();
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) messages += 1;
});
let cpu = 0;
let rss = 0;
const sample = setInterval(() => {
  try {
    // A process that has exited but is not yet reaped reads as zero: keep the last real sample.
    cpu = Math.max(cpu, cpuSeconds(pid));
    rss = Math.max(rss, peakRssBytes(pid));
  } catch {
    // it has just exited: the last sample stands (at most a few ms of CPU short)
  }
}, 5);
const [code] = await closed;
const seconds = (ended - first) / 1000;
clearInterval(sample);
if (code !== 0 || messages < Number(expected))
  throw new Error(`kcat exited with ${code} after ${messages} of ${expected} messages`);
console.log(JSON.stringify({ messages, seconds, cpuSeconds: cpu, peakRssBytes: rss }));
