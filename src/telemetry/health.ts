// Readiness for Kubernetes' probes: ready once the consumer has joined its group, while it can
// fetch from the Kafka brokers and while the search cluster answers. Liveness needs no state: a
// process whose event loop answers /healthz is alive (a stuck pipeline shows in the metrics, and
// restarting would not unstick the cluster).
import type { Logger } from './logger.js';

export interface ReadinessState {
  ready: boolean;
  /** Why not ready, one phrase each; empty when ready. */
  reasons: string[];
}

export class Readiness {
  private joined = false;
  private stopping = false;
  /** undefined until the first check of the search cluster. */
  private searchProblem: string | undefined = 'search cluster not checked yet';
  private bulkFailing = false;
  private kafkaFailing = false;

  /** The consumer joined its group (it stays a member through rebalances). */
  joinedGroup(): void {
    this.joined = true;
  }

  /** A check of the search cluster: undefined when it answered, else why not. */
  searchChecked(problem: string | undefined): void {
    this.searchProblem = problem;
  }

  /** Bulk requests failing ELASTIC_CLIENT_MAX_RETRIES tries in a row (true), or succeeding again. */
  bulkUnavailable(failing: boolean): void {
    this.bulkFailing = failing;
  }

  /**
   * Fetching from Kafka failing and being tried again (true: every broker gone, say), or working
   * again. Joining the group once is not enough: the brokers may all go away afterwards.
   */
  kafkaUnavailable(failing: boolean): void {
    this.kafkaFailing = failing;
  }

  stopped(): void {
    this.stopping = true;
  }

  get state(): ReadinessState {
    const reasons = [
      this.stopping ? 'stopping' : '',
      this.joined ? '' : 'not yet in the consumer group',
      this.kafkaFailing ? 'Kafka brokers do not answer; fetching again, waiting longer after each try' : '',
      this.searchProblem ?? '',
      this.bulkFailing ? 'bulk requests to the search cluster keep failing' : '',
    ].filter((reason) => reason !== '');
    return { ready: reasons.length === 0, reasons };
  }
}

/** One answer from the search cluster: its HTTP status, or a rejection when none came. */
export type SearchPing = (signal: AbortSignal) => Promise<{ status: number }>;

/** Why this answer means the cluster cannot take documents, or undefined when it can. */
export function pingProblem(status: number): string | undefined {
  if (status === 401) return 'search cluster refuses the credentials (401)';
  // 403 is an answer too: the indexer's user may write without being allowed to read GET /.
  if (status >= 500) return `search cluster answers ${status}`;
  return undefined;
}

/** Pings the search cluster every `intervalMs` (and at once) for readiness; returns the function that stops it. */
export function watchSearch(
  ping: SearchPing,
  readiness: Readiness,
  intervalMs = 10_000,
  timeoutMs = 5000,
): () => void {
  const check = async (): Promise<void> => {
    try {
      const { status } = await ping(AbortSignal.timeout(timeoutMs));
      readiness.searchChecked(pingProblem(status));
    } catch (error) {
      readiness.searchChecked(
        `search cluster unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  void check();
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** What the SIGHUP check asks of the search client. */
export interface SearchChecks {
  /** Applies the dead-percentage rule now (node discovery); never rejects. */
  checkNodes: () => Promise<void>;
  /** GET `path` on a node that answers. */
  get: (path: string) => Promise<{ status: number; body: string }>;
}

/**
 * SIGHUP, as in the Go indexer: looks at the search nodes again and logs the cluster's health in
 * one line, for an operator who wants to know now rather than at the next interval.
 */
export async function checkSearchNow(search: SearchChecks, logger: Logger): Promise<void> {
  const nodes = search.checkNodes();
  try {
    const health = await search.get('/_cluster/health');
    logger.info({ status: health.status, health: health.body }, 'search cluster checked');
  } catch (error) {
    logger.error({ err: error }, 'search cluster check failed');
  }
  await nodes;
}
