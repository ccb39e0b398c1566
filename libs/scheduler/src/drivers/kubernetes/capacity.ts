// nx-ignore-next-line -- only the scheduler's build lists this package (apps/scheduler/project.json), see client.ts
import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Resources } from '@parc/scaling';
import { cpuMillis, memoryMiB } from './quantity';

const NONE: Resources = { cpuMillis: 0, memoryMiB: 0 };

const plus = (a: Resources, b: Resources): Resources => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryMiB: a.memoryMiB + b.memoryMiB });
const atLeast = (a: Resources, b: Resources): Resources => ({ cpuMillis: Math.max(a.cpuMillis, b.cpuMillis), memoryMiB: Math.max(a.memoryMiB, b.memoryMiB) });

function containerRequests(container: V1Container): Resources {
  const requests = container.resources?.requests ?? {};
  return { cpuMillis: requests['cpu'] ? cpuMillis(requests['cpu']) : 0, memoryMiB: requests['memory'] ? memoryMiB(requests['memory']) : 0 };
}

/**
 * What a pod reserves on its node, as the kube-scheduler counts it: the larger of its containers'
 * requests summed and its largest init container (init containers run one at a time before the
 * others; sidecars — restartable init containers — keep running and add to both), plus the pod
 * overhead of its RuntimeClass.
 */
export function podRequests(pod: V1Pod): Resources {
  const spec = pod.spec;
  if (!spec) return NONE;
  let sidecars = NONE;
  let largestInit = NONE;
  for (const init of spec.initContainers ?? []) {
    if (init.restartPolicy === 'Always') {
      sidecars = plus(sidecars, containerRequests(init));
      largestInit = atLeast(largestInit, sidecars);
    } else {
      largestInit = atLeast(largestInit, plus(sidecars, containerRequests(init)));
    }
  }
  const running = plus(sidecars, spec.containers.map(containerRequests).reduce(plus, NONE));
  const overhead = spec.overhead ?? {};
  return plus(atLeast(running, largestInit), {
    cpuMillis: overhead['cpu'] ? cpuMillis(overhead['cpu']) : 0,
    memoryMiB: overhead['memory'] ? memoryMiB(overhead['memory']) : 0,
  });
}

/** A node pods can be placed on now: Ready and not cordoned. */
export function isSchedulable(node: V1Node): boolean {
  if (node.spec?.unschedulable) return false;
  return (node.status?.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/**
 * What Parc's scaled stages may use in all: the allocatable CPU and memory of the schedulable
 * nodes, minus what every other pod on them requests (pods that finished hold nothing). Parc's
 * own stage pods (`isParcStagePod`) are not subtracted: their requests are what is being planned.
 * Pods on nodes that cannot take new pods are left out with their node.
 */
export function capacityFrom(nodes: readonly V1Node[], pods: readonly V1Pod[], isParcStagePod: (pod: V1Pod) => boolean): Resources {
  const usable = nodes.filter(isSchedulable);
  const names = new Set(usable.map((node) => node.metadata?.name));
  const allocatable = usable
    .map((node): Resources => {
      const a = node.status?.allocatable ?? {};
      return { cpuMillis: a['cpu'] ? cpuMillis(a['cpu']) : 0, memoryMiB: a['memory'] ? memoryMiB(a['memory']) : 0 };
    })
    .reduce(plus, NONE);
  const others = pods
    .filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')
    // A pending pod of someone else's is not on a node yet: it will take room when placed, but
    // where is unknown; counting it only once it is bound keeps capacity from swinging.
    .filter((pod) => pod.spec?.nodeName !== undefined && names.has(pod.spec.nodeName))
    .filter((pod) => !isParcStagePod(pod))
    .map(podRequests)
    .reduce(plus, NONE);
  return {
    cpuMillis: Math.max(0, allocatable.cpuMillis - others.cpuMillis),
    memoryMiB: Math.max(0, Math.floor(allocatable.memoryMiB - others.memoryMiB)),
  };
}
