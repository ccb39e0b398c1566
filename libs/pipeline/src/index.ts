/**
 * The pipeline stages, one worker each: `start<Stage>(options) → Promise<Worker>`. Each worker
 * consumes through the queue port, batches every hop (one publish per destination and one ledger
 * call per batch), acknowledges a batch only after its output is durable, and bounds its
 * in-flight work. Apps wire them to real adapters; tests to the memory backend.
 */
export type { Worker } from './common/worker';
export type { StageOptions } from './common/stage-options';
export type { HttpCallPort, OutboundCall } from './common/http';
export { startProxyStore, type ProxyStoreOptions } from './proxy-store';
export { startParcIncoming, type ParcIncomingOptions } from './parc-incoming';
export { startParcCaller, type ParcCallerOptions } from './parc-caller';
export { DestinationControl, UNLIMITED_POLICY, callOutcome, stricter, type DestinationControlOptions, type DestinationPolicy } from './caller/destinations';
export { startParcOutgoing, type ParcOutgoingOptions } from './parc-outgoing';
export { verdictFor, type Verdict } from './outgoing/verdict';
export { startResponder, DEFAULT_CALLBACK_RETRY_POLICY, type ResponderOptions } from './responder';
export {
  encodeResponse,
  decodeResponse,
  parseCallbackJob,
  type CallbackJob,
  type ResponseHeader,
  type ResponseMessage,
} from './messages';
