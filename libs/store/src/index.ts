export {
  REQUEST_STATES,
  type AcceptedRequest,
  type BatchStatus,
  type Cancellation,
  type FinalRecord,
  type OutcomeRef,
  type OutcomeStanding,
  type RequestLedger,
  type RequestRef,
  type RequestState,
  type RequestStatus,
  type Transition,
} from './ledger';
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
