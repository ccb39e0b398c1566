import { describeGateConformance } from '@parc/testing';
import { MemoryDestinationGate } from './memory-destination-gate';

describeGateConformance({
  name: 'memory',
  // A gate of its own per test: nothing to clean up.
  create: ({ settings, now, random }) => ({ gate: new MemoryDestinationGate({ settings, now, random }), close: () => Promise.resolve() }),
});
