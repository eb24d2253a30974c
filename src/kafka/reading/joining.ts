// Joining the group: when a join has really reached the brokers (what the consumer waits for before
// it fetches), and which refusals no retry fixes.
import type { MessagesStream } from '@platformatic/kafka';
import type { Config } from '../../config/schema.js';
import { groupProtocolFailure, KafkaConnectionError, securityFailure } from '../connection.js';

/**
 * The classic protocol's session timeout and heartbeat interval, for the client, each consume()
 * and each rejoin alike; none with KIP-848, whose coordinator sets them.
 */
export function classicTimeouts(
  config: Pick<Config, 'kafkaConsumerIncrementalRebalance' | 'kafkaSessionTimeout'>,
): { sessionTimeout?: number; heartbeatInterval?: number } {
  if (config.kafkaConsumerIncrementalRebalance) return {};
  return {
    sessionTimeout: config.kafkaSessionTimeout,
    heartbeatInterval: Math.max(100, Math.floor(config.kafkaSessionTimeout / 3)),
  };
}

/**
 * A certificate, password or mechanism the broker refuses, or a group protocol it does not run:
 * the error that says which, to stop with; undefined for any other error (a retry may help).
 */
export function refusal(
  error: unknown,
  config: Parameters<typeof securityFailure>[1] &
    Pick<Config, 'kafkaConsumerBrokers' | 'kafkaConsumerIncrementalRebalance' | 'kafkaConsumerGroupName'>,
): KafkaConnectionError | undefined {
  const brokers = config.kafkaConsumerBrokers.join(',');
  const security = securityFailure(error, config);
  const protocol = groupProtocolFailure(error, config.kafkaConsumerIncrementalRebalance);
  if (security === undefined && protocol === undefined) return undefined;
  return new KafkaConnectionError(
    security !== undefined
      ? `Kafka consumer cannot connect to ${brokers}: ${security}`
      : `Kafka consumer cannot join the group ${JSON.stringify(config.kafkaConsumerGroupName)} at ${brokers}: ${protocol}`,
  );
}

/**
 * Resolves once the new stream has read its partitions' offsets from the brokers, rejects with its
 * error if it fails first. A member that is still in its group gets a stream without asking any
 * broker, so that `consume()` resolving says nothing: with every broker gone, each new stream
 * would fail at once, and each try would look like a recovery.
 */
export function answered(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const forget = (): void => {
      stream.off('offsets', read);
      stream.off('error', failed);
      stream.off('close', closed);
    };
    const read = (): void => {
      forget();
      resolve();
    };
    const failed = (error: Error): void => {
      forget();
      reject(error);
    };
    const closed = (): void => failed(new Error('the consumer stream closed before it read its offsets'));
    stream.once('offsets', read);
    stream.once('error', failed);
    stream.once('close', closed);
  });
}
