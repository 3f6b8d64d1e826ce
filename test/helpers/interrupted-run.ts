/**
 * A training run interrupted and resumed with the same command: the run is stopped while epoch
 * `epoch` is reported (before that epoch's checkpoint is written), must have saved the epoch
 * before it, and is then resumed to its end.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCheckpoint } from '../../model/checkpoint.js';

class Interrupted extends Error {}

export async function interruptThenResume(
  runDir: string,
  run: (resume: boolean, log: (line: string) => void) => Promise<unknown>,
  epoch = 2,
): Promise<void> {
  await assert.rejects(
    run(false, (line) => {
      if (line.startsWith(`epoch ${epoch}:`)) throw new Interrupted('interrupted');
    }),
    Interrupted,
  );
  assert.equal((await loadCheckpoint(join(runDir, 'last.ckpt'))).state!.epoch, epoch - 1);
  await run(true, () => {});
}
