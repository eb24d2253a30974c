// Seconds behind capture, as every surface shows it (the status page, /status.json, the summary
// line): read from consumer_lag_seconds, so that they and a Prometheus scrape agree. The figure
// that leads is the slowest partition's, named.
import type { Gauge } from 'prom-client';

export interface PartitionBehindRow {
  topic: string;
  partition: number;
  /** Null when the message waiting carries no timestamp. */
  seconds: number | null;
  /** log_append_time: seconds since the broker stored the record, not since capture stamped it. */
  timestampType: string;
}

export interface Behind {
  /** The slowest partition's seconds; 0 when nothing waits; null when no waiting message has a time. */
  seconds: number | null;
  /** The partition those seconds are of; null when nothing waits. */
  slowest: { topic: string; partition: number } | null;
  /** Every partition read, in topic order, then by number. */
  partitions: PartitionBehindRow[];
}

export async function readBehind(gauge: Gauge<string>): Promise<Behind> {
  const partitions = (await gauge.get()).values
    .map(({ labels, value }): PartitionBehindRow => ({
      topic: String(labels['topic'] ?? ''),
      partition: Number(labels['partition']),
      seconds: Number.isNaN(value) ? null : value,
      timestampType: String(labels['timestamp_type'] ?? 'create_time'),
    }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  let slowest: PartitionBehindRow | undefined;
  for (const row of partitions)
    if (row.seconds !== null && row.seconds > 0 && row.seconds > (slowest?.seconds ?? 0)) slowest = row;
  const unknown = partitions.some((row) => row.seconds === null);
  return {
    seconds: slowest?.seconds ?? (unknown ? null : 0),
    slowest: slowest === undefined ? null : { topic: slowest.topic, partition: slowest.partition },
    partitions,
  };
}
