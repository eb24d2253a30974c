// The Kafka limit: the indexer's own Kafka client reading the topic and doing nothing else.
// Arguments: bootstrap topic messages. Prints one JSON line with its timings and resource use.
import { Consumer } from '@platformatic/kafka';

const [bootstrap = '', topic = '', expected = '0'] = process.argv.slice(2);
const consumer = new Consumer({
  clientId: 'bench-consume-only',
  groupId: `bench-${Date.now()}`,
  bootstrapBrokers: [bootstrap],
});
const stream = await consumer.consume({
  topics: [topic],
  mode: 'earliest',
  autocommit: false,
  highWaterMark: 10,
});
let messages = 0;
let bytes = 0;
let first = 0;
for await (const message of stream) {
  if (messages === 0) first = performance.now();
  messages += 1;
  bytes += message.value.length;
  if (messages >= Number(expected)) break;
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
consumer.close(true, () => process.exit(0));
