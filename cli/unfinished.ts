/**
 * Node exits quietly, with whatever exit code was set, when nothing is left to wait for, even in
 * the middle of a command (a promise that a wasm module never settles). This says so instead.
 */
import { EXIT_FAILED } from './exit-codes.js';

/** Until `done()` is called, an exit for lack of work prints `<name>: stopped before finishing …` and exits 1. */
export function guardUnfinished(name: () => string): { done: () => void } {
  let finished = false;
  process.on('beforeExit', () => {
    if (finished) return;
    finished = true;
    process.stderr.write(`${name()}: stopped before finishing: a step never completed and nothing was left to wait for (exit code ${process.exitCode ?? 0} when it stopped)\n`);
    process.exitCode = EXIT_FAILED;
  });
  return { done: () => (finished = true) };
}
