/**
 * The `kws` command-line program: one sub-command per module in this folder, each registering
 * itself on the commander program. Exit codes are documented in exit-codes.ts.
 */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { guardUnfinished } from './unfinished.js';
import { helpConfiguration } from './help.js';
import { packageVersion } from './version.js';

const program = new Command();
program
  .name('kws')
  .description('Keyword spotting: MFCC features, bidirectional LSTM, ONNX export and fast recognition.')
  .version(packageVersion(), '-V, --version', 'print the version of kws')
  // Inherited by every sub-command registered below: its own help after a usage error, one
  // default per option, and exit code 2 for usage errors (commander's default is 1).
  .configureHelp(helpConfiguration)
  .showHelpAfterError()
  .exitOverride();
registerCommands(program);

/** The sub-command named on the command line (for `kws <sub>: …` messages and its help). */
function invokedCommand(): Command {
  let command = program;
  for (const arg of process.argv.slice(2)) {
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) break;
    command = sub;
  }
  return command;
}

function nameOf(command: Command): string {
  return command === program ? 'kws' : `kws ${command.name()}`;
}

const unfinished = guardUnfinished(() => nameOf(invokedCommand()));

program.parseAsync(process.argv).finally(unfinished.done).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // commander has printed the message (and the command's help) already.
    const done = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
    process.exitCode = done ? EXIT_OK : EXIT_USAGE;
    return;
  }
  const command = invokedCommand();
  const name = nameOf(command);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${name}: ${message}\n`);
  process.exitCode = exitCodeFor(err);
  if (process.exitCode === EXIT_USAGE && command !== program) process.stderr.write(`(see \`${name} --help\`)\n`);
});
