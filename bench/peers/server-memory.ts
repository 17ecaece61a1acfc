/**
 * The MCP reference memory server (@modelcontextprotocol/server-memory): a knowledge graph of entities with
 * observations and relations, kept as one JSONL file. Driven through its KnowledgeGraphManager directly, in this
 * process (the MCP stdio layer would add a JSON-RPC hop per call and put the memory in another process). Each item is
 * an entity (name = item id, type = turn) with the speaker-prefixed text as its one observation. Every
 * createEntities call reads and parses the whole file and writes it back whole. It has no vectors and no ranking:
 * its search is a case-insensitive substring match of the whole query against names, types and observations
 * (the first k matches are taken).
 */
import { join } from 'node:path';
import { dirBytes } from './disk';
import type { PeerSystem } from './types';

interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}
interface GraphManager {
  createEntities(entities: Entity[]): Promise<Entity[]>;
  searchNodes(query: string): Promise<{ entities: Entity[] }>;
}
type ManagerModule = { KnowledgeGraphManager: new (path: string) => GraphManager };

// The package ships JavaScript without type declarations; importing it also starts its stdio server on this
// process's stdin, which the benchmark's parent leaves closed, so the server sees end of input and idles.
const MODULE = '@modelcontextprotocol/server-memory/dist/index.js';

export function createServerMemory(): PeerSystem {
  let manager: GraphManager;
  let dir = '';

  return {
    name: 'server-memory',
    notes: [
      '@modelcontextprotocol/server-memory 2026.8.31, KnowledgeGraphManager called in process; one entity per item (type turn, the text as its observation); createEntities per 500-item batch (each rewrites the JSONL file whole)',
      'no vectors; keyword = searchNodes(question): a substring match of the whole question, unranked, first k taken',
    ],
    async open(d) {
      dir = d;
      const { KnowledgeGraphManager } = (await import(MODULE)) as ManagerModule;
      manager = new KnowledgeGraphManager(join(dir, 'memory.jsonl'));
    },
    async ingest(b) {
      await manager.createEntities(
        b.ids.map((id, i) => ({ name: id, entityType: 'turn', observations: [b.texts[i] as string] })),
      );
    },
    async finish() {
      // Every createEntities call has written the file.
    },
    vectorSearch: null,
    keywordSearch: async (q, k) => (await manager.searchNodes(q.text)).entities.slice(0, k).map((e) => e.name),
    hybridSearch: null,
    async close() {
      // Nothing open between calls: each one reads the file.
    },
    diskBytes: () => dirBytes(dir),
  };
}
