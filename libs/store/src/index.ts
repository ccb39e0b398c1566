export {
  REQUEST_STATES,
  byNewestStart,
  type AcceptedRequest,
  type BatchSeal,
  type BatchStatus,
  type Cancellation,
  type FinalRecord,
  type OutcomeRef,
  type OutcomeStanding,
  type RecentBatch,
  type RequestLedger,
  type RequestRef,
  type RequestState,
  type RequestStatus,
  type ResultPage,
  type Transition,
} from './ledger';
export { BATCH_COMPLETED, batchCompletedId, batchCompletedJob } from './batch-completed';
export type {
  AcceptGuard,
  AcceptOutcome,
  BatchGuard,
  CompletedEntry,
  IdempotencyStore,
  StreamClaim,
  StreamGuard,
  StreamPosition,
  StreamProgress,
} from './idempotency';
export type { DeadLetter, DeadLetterPage, DeadLetterStore } from './dead-letters';
export type { DecisionLog } from './decision-log';
export { byAge, type ParcRecord, type ParcRegistry } from './parc-registry';
export { isStaleOutcome, transitionRank, FINAL_RANK } from './rank';
export {
  BREAKER_STATES,
  CALL_OUTCOMES,
  DEFAULT_GATE_SETTINGS,
  DEFAULT_PERIOD_MS,
  WAIT_REASONS,
  type BreakerState,
  type CallOutcome,
  type CallReport,
  type DestinationGate,
  type DestinationState,
  type FlowLimits,
  type GateSettings,
  type OutcomeTally,
  type PassDecision,
  type PassRequest,
  type Restrictions,
  type WaitReason,
} from './destinations';
