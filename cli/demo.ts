import type { Command } from 'commander';
import { startModelDemo } from '../pipeline/demo-server.js';
import { nonNegativeInt, THRESHOLD_SYNTAX, thresholdConfig, thresholdSetting, type ThresholdSetting } from './options.js';

interface DemoCliOptions {
  port: number;
  host: string;
  model?: string;
  threshold?: ThresholdSetting;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('serve the live keyword-spotting web page (microphone; server or in-browser inference)')
    .option('--port <n>', 'port to listen on (0 = any free port)', nonNegativeInt('--port'), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx)')
    .option('--threshold <p>', `firing threshold for both inference modes: ${THRESHOLD_SYNTAX} (default: the model's measured thresholds)`, thresholdSetting('--threshold'))
    .action(async (opts: DemoCliOptions) => {
      if (opts.port > 65535) throw new RangeError(`--port must be at most 65535, got ${opts.port}`);
      const demo = await startModelDemo({
        modelPath: opts.model,
        port: opts.port,
        host: opts.host,
        ...(opts.threshold ? { detectorConfig: thresholdConfig(opts.threshold) } : {}),
        log: (line) => console.error(line),
      });
      console.log(`kws demo: model ${demo.recognizer.modelPath} (${demo.recognizer.labels.length} labels)`);
      console.log(`kws demo: open ${demo.server.url}  (Ctrl+C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void demo.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
