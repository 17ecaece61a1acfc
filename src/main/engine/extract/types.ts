/**
 * The extraction contract (M2): what an extractor receives (one episode's messages)
 * and what it returns (facts, entities, relationships), whether rules or an LLM
 * produced it. Plain data only, so it can cross threads and be validated.
 */

export interface ExtractMessage {
  id: string;
  speaker: string;
  /** The other participants of the session, for resolving "you" and "we". */
  others: string[];
  text: string;
  /** Epoch milliseconds: relative dates ("yesterday", "last Saturday") resolve against it. */
  timestamp: number;
}

export interface ExtractInput {
  episodeId: string;
  sessionId: string;
  messages: ExtractMessage[];
}

/** What an entity is: a named person, place or organisation; a work (book, game, film, song), a pet, an event or a
 *  product, read from the words around the name (extract/rules-kinds.ts); else a thing. */
export const ENTITY_KINDS = ['person', 'place', 'organization', 'work', 'pet', 'event', 'product', 'thing'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export interface ExtractedEntity {
  /** Display name as first seen ("Caroline", "Boston", "LGBTQ support group"). */
  name: string;
  kind: EntityKind;
  /** Other surface forms seen for it ("Mel" for "Melanie"). */
  aliases: string[];
}

export interface ExtractedFact {
  /** One plain statement with the speaker resolved and dates absolute:
   *  "Caroline went to a LGBTQ support group on 7 May 2023." */
  text: string;
  /** Resolved subject (a name, never "I"). */
  subject: string;
  /** Lemmatised verb phrase ("go to", "live in", "like"). */
  predicate: string;
  object: string;
  /** Epoch ms the fact holds from (the resolved date it mentions, else the message's time). */
  validFrom: number;
  /** True when the fact states an ongoing state (lives in, works at, likes) that a later fact can contradict;
   *  false for dated events, which accumulate. */
  stateful: boolean;
  /** Names of entities it mentions (matching ExtractedEntity.name). */
  entities: string[];
  /** Messages it came from (ids from the input). */
  sourceMessageIds: string[];
}

export interface ExtractedRelationship {
  /** Entity names. */
  from: string;
  to: string;
  /** Plain words: "friend of", "lives in", "works at", "mentioned with". */
  kind: string;
  sourceMessageIds: string[];
}

export interface Extraction {
  facts: ExtractedFact[];
  entities: ExtractedEntity[];
  relationships: ExtractedRelationship[];
  /** Which path produced it: 'rules', or 'llm' (with the model name), or 'rules-after-llm-failure'. */
  via: string;
  /** Set when the LLM path failed and the rules ran instead. */
  llmError?: string;
}

export interface Extractor {
  extract(input: ExtractInput): Promise<Extraction>;
}

/** A held fact as the update logic sees it. */
export interface HeldFact {
  id: string;
  subject: string;
  predicate: string;
  object: string;
  stateful: boolean;
  validFrom: number;
  validTo: number | null;
}

export type UpdateDecision =
  | { action: 'add'; reason: string }
  | { action: 'noop'; existingId: string; reason: string }
  | { action: 'update'; supersedes: string; reason: string };
