// The Kafka limit: the indexer's own Kafka client reading the topic and doing nothing else.
// Arguments: bootstrap topic messages [maxBytes highWaterMark maxWaitTime], the fetch options the
// indexer uses by default unless given. Prints one JSON line with its timings and resource use.
import { Consumer } from '@platformatic/kafka';
import { consumedMessage, fetchDefaults, readAheadBytes } from '../src/kafka/consumer.js';
import { readAhead } from '../src/kafka/read-ahead.js';

const [bootstrap = '', topic = '', expected = '0', ...fetch] = process.argv.slice(2);
const [
  maxBytes = fetchDefaults.maxBytes,
  highWaterMark = fetchDefaults.highWaterMark,
  maxWaitTime = fetchDefaults.maxWaitTime,
] = fetch.map(Number);
const consumer = new Consumer({
  clientId: 'bench-consume-only',
  groupId: `bench-${Date.now()}`,
  bootstrapBrokers: [bootstrap],
});
const stream = await consumer.consume({
  topics: [topic],
  mode: 'earliest',
  autocommit: false,
  maxBytes,
  highWaterMark,
  maxWaitTime,
});
// Read the way the indexer reads: ahead by bytes as well as by count.
const read = readAhead(stream, { bytes: readAheadBytes, messages: highWaterMark }, consumedMessage);
let messages = 0;
let bytes = 0;
let first = 0;
reading: for await (const chunk of read) {
  if (messages === 0) first = performance.now();
  for (const message of chunk) {
    messages += 1;
    bytes += message.value.length;
    if (messages >= Number(expected)) break reading;
  }
}
const seconds = (performance.now() - first) / 1000;
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    messages,
    bytes,
    seconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peakRssBytes: usage.maxRSS * 1024,
  }),
);
await stream.close();
await consumer.close(true);
process.exit(0);
