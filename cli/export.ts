import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadCheckpoint } from '../model/checkpoint.js';
import type { SpectrumOp } from '../model/onnx/frontend-graph.js';
import { UsageError } from './exit-codes.js';
import { nonNegativeInt, oneOf } from './options.js';

interface ExportCliOptions {
  checkpoint?: string;
  from?: string;
  out: string;
  force: boolean;
  parityClips?: number;
  endToEnd: boolean;
  quantize?: 'int8';
  spectrum: SpectrumOp;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a trained checkpoint to ONNX and prove the exported graph matches tfjs; or derive the end-to-end (waveform input) / int8 variant of a kws ONNX file')
    .option('--checkpoint <path>', 'run folder (uses its best.ckpt) or a .ckpt file')
    .option('--from <model.onnx>', 'an exported kws model (instead of --checkpoint) to derive --end-to-end / --quantize from')
    .requiredOption('--out <model.onnx>', 'ONNX file to write')
    .option('--end-to-end', 'write the end-to-end graph: input waveform [batch, clip samples] at 16 kHz, the MFCC front-end inside, proven equal to Meyda + the classifier', false)
    .option('--quantize <int8>', 'store the classifier weights as int8 (per-channel, DequantizeLinear)', oneOf('--quantize', ['int8'] as const))
    .option('--spectrum <op>', 'end-to-end spectrum: matmul (windowed DFT matrix, faster in onnxruntime) or dft (the ONNX DFT op)', oneOf('--spectrum', ['matmul', 'dft'] as const), 'matmul')
    .option('--force', 'overwrite an existing output file', false)
    .option('--parity-clips <n>', 'clips compared between tfjs, onnxruntime and the reference (and generated waveforms for --end-to-end) [default: 16]', nonNegativeInt('--parity-clips'))
    .action(async (opts: ExportCliOptions) => {
      if ((opts.checkpoint === undefined) === (opts.from === undefined)) throw new UsageError('kws export needs exactly one of --checkpoint and --from');
      if (opts.from !== undefined && !opts.endToEnd && !opts.quantize) throw new UsageError('--from derives a variant: pass --end-to-end and/or --quantize int8');
      if (existsSync(opts.out) && !opts.force) throw new Error(`${opts.out} exists; pass --force to overwrite it`);
      const derive = { endToEnd: opts.endToEnd, quantize: opts.quantize, spectrum: opts.spectrum };
      let report: { ok: boolean; lines: string[] };
      if (opts.from !== undefined) {
        const { exportFromOnnx } = await import('../model/export-derived.js');
        report = await exportFromOnnx(opts.from, opts.out, { ...derive, parityClips: opts.parityClips ?? 16 });
      } else {
        const checkpointPath = opts.checkpoint!;
        const ckptPath = existsSync(checkpointPath) && statSync(checkpointPath).isDirectory() ? join(checkpointPath, 'best.ckpt') : checkpointPath;
        const checkpoint = await loadCheckpoint(ckptPath);
        const { exportCheckpointToOnnx } = await import('../model/export-job.js');
        report = await exportCheckpointToOnnx(checkpoint, opts.out, { parityClips: opts.parityClips ?? 16, derive });
      }
      for (const line of report.lines) process.stdout.write(`${line}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
