/**
 * The exit codes of every `kws` command, applied in one place (cli/main.ts):
 *   0    everything asked for was done;
 *   1    the command ran but something failed: a file got an error row, a model or run folder
 *        could not be read, Redis could not be reached;
 *   2    usage: an invalid option or argument, or nothing to work on (no inputs, a folder without
 *        audio files, a glob matching nothing, a missing input path, no dataset found, an --out
 *        file that is not this program's results file, an existing run without --resume/--force);
 *   130  interrupted (Ctrl-C / SIGINT); 143 stopped by SIGTERM.
 */
import { ResultLogError } from '../pipeline/batch/result-log.js';
import { InputPathError } from '../pipeline/files.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;

/** A command given nothing to work on, or arguments that contradict each other. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Errors the user fixes by changing the command line get EXIT_USAGE; everything else EXIT_FAILED. */
export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof InputPathError || err instanceof ResultLogError ? EXIT_USAGE : EXIT_FAILED;
}
