/**
 * Help text written once per option: its description, plus one `(default: …)` only when the
 * description does not already state the default and the default reads as a plain value (no JSON
 * arrays or objects, no true/false of a flag).
 */
import type { Help, Option } from 'commander';

function shownDefault(option: Option): string | null {
  if (option.defaultValueDescription !== undefined) return option.defaultValueDescription;
  const value: unknown = option.defaultValue;
  if (value === undefined || typeof value === 'boolean' || typeof value === 'object') return null;
  return String(value);
}

export function optionDescription(option: Option): string {
  const text = option.description;
  if (option.negate || /\bdefault\b/i.test(text)) return text;
  const value = shownDefault(option);
  return value === null ? text : `${text} (default: ${value})`;
}

export const helpConfiguration: Partial<Help> = {
  optionDescription,
  showGlobalOptions: false,
};
