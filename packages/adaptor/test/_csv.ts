// Minimal CSV reader for the upstream adaptor vectors (no quoted fields occur in them).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../test-utils/index.js';

/**
 * Where the upstream adaptor vectors live (outside the repository: they carry no licence).
 * `ADAPTOR_UPSTREAM_DIR` overrides it (point it at a missing directory to check the skip path).
 */
export const upstreamDir =
  process.env.ADAPTOR_UPSTREAM_DIR ?? join(repoRoot, '..', 'shared', 'vectors', 'adaptor');
export const upstreamPresent = existsSync(join(upstreamDir, 'presig_vectors.csv'));

/** Rows of `file` as objects keyed by header, skipping the comment row (empty index). */
export function readCsv(file: string): Record<string, string>[] {
  const lines = readFileSync(join(upstreamDir, file), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const header = (lines[0] ?? '').split(',');
  return lines.slice(1).flatMap((line) => {
    const cells = line.split(',');
    if (cells[0] === '') return [];
    const row: Record<string, string> = {};
    header.forEach((h, i) => {
      row[h] = i === header.length - 1 ? cells.slice(i).join(',') : (cells[i] ?? '');
    });
    return [row];
  });
}
