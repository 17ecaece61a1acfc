/** The ordered migration lists, one per file. Append only: never edit a released migration. */
import type { Role } from '../../workers/protocol';
import { core0001Journal } from './core-0001-journal';
import { core0002ItemData } from './core-0002-item-data';
import { core0003DecisionLinks } from './core-0003-decision-links';
import { core0004Audit } from './core-0004-audit';
import { core0005AuditEntities } from './core-0005-audit-entities';
import { core0006DerivedMessageEdges } from './core-0006-derived-message-edges';
import { graph0001NodesEdges } from './graph-0001-nodes-edges';
import { graph0002DerivedMessageEdges } from './graph-0002-derived-message-edges';
import { keyword0001Fts5 } from './keyword-0001-fts5';
import { keyword0002SecureDelete } from './keyword-0002-secure-delete';
import { keyword0003PrefixIndex } from './keyword-0003-prefix-index';
import type { Migration } from './types';
import { vector0001Vec0 } from './vector-0001-vec0';
import { vector0002Session } from './vector-0002-session';
import { vector0003Ivf } from './vector-0003-ivf';

export const MIGRATIONS: Record<Exclude<Role, 'reader' | 'embed'>, readonly Migration[]> = {
  core: [
    core0001Journal,
    core0002ItemData,
    core0003DecisionLinks,
    core0004Audit,
    core0005AuditEntities,
    core0006DerivedMessageEdges,
  ],
  vector: [vector0001Vec0, vector0002Session, vector0003Ivf],
  keyword: [keyword0001Fts5, keyword0002SecureDelete, keyword0003PrefixIndex],
  graph: [graph0001NodesEdges, graph0002DerivedMessageEdges],
};

export const FILES: Record<Exclude<Role, 'reader' | 'embed'>, string> = {
  core: 'core.db',
  vector: 'vector.db',
  keyword: 'keyword.db',
  graph: 'graph.db',
};

export const PAGE_SIZE: Record<Exclude<Role, 'reader' | 'embed'>, number> = {
  core: 4096,
  vector: 16384,
  keyword: 8192,
  graph: 8192,
};
