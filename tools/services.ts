/**
 * Every Parc service, in pipeline order, with its config spec: what the workspace tools
 * (start-all, config docs) iterate over. `tools/docs/config-docs.spec.ts` fails when an app
 * under apps/ is missing here.
 */
import type { ServiceConfigSpec } from '@parc/service-kit';
import * as parcCaller from '../apps/parc-caller/src/config';
import * as parcIncoming from '../apps/parc-incoming/src/config';
import * as parcOutgoing from '../apps/parc-outgoing/src/config';
import * as proxy from '../apps/proxy/src/config';
import * as proxyStore from '../apps/proxy-store/src/config';
import * as responder from '../apps/responder/src/config';
import * as scheduler from '../apps/scheduler/src/config';

export interface ServiceEntry {
  /** The service's name, which is also its directory under apps/. */
  readonly SERVICE: string;
  readonly configSpec: ServiceConfigSpec;
}

export const SERVICES: readonly ServiceEntry[] = [
  proxy,
  proxyStore,
  parcIncoming,
  parcCaller,
  parcOutgoing,
  responder,
  scheduler,
];
