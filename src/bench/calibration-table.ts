/**
 * Builds a calibration table (src/engine/calibration/<id>.json) from per-dataset impostor thresholds: at each FAR the
 * stricter (higher) threshold of the datasets is chosen.
 */
import {
  FAR_LEVELS,
  parseCalibrationTable,
  type CalibrationDataset,
  type CalibrationTable,
  type FarThresholds,
} from '../engine/calibration.js';

export interface TableInput {
  id: string;
  version: number;
  provisional: boolean;
  model: string;
  pipeline: string;
  command: string;
  datasets: CalibrationDataset[];
  notes?: string[];
  createdAt?: string;
}

/** Chooses the stricter threshold at each FAR; if two levels tie, the stricter level is lifted by 1e-6 (noted). */
export function chooseThresholds(datasets: CalibrationDataset[]): {
  thresholds: FarThresholds;
  lifted: string[];
} {
  const thresholds = {} as FarThresholds;
  const lifted: string[] = [];
  let prev = -Infinity;
  for (const far of FAR_LEVELS) {
    let t = Math.max(...datasets.map((d) => d.thresholds[far]));
    if (t <= prev) {
      t = (Math.round(prev * 1e6) + 1) / 1e6;
      lifted.push(far);
    }
    thresholds[far] = t;
    prev = t;
  }
  return { thresholds, lifted };
}

export function buildCalibrationTable(input: TableInput): CalibrationTable {
  const { thresholds, lifted } = chooseThresholds(input.datasets);
  const notes = [...(input.notes ?? [])];
  if (lifted.length)
    notes.push(`Thresholds at FAR ${lifted.join(', ')} tied with the looser level and were lifted by 1e-6.`);
  const table: CalibrationTable = {
    id: input.id,
    version: input.version,
    provisional: input.provisional,
    model: input.model,
    pipeline: input.pipeline,
    createdAt: input.createdAt ?? new Date().toISOString(),
    command: input.command,
    rule: 'At each FAR the stricter (higher) of the per-dataset similarity thresholds; a dataset threshold at FAR f is the smallest multiple of 1e-6 such that the share of its impostor pairs with similarity >= threshold is <= f.',
    thresholds,
    datasets: input.datasets,
    ...(notes.length ? { notes } : {}),
  };
  return parseCalibrationTable(table);
}
