// Runs `--check`'s checks in order, each within a time limit, and prints one line per check:
// "✓ name: what was found" or "✗ name: why not". A check that needs another one which failed is
// not run, and says so.

export interface Check {
  name: string;
  /** Resolves with what was found; rejects with why the check failed. */
  run: (signal: AbortSignal) => Promise<string>;
  /** The name of a check that must pass first. */
  needs?: string;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export function formatResult(result: CheckResult): string {
  return `${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`;
}

async function runOne(check: Check, timeoutMs: number): Promise<CheckResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  try {
    const detail = await Promise.race([check.run(controller.signal), timedOut]);
    return { name: check.name, ok: true, detail };
  } catch (error) {
    return { name: check.name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every check, printing each result as it comes; the results in order. `earlier`: results of
 * checks run before, which these may need.
 */
export async function runChecks(
  checks: Check[],
  print: (line: string) => void,
  timeoutMs: number,
  earlier: readonly CheckResult[] = [],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const prerequisite = [...earlier, ...results].find((r) => r.name === check.needs);
    const result =
      prerequisite !== undefined && !prerequisite.ok
        ? { name: check.name, ok: false, detail: `not checked: ${prerequisite.name} failed` }
        : await runOne(check, timeoutMs);
    results.push(result);
    print(formatResult(result));
  }
  return results;
}
