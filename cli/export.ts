import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadCheckpoint } from '../model/checkpoint.js';
import { nonNegativeInt } from './options.js';

interface ExportCliOptions {
  checkpoint: string;
  out: string;
  force: boolean;
  parityClips: number;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a trained checkpoint to ONNX and prove the exported graph matches tfjs')
    .requiredOption('--checkpoint <path>', 'run folder (uses its best.ckpt) or a .ckpt file')
    .requiredOption('--out <model.onnx>', 'ONNX file to write')
    .option('--force', 'overwrite an existing output file', false)
    .option('--parity-clips <n>', 'clips compared between tfjs, onnxruntime and the reference', nonNegativeInt('--parity-clips'), 16)
    .action(async (opts: ExportCliOptions) => {
      const ckptPath = existsSync(opts.checkpoint) && statSync(opts.checkpoint).isDirectory() ? join(opts.checkpoint, 'best.ckpt') : opts.checkpoint;
      if (existsSync(opts.out) && !opts.force) throw new Error(`${opts.out} exists; pass --force to overwrite it`);
      const checkpoint = await loadCheckpoint(ckptPath);
      const { exportCheckpointToOnnx } = await import('../model/export-job.js');
      const report = await exportCheckpointToOnnx(checkpoint, opts.out, { parityClips: opts.parityClips });
      for (const line of report.lines) process.stdout.write(`${line}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
