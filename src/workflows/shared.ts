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
  currentBatch: string | null;
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
}

export const progressQuery = defineQuery<SyncProgress>('progress');

export interface BackwardSyncInput {
  /** Who started the run: `api`, `schedule`, `ui`. */
  trigger?: string;
  mutexWorkflowId?: string;
}

// --- The sync mutex -----------------------------------------------------------------------

/** One sync's request for the lock: its run is its identity, so a retried request is the same request. */
export interface LeaseRequest {
  requestId: string;
  workflowId: string;
  runId: string;
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
