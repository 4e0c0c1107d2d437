/**
 * The headline of a run's report: the student against the training-free baselines at each
 * evaluated step count, read from the run's summary (`<method>/steps<n>/<metric>`).
 *
 * - A distillation run (`sameNoiseMean` rows): the student's deterministic chain — `student/steps1/…` at one step
 *   (one jump; both samplers coincide), `student-det/steps<n>/…` from two steps on — beside `ddim/…`,
 *   `dpmpp2m/…` and any other baseline evaluated on the exact teacher. The fresh-noise LCM sampler's
 *   same-noise error is left out: its sample is not the same endpoint, so the number is not comparable.
 * - An image run (SPLAD, image-eval; `fid` rows): every method's FID, with the data floor (`floor/fid`) as a note.
 *
 * Pure: no store, no rendering.
 */
import type { Figure } from '../viz/types.js';
import { qualityVsStepsFigure, type QualityRow } from '../viz/quality.js';

export interface HeadlineRow {
  /** The summary key prefix (`ddim`, `student-det`), or `student` for the student's combined chain. */
  method: string;
  label: string;
  /** One value per {@link Headline.steps} entry; null where the run has none. */
  values: (number | null)[];
}

export interface Headline {
  /** The summary metric (`sameNoiseMean`, `fid`). */
  metric: string;
  /** The metric as the axis and table say it, with the direction that is better. */
  metricLabel: string;
  steps: number[];
  rows: HeadlineRow[];
  /** Sentences under the table: what the rows are. */
  notes: string[];
}

const KEY = /^(.+)\/steps(\d+)\/([^/]+)$/;

const BASELINE_NAMES: Record<string, string> = { ddim: 'DDIM', euler: 'Euler', heun: 'Heun', dpmpp2m: 'DPM-Solver++(2M)', reference: 'RK4 reference' };
/** Baselines in this order first (the ones the goals name), then the rest as found. */
const BASELINE_ORDER = ['ddim', 'dpmpp2m'];

function entries(summary: Record<string, unknown>, metric: string): { method: string; steps: number; value: number }[] {
  const out: { method: string; steps: number; value: number }[] = [];
  for (const [k, v] of Object.entries(summary)) {
    const m = KEY.exec(k);
    if (!m || m[3] !== metric || typeof v !== 'number' || !Number.isFinite(v)) continue;
    out.push({ method: m[1], steps: Number(m[2]), value: v });
  }
  return out;
}

function build(found: { method: string; steps: number; value: number }[], rowsOf: (byMethod: Map<string, Map<number, number>>) => { method: string; label: string; at: Map<number, number> }[]): { steps: number[]; rows: HeadlineRow[] } {
  const byMethod = new Map<string, Map<number, number>>();
  for (const e of found) {
    const m = byMethod.get(e.method) ?? new Map<number, number>();
    m.set(e.steps, e.value);
    byMethod.set(e.method, m);
  }
  const rows = rowsOf(byMethod).filter((r) => r.at.size > 0);
  const steps = [...new Set(rows.flatMap((r) => [...r.at.keys()]))].sort((a, b) => a - b);
  return { steps, rows: rows.map((r) => ({ method: r.method, label: r.label, values: steps.map((s) => r.at.get(s) ?? null) })) };
}

/** The headline of a run's summary, or null when it holds no per-step evaluation rows. */
export function headlineOf(summary: Record<string, unknown>, opts: { student?: string } = {}): Headline | null {
  const student = opts.student ?? 'student';
  const same = entries(summary, 'sameNoiseMean');
  if (same.some((e) => e.method === 'student' || e.method === 'student-det')) {
    const { steps, rows } = build(same, (by) => {
      const chain = new Map<number, number>();
      const one = by.get('student')?.get(1);
      if (one !== undefined) chain.set(1, one);
      for (const [s, v] of by.get('student-det') ?? []) if (s > 1) chain.set(s, v);
      const baselines = [...by.keys()].filter((m) => m !== 'student' && m !== 'student-det');
      baselines.sort((a, b) => (BASELINE_ORDER.indexOf(a) + 1 || 99) - (BASELINE_ORDER.indexOf(b) + 1 || 99));
      return [
        { method: 'student', label: `${student}, deterministic chain`, at: chain },
        ...baselines.map((m) => ({ method: m, label: `${BASELINE_NAMES[m] ?? m} on the exact teacher`, at: by.get(m)! })),
      ];
    });
    return {
      metric: 'sameNoiseMean',
      metricLabel: 'same-noise error ↓',
      steps,
      rows,
      notes: [
        `${student}, deterministic chain: n jumps, each re-noised with the noise the student implies (1 step: the one jump from the noise); summary keys student/steps1/sameNoiseMean and student-det/steps<n>/sameNoiseMean.`,
        '… on the exact teacher: a training-free solver of the exact PF-ODE from the same initial noise.',
        'same-noise error: RMS distance to where the exact PF-ODE takes the same initial noise (mean over samples); lower is better.',
      ],
    };
  }
  const fid = entries(summary, 'fid');
  if (fid.length) {
    const { steps, rows } = build(fid, (by) => {
      const methods = [...by.keys()];
      // The student first (SPLAD: student/…; image-eval: splam, lcm, …), the teacher's solvers after.
      const rank = (m: string) => (/^(student|splam|lcm)/i.test(m) ? 0 : 1);
      methods.sort((a, b) => rank(a) - rank(b));
      return methods.map((m) => ({ method: m, label: m, at: by.get(m)! }));
    });
    const floor = summary['floor/fid'];
    return {
      metric: 'fid',
      metricLabel: 'FID ↓',
      steps,
      rows,
      notes: [
        'FID of the decoded samples against the test set (evaluation classifier features); lower is better. FID is biased upwards at small sample counts: compare rows of one run.',
        ...(typeof floor === 'number' && Number.isFinite(floor) ? [`data floor (training images judged as samples, same n): FID ${floor.toPrecision(4)}.`] : []),
      ],
    };
  }
  return null;
}

/** The headline as a figure: the metric against sampling steps, one line per row (log axes where they span). */
export function headlineFigure(h: Headline, title: string): Figure {
  const rows: QualityRow[] = h.rows.flatMap((r) => r.values.flatMap((v, i) => (v === null ? [] : [{ method: r.label, steps: h.steps[i], value: v }])));
  const values = rows.map((r) => r.value);
  const logY = values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) > 10;
  const fig = qualityVsStepsFigure(rows, { metric: h.metricLabel, log: logY, stepsTitle: 'sampling steps', title });
  if (h.steps.length > 1 && h.steps[0] > 0 && h.steps[h.steps.length - 1] / h.steps[0] >= 4 && fig.layout.xaxis) fig.layout.xaxis = { ...fig.layout.xaxis, type: 'log' };
  fig.layout.meta = { splamFigure: 'headline' };
  return fig;
}

/**
 * The headline of an experiment: each run's own headline rows, the student's named by the run (`<run>: SPLAM
 * student, deterministic chain`), a baseline listed once where every run measured the same numbers (the exact
 * teacher on the same evaluation noise) and per run otherwise. Runs whose headline metric differs from the
 * first run's are left out. Null when no run has one.
 */
export function experimentHeadlineOf(runs: { id: string; name: string; summary: Record<string, unknown>; student?: string }[]): Headline | null {
  const each = runs.map((r) => ({ r, h: headlineOf(r.summary, { student: r.student }) })).filter((x): x is { r: (typeof runs)[number]; h: Headline } => x.h !== null);
  if (!each.length) return null;
  const metric = each[0].h.metric;
  const kept = each.filter((x) => x.h.metric === metric);
  const steps = [...new Set(kept.flatMap((x) => x.h.steps))].sort((a, b) => a - b);
  const names = kept.map((x) => x.r.name || x.r.id);
  const runLabel = (i: number) => (names.filter((n) => n === names[i]).length > 1 ? `${names[i]} (${kept[i].r.id})` : names[i]);
  const studentish = (m: string) => m === 'student' || /^(student|splam|lcm)/i.test(m);
  const rows: HeadlineRow[] = [];
  const baselines: HeadlineRow[] = [];
  kept.forEach(({ h }, i) => {
    for (const row of h.rows) {
      const values = steps.map((s) => (h.steps.includes(s) ? row.values[h.steps.indexOf(s)] : null));
      if (studentish(row.method) || kept.length === 1) {
        rows.push({ method: row.method, label: kept.length === 1 ? row.label : `${runLabel(i)}: ${row.label}`, values });
        continue;
      }
      const same = baselines.find((b) => b.method === row.method && b.values.every((v, j) => v === values[j]));
      if (!same) baselines.push({ method: row.method, label: baselines.some((b) => b.method === row.method) || kept.some((x, j) => j !== i && x.h.rows.some((o) => o.method === row.method && JSON.stringify(o.values) !== JSON.stringify(row.values))) ? `${runLabel(i)}: ${row.label}` : row.label, values });
    }
  });
  return { metric, metricLabel: kept[0].h.metricLabel, steps, rows: [...rows, ...baselines], notes: kept[0].h.notes };
}
