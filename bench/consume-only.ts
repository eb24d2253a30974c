// The Kafka limit: the indexer's own Kafka consumer (its group membership, its fetch loop and
// read-ahead) reading the topic and doing nothing else. Arguments: bootstrap topic messages.
// Prints one JSON line with its timings and resource use.
import { loadConfig } from '../src/config/load.js';
import { KafkaConsumer } from '../src/kafka/reading/consumer.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';

const [bootstrap = '', topic = '', expected = '0'] = process.argv.slice(2);
const loaded = loadConfig({
  KAFKA_CONSUMER_BROKERS: bootstrap,
  KAFKA_CONSUMER_TOPIC: topic,
  KAFKA_CONSUMER_GROUP_NAME: `bench-${Date.now()}`,
  KAFKA_CONSUMER_OFFSET_RESET: 'earliest',
  LOG_LEVEL: 'warn',
  ELASTIC_SERVICE: 'http://127.0.0.1:9', // required by the configuration, never asked here
});
if (!loaded.ok) throw new Error(loaded.errors.join('; '));
const config = loaded.config;
const consumer = new KafkaConsumer(config, createLogger(config.logLevel), createMetrics(config));
const read = await consumer.start();
let messages = 0;
let bytes = 0;
let first = 0;
reading: for await (const chunk of read) {
  if (messages === 0) first = performance.now();
  for (const message of chunk.messages) {
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
await consumer.close();
process.exit(0);
