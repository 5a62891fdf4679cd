import { ApplicationFailure } from '@temporalio/activity';
import { CloudError } from '../cloud/port.js';
import { ErpError } from '../erp/port.js';

/** Error types a run cannot get past by retrying: the workflow stops and says why. */
export const NON_RETRYABLE = ['ConfigurationError', 'CloudAuthFailed', 'CloudForbidden', 'CloudQuotaExceeded'] as const;

export function configurationError(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ConfigurationError', message, nonRetryable: true });
}

/**
 * The one place that turns cloud / ERP failures into Temporal failures: bad credentials
 * stop at once, a Retry-After is honoured, everything else backs off.
 */
export function toActivityFailure(err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof CloudError) {
    if (err.code === 'auth_failed') return ApplicationFailure.create({ type: 'CloudAuthFailed', message: err.message, nonRetryable: true });
    if (err.code === 'forbidden') return ApplicationFailure.create({ type: 'CloudForbidden', message: err.message, nonRetryable: true });
    // A full quota does not empty itself: stop the run, say so, no retry storm.
    if (err.code === 'insufficient_storage') return ApplicationFailure.create({ type: 'CloudQuotaExceeded', message: err.message, nonRetryable: true });
    return ApplicationFailure.create({ type: `Cloud_${err.code}`, message: err.message, nextRetryDelay: err.retryAfterMs });
  }
  if (err instanceof ErpError) return ApplicationFailure.create({ type: `Erp_${err.code}`, message: err.message });
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The cloud asks us to slow down (429) or is down for maintenance (503): going on with
 * the rest of the batch would only hammer it. The batch stops and its activity is retried
 * after the server's Retry-After (or the retry policy's back-off when it gives none).
 */
export function isThrottled(err: unknown): boolean {
  return err instanceof CloudError && err.code === 'unavailable' && (err.status === 429 || err.status === 503);
}

/** Whether an operation that failed this way may succeed later without an admin. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof CloudError) return !err.permanent && err.code !== 'insufficient_storage';
  if (err instanceof ErpError) return err.code === 'unavailable';
  return true;
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
