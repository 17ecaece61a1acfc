/**
 * The status bar's words for the vector index (from `stats().stores.vector.ann`): which layers are served by the IVF
 * index, how many lists a query probes and the recall its last self-check measured; the rest by exact search (a layer
 * under the index's threshold has no index at all).
 */
import type { AnnLayerStatus } from '../../../../shared/types';

const VECTOR_LAYERS = ['m0', 'm1', 'm2'];

export interface IndexLabel {
  /** Short, for the bar. */
  text: string;
  /** Every figure, for the tooltip. */
  title: string;
}

export function vectorIndexLabel(ann: readonly AnnLayerStatus[] | undefined): IndexLabel {
  const indexed = [...(ann ?? [])].sort((a, b) => (a.layer < b.layer ? -1 : 1));
  const exact = VECTOR_LAYERS.filter((l) => !indexed.some((a) => a.layer === l));
  if (indexed.length === 0) {
    return { text: 'exact search', title: 'Every layer is small enough to search exactly: no IVF index yet.' };
  }
  const recall = (a: AnnLayerStatus) =>
    a.recall === null ? 'recall not checked yet' : `recall ${a.recall.toFixed(2)}`;
  const parts = indexed.map((a) => `${a.layer} IVF nprobe ${a.nprobe}/${a.nlist}, ${recall(a)}`);
  const text = [...parts, ...(exact.length > 0 ? [`${exact.join(', ')} exact`] : [])].join(' · ');
  const title = indexed
    .map(
      (a) =>
        `${a.layer}: ${a.rows.toLocaleString('en-US')} vectors in ${a.nlist} lists, ${a.nprobe} probed per query, ` +
        `${a.recall === null ? 'self-check pending' : `recall@10 ${a.recall.toFixed(3)} against exact search`}` +
        `${a.deltaRows > 0 ? `, ${a.deltaRows} rows not yet packed` : ''}${a.rebuilding ? ', rebuilding' : ''}`,
    )
    .concat(exact.length > 0 ? [`${exact.join(', ')}: exact search (under the index's threshold)`] : [])
    .join('\n');
  return { text, title };
}
