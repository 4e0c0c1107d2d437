/**
 * The headline of a run's report (issue 18 item 10): the student against the training-free baselines at each
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
