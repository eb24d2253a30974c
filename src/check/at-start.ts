// What the service checks of Arkime as it starts, as `--check` does: the newest message of each
// partition of the topics read names the indices (and so the prefixes) sessions go to; the Arkime
// checks run for those, else for the patterns the settings give. Every finding is logged, none
// stops the service, and nothing here delays it: Kafka or the cluster may be down at start.
import type { Config } from '../config/schema.js';
import { KafkaProbe } from '../kafka/probe.js';
import type { KafkaSecurityConfig } from '../kafka/connection.js';
import type { Logger } from '../telemetry/logger.js';
import { arkimeChecks, clusterUrl, logArkimeChecks } from './arkime.js';
import type { NodeAddressConfig } from '../search/nodes.js';
import type { Get } from './search.js';
import { arkimeTargets, namedIndices, topicsRead } from './topic-documents.js';

export type ArkimeAtStartConfig = KafkaSecurityConfig &
  NodeAddressConfig &
  Pick<
    Config,
    'kafkaConsumerBrokers' | 'kafkaConsumerTopic' | 'kafkaProducerTopic' | 'elasticAllowedIndices'
  >;

/** The indices the topics' newest sessions name; none when Kafka cannot tell within `timeoutMs`. */
async function indicesNamed(
  config: ArkimeAtStartConfig,
  timeoutMs: number,
  logger: Logger,
): Promise<string[]> {
  const probe = new KafkaProbe(config.kafkaConsumerBrokers, config, timeoutMs / 2);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const topics = (await Promise.all(topicsRead(config, probe).map((entry) => entry.topics()))).flat();
    // A topic that cannot be read (missing: the indexer waits for it) leaves the others' sessions.
    const read = await Promise.all(
      topics.map((topic) =>
        probe.newestMessages(topic, signal).catch((error: unknown) => {
          logger.debug({ err: error, topic }, "the topic's newest sessions could not be read");
          return [];
        }),
      ),
    );
    return namedIndices(read.flat()).indices;
  } catch (error) {
    logger.debug(
      { err: error },
      "the topic's newest sessions could not be read: checking the settings' patterns",
    );
    return [];
  } finally {
    await probe.close().catch(() => undefined);
  }
}

/** Reads the topics' newest sessions, then runs and logs the Arkime checks; never rejects. */
export async function logArkimeChecksAtStart(
  config: ArkimeAtStartConfig,
  get: Get,
  logger: Logger,
  timeoutMs: number,
): Promise<void> {
  const named = await indicesNamed(config, timeoutMs, logger);
  const targets = arkimeTargets(config.elasticAllowedIndices, named);
  await logArkimeChecks(
    arkimeChecks(get, targets, clusterUrl(config), () => new Date()),
    logger,
    timeoutMs,
  );
}
