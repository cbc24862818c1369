/**
 * What the packaging scripts share on their command line: how a usage mistake is told apart from
 * a failure, and the exit codes (2 with the usage text, 1 with the error).
 *
 * @module
 */

/** A mistake in how a packaging script was called: it exits 2 and prints its usage. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Runs a script's command line. A {@linkcode UsageError} or a parseArgs refusal exits 2 with the
 * error and `usage`; any other error exits 1 with its message.
 */
export async function runScript(run: () => Promise<void>, usage: string): Promise<void> {
  try {
    await run();
  } catch (error) {
    const isUsage = error instanceof UsageError ||
      String((error as { code?: unknown }).code ?? "").startsWith("ERR_PARSE_ARGS");
    console.error(error instanceof Error ? error.message : String(error));
    if (isUsage) console.error(usage);
    Deno.exit(isUsage ? 2 : 1);
  }
}
