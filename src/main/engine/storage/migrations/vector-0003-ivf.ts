import type { Migration } from './types';

/**
 * The IVF index beside the vectors (storage/ann): per layer one active generation of centroids, its posting lists
 * packed as cells of up to 128 unit vectors, a delta of rows written since the cells were packed, and tombstones
 * masking cell copies that were deleted or replaced. A generation being built by the trainer sits beside the active
 * one until the swap. The vectors in vec_items stay the source of truth: every table here can be dropped and rebuilt.
 * Written to be re-runnable (IF NOT EXISTS), so a file rolled back to an older version by hand still opens.
 */
export const vector0003Ivf: Migration = {
  version: 3,
  name: 'vector-0003-ivf',
  up(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ann_gens (
        gen INTEGER PRIMARY KEY,
        layer TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('building', 'active', 'retired')),
        nlist INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        centroids BLOB NOT NULL,
        trained_rows INTEGER NOT NULL,
        train_ms INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        nprobe INTEGER NOT NULL,
        recall REAL,
        checked_at INTEGER,
        checked_rows INTEGER
      );
      CREATE UNIQUE INDEX IF NOT EXISTS ann_gens_active ON ann_gens(layer) WHERE state = 'active';
      CREATE UNIQUE INDEX IF NOT EXISTS ann_gens_building ON ann_gens(layer) WHERE state = 'building';
      CREATE TABLE IF NOT EXISTS ann_cells (
        id INTEGER PRIMARY KEY,
        gen INTEGER NOT NULL,
        list INTEGER NOT NULL,
        n INTEGER NOT NULL,
        rowids BLOB NOT NULL,
        vectors BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ann_cells_list ON ann_cells(gen, list);
      CREATE TABLE IF NOT EXISTS ann_delta (
        gen INTEGER NOT NULL,
        rowid INTEGER NOT NULL,
        list INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (gen, rowid)
      );
      CREATE INDEX IF NOT EXISTS ann_delta_list ON ann_delta(gen, list);
      CREATE TABLE IF NOT EXISTS ann_tombs (
        gen INTEGER NOT NULL,
        list INTEGER NOT NULL,
        rowid INTEGER NOT NULL,
        PRIMARY KEY (gen, list, rowid)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS vec_ids_session ON vec_ids(session_id, layer);
      INSERT OR REPLACE INTO store_meta VALUES ('ann_format', '1');
    `);
  },
};
