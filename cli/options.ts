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
