/**
 * The `kws` command-line program: one sub-command per module in this folder, each registering
 * itself on the commander program.
 */
import { Command } from 'commander';
import { registerCommands } from './commands.js';

const program = new Command();
program
  .name('kws')
  .description('Keyword spotting: MFCC features, bidirectional LSTM, ONNX export and fast recognition.')
  .showHelpAfterError();
registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`kws: ${message}\n`);
  process.exitCode = 1;
});
