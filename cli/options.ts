/**
 * Parsers for command-line option values that fail with a message naming the option. Numbers are
 * read strictly: decimal digits only for integers ('1e3', '0x10', ' 2' and '' are refused) and
 * plain decimal notation for fractions.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { MAX_HOLDOUT_TEST_PERCENT } from '../datasets/split.js';
import { maxJobs } from '../pipeline/batch/pool.js';

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function integer(name: string, value: string, what: string): number {
  const n = INTEGER.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be ${what} written in digits, got '${value}'`);
  return n;
}

export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = integer(name, value, 'a positive integer');
    if (n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    return n;
  };
}

export function nonNegativeInt(name: string): (value: string) => number {
  return (value) => integer(name, value, 'a non-negative integer');
}

/** Worker threads: 1 to maxJobs() (a few per core), so a typo cannot start a thousand threads. */
export function jobCount(name: string): (value: string) => number {
  return (value) => {
    const n = positiveInt(name)(value);
    const max = maxJobs();
    if (n > max) throw new InvalidArgumentError(`${name} must be at most ${max} (4 per core on this machine), got '${value}'`);
    return n;
  };
}

export function numberIn(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = DECIMAL.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got '${value}'`);
    return n;
  };
}

/** A `--threshold` value: one probability for every keyword and/or `LABEL=P` for single keywords. */
export interface ThresholdSetting {
  /** Every keyword without a threshold of its own here (the model's measured ones are then dropped). */
  all?: number;
  /** These keywords' thresholds, over the model's measured ones (or over `all`). */
  perKeyword: Record<string, number>;
}

/** How a `--threshold` value is written, for the help of every command that takes one. */
export const THRESHOLD_SYNTAX = "P for every keyword, LABEL=P for one (over the model's measured thresholds), or both, comma-separated: 0.95,off=0.9";

/** Parses `0.9`, `off=0.95` or `0.97,off=0.9,on=0.95`; labels are checked against the model later. */
export function thresholdSetting(name: string): (value: string) => ThresholdSetting {
  const probability = numberIn(name, 0, 1);
  return (value) => {
    const setting: ThresholdSetting = { perKeyword: {} };
    for (const part of value.split(',').map((s) => s.trim())) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        if (setting.all !== undefined) throw new InvalidArgumentError(`${name} takes one threshold for every keyword, got two in '${value}'`);
        setting.all = probability(part);
        continue;
      }
      const label = part.slice(0, eq).trim();
      if (label === '') throw new InvalidArgumentError(`${name}: '${part}' names no keyword (write LABEL=P, e.g. off=0.95)`);
      if (Object.hasOwn(setting.perKeyword, label)) throw new InvalidArgumentError(`${name} gives ${label} two thresholds in '${value}'`);
      setting.perKeyword[label] = numberIn(`${name} ${label}`, 0, 1)(part.slice(eq + 1).trim());
    }
    return setting;
  };
}

/** The detector config fields a `--threshold` setting sets (none when it was not given). */
export function thresholdConfig(setting: ThresholdSetting | undefined): { defaultThreshold?: number; thresholds?: Record<string, number> } {
  if (!setting) return {};
  return {
    ...(setting.all !== undefined ? { defaultThreshold: setting.all } : {}),
    ...(Object.keys(setting.perKeyword).length > 0 ? { thresholds: { ...setting.perKeyword } } : {}),
  };
}

export function intList(name: string): (value: string) => number[] {
  return (value) => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.some((s) => !INTEGER.test(s) || Number(s) <= 0)) {
      throw new InvalidArgumentError(`${name} must be a comma-separated list of positive integers, got '${value}'`);
    }
    return parts.map(Number);
  };
}

export function oneOf<T extends string>(name: string, allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`${name} must be one of ${allowed.join(', ')}, got '${value}'`);
    return value as T;
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--holdout` and `--holdout-test-percent` of the commands that read a model's held-out speakers. */
export function addHoldoutOptions(command: Command): Command {
  return command
    .option('--holdout', 'split the folder by the hold-out speaker re-split used by `kws train --holdout`', false)
    .option('--holdout-test-percent <n>', 'with --holdout: percent of the speakers held out for testing (default: the model\'s own, as trained with `kws train --holdout-test-percent`; a larger share is refused)', numberIn('--holdout-test-percent', 1, MAX_HOLDOUT_TEST_PERCENT));
}
