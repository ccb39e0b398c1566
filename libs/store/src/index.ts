export {
  REQUEST_STATES,
  type AcceptedRequest,
  type BatchStatus,
  type Cancellation,
  type FinalRecord,
  type RequestLedger,
  type RequestRef,
  type RequestState,
  type RequestStatus,
  type Transition,
} from './ledger';
export type { IdempotencyClaim, IdempotencyStore } from './idempotency';
export type { DeadLetter, DeadLetterPage, DeadLetterStore } from './dead-letters';
export type { DecisionLog } from './decision-log';
export { transitionRank, FINAL_RANK } from './rank';
