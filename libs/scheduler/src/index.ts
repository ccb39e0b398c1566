export { createControlLoop, type ControlLoop, type ControlLoopOptions, type DecisionEntry } from './control-loop';
export { callerConcurrencyFor, dryRunDriver, type ClusterState, type ParcState, type ScalingDriver } from './driver';
export { readSignals, toObservation, type ParcSignals, type PipelineSignals, type Readings } from './observe';
export { pipelineSignals, type PipelineSignalSources } from './signals/pipeline';
export {
  DEFAULT_RESTART_BACKOFF,
  restartDelayMs,
  startLocalProcessDriver,
  type InstanceCommand,
  type LocalProcessDriver,
  type LocalProcessOptions,
  type RestartBackoff,
} from './drivers/local-processes';
export { createCpuMeter, type CpuMeter, type CpuMeterOptions, type MachineTimes } from './drivers/cpu-meter';
export { queueBacklogSignal } from './signals/queue-backlog';
export { delayedSetSignal } from './signals/delayed-set';
export type { DelayedReading, QueueReading, Signal } from './signals/signal';
export { createKubernetesDriver, kubeConfigFor, parcTemplateFromYaml, type KubernetesDriverOptions } from './drivers/kubernetes/driver';
export { parcObjects, PARC_ID_LABEL, type ParcTemplate } from './drivers/kubernetes/parc-objects';
