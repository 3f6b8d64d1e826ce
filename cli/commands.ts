import type { Command } from 'commander';
import { registerCalibrateCommand } from './calibrate.js';
import { registerCustomCommand } from './custom.js';
import { registerDatasetInfoCommand } from './dataset-info.js';
import { registerDemoCommand } from './demo.js';
import { registerEvaluateCommand } from './evaluate.js';
import { registerEvaluateStreamCommand } from './evaluate-stream.js';
import { registerExportCommand } from './export.js';
import { registerListenCommand } from './listen.js';
import { registerMineNegativesCommand } from './mine-negatives.js';
import { registerSynthCommand } from './synth.js';
import { registerTrainCommand } from './train.js';
import { registerTranscribeCommand } from './transcribe.js';
import { registerWorkerCommand } from './worker.js';

/** Each sub-command lives in its own module and adds itself here. */
export function registerCommands(program: Command): void {
  registerSynthCommand(program);
  registerDatasetInfoCommand(program);
  registerTrainCommand(program);
  registerCustomCommand(program);
  registerExportCommand(program);
  registerCalibrateCommand(program);
  registerTranscribeCommand(program);
  registerWorkerCommand(program);
  registerEvaluateCommand(program);
  registerListenCommand(program);
  registerEvaluateStreamCommand(program);
  registerMineNegativesCommand(program);
  registerDemoCommand(program);
}
