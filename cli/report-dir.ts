import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a command writes its report files without --report-dir: a fixed folder per command under
 * ~/.cache/kws/reports (beside the feature cache; $KWS_REPORT_DIR overrides the root), never the
 * caller's working directory. The command prints the folder it wrote.
 */
export function defaultReportDir(command: string): string {
  return join(process.env.KWS_REPORT_DIR ?? join(homedir(), '.cache', 'kws', 'reports'), command);
}
