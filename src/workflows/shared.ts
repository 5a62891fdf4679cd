/**
 * Names shared by workflows, activities, the worker and the client. Treat every name here
 * as API: renaming one breaks replay of running workflows and the filters ops saved.
 * Workflow code imports this file, so it imports nothing but @temporalio/workflow and types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { defineSearchAttributeKey } from '@temporalio/common';

type SearchAttributeKey<T extends 'KEYWORD' | 'INT'> = ReturnType<typeof defineSearchAttributeKey<T>>;

export const WORKFLOW_IDS = {
  direct: 'direct-sync',
  backward: 'backward-sync',
  mutex: 'sync-mutex',
} as const;

/** Search attributes registered at start (src/temporal/searchAttributes.ts) and set by every run. */
export const SEARCH_ATTRIBUTES = {
  SyncDirection: 'keyword',
  SyncOutcome: 'keyword',
  SyncItemsDone: 'int',
  SyncItemsFailed: 'int',
} as const;

export const SyncDirectionKey = { name: 'SyncDirection', type: 'KEYWORD' } as SearchAttributeKey<'KEYWORD'>;
export const SyncOutcomeKey = { name: 'SyncOutcome', type: 'KEYWORD' } as SearchAttributeKey<'KEYWORD'>;
export const SyncItemsDoneKey = { name: 'SyncItemsDone', type: 'INT' } as SearchAttributeKey<'INT'>;
export const SyncItemsFailedKey = { name: 'SyncItemsFailed', type: 'INT' } as SearchAttributeKey<'INT'>;

export type SyncOutcome = 'running' | 'completed' | 'completed_with_failures' | 'budget_spent' | 'failed';

export interface SyncProgress {
  phase: 'starting' | 'waiting_for_lock' | 'planning' | 'propagating' | 'finished';
  done: number;
  failed: number;
  /** Operations of this direction still queued when the current batch was taken. */
  pending: number;
  /** What the current batch does, e.g. "upload 40 files to Contacts/Acme" (null between batches). */
  currentBatch: string | null;
  /** The run chain's number of this run (1, then 2 after a continue-as-new, ...). */
  run: number;
}

/**
 * What a sync run hands to its continuation (continue-as-new between batches): small and
 * fixed-size, because the queue itself lives in Postgres.
 */
export interface SyncCursor {
  lease: Lease | null;
  /** When the chain took the lock (ms): the time budget counts from here. */
  startedAt: number;
  planned: number;
  done: number;
  failed: number;
  batches: number;
  run: number;
}

export interface SyncSummary {
  outcome: SyncOutcome;
  planned: number;
  done: number;
  failed: number;
  batches: number;
}

export interface DirectSyncInput {
  /** Who started the run: `api`, `schedule`, `ui`. Shown in the history; no secrets here. */
  trigger?: string;
  /** List every attachment of the synced records, not only those changed since the last run. */
  fullScan?: boolean;
  /** The sync mutex of this installation; both syncs take its lease before they write. */
  mutexWorkflowId?: string;
  /** Set by the run itself when it continues as new: where the chain stands. */
  cursor?: SyncCursor;
  /** How long the run's lease lasts without a renewal (default 60 s); the fault tests shorten it. */
  leaseMs?: number;
}

export const progressQuery = defineQuery<SyncProgress>('progress');

export interface BackwardSyncInput {
  /** Who started the run: `api`, `schedule`, `ui`. */
  trigger?: string;
  mutexWorkflowId?: string;
  cursor?: SyncCursor;
  leaseMs?: number;
}

// --- The sync mutex -----------------------------------------------------------------------

/**
 * One sync's request for the lock. Its identity is its run chain (the first run's id): a
 * retried request is the same request, and a run that continues as new keeps its lease.
 */
export interface LeaseRequest {
  requestId: string;
  workflowId: string;
  /** The first run of the requester's chain: the mutex checks and stops that chain's current run. */
  firstRunId: string;
  direction: 'direct' | 'backward';
  /** How long the lease lasts without a renewal. */
  leaseMs: number;
}

export interface Lease {
  requestId: string;
  /** The fencing token: grows with every grant; writers check it against Postgres. */
  token: number;
  expiresAt: number;
}

export interface MutexHolder extends LeaseRequest {
  token: number;
  grantedAt: number;
  expiresAt: number;
}

export interface MutexState {
  holder: MutexHolder | null;
  queue: LeaseRequest[];
  nextToken: number;
  /** Recently released requests: a late retry of one gets no phantom grant. */
  released: string[];
}

export const acquireUpdate = defineUpdate<Lease, [LeaseRequest]>('acquire');
export const releaseSignal = defineSignal<[{ requestId: string; token: number }]>('release');
export const renewSignal = defineSignal<[{ requestId: string; token: number }]>('renew');
export const mutexStateQuery = defineQuery<MutexState>('mutexState');
