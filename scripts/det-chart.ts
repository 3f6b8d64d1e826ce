/**
 * DET curves of several `kws evaluate-stream` reports in one page, one chart per group:
 *
 *   node dist/scripts/det-chart.js --out docs/smoothing-det.html --title "…" \
 *     --group "Validation speakers" "300 ms=runs/a/stream-report.json" "700 ms=runs/b/stream-report.json" \
 *     --group "Held-out speakers" "300 ms=…" "700 ms=…"
 */
import { readFile } from 'node:fs/promises';
import { detCurve, type DetPoint } from '../evaluation/detection-metrics.js';
import { writeFileAtomic } from '../util/atomic.js';
import { escapeHtml, htmlPage, lineChartSvg } from '../util/charts.js';

interface Group {
  heading: string;
  series: { name: string; report: string }[];
}

function parse(argv: readonly string[]): { out: string; title: string; groups: Group[] } {
  let out = '';
  let title = 'DET curves';
  const groups: Group[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--out') out = argv[++i] ?? '';
    else if (arg === '--title') title = argv[++i] ?? title;
    else if (arg === '--group') groups.push({ heading: argv[++i] ?? '', series: [] });
    else {
      const eq = arg.indexOf('=');
      if (eq <= 0 || groups.length === 0) throw new Error(`expected NAME=REPORT.json after a --group, got ${JSON.stringify(arg)}`);
      groups.at(-1)!.series.push({ name: arg.slice(0, eq), report: arg.slice(eq + 1) });
    }
  }
  if (!out || groups.length === 0 || groups.some((g) => g.series.length === 0)) {
    throw new Error('usage: det-chart --out page.html [--title T] --group HEADING NAME=report.json ... [--group ...]');
  }
  return { out, title, groups };
}

async function main(): Promise<void> {
  const { out, title, groups } = parse(process.argv.slice(2));
  const axes = { x: 'false accepts per hour', y: 'false rejection rate', logX: true, logY: true };
  const charts: string[] = [];
  for (const group of groups) {
    const series = await Promise.all(group.series.map(async ({ name, report }) => {
      const { sweep } = JSON.parse(await readFile(report, 'utf8')) as { sweep: DetPoint[] };
      if (!Array.isArray(sweep)) throw new Error(`${report}: no threshold sweep (not a kws evaluate-stream report)`);
      // Points at 0 false accepts have no place on the log axis.
      return { name, points: detCurve(sweep).filter(([fa]) => fa > 0) };
    }));
    charts.push(`<h2>${escapeHtml(group.heading)}</h2>${lineChartSvg(series, axes)}`);
  }
  await writeFileAtomic(out, htmlPage(title, charts.join('\n')));
  process.stdout.write(`${out}: ${groups.map((g) => `${g.heading} (${g.series.length})`).join(', ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
