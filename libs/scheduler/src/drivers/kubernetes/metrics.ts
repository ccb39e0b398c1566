// nx-ignore-next-line -- only the scheduler's build lists this package (apps/scheduler/project.json), see client.ts
import type { NodeMetric, PodMetric, V1Node, V1Pod } from '@kubernetes/client-node';
import type { CpuUsage } from '@parc/scaling';
import { isSchedulable } from './capacity';
import { quantityValue } from './quantity';

/** A pod's CPU use now (millicores), its containers summed, as metrics-server reports it. */
function podMillis(metric: PodMetric): number {
  return metric.containers.reduce((sum, container) => sum + (container.usage.cpu ? quantityValue(container.usage.cpu) * 1000 : 0), 0);
}

/**
 * Parc's CPU use from the metrics API (metrics.k8s.io/v1beta1, served by metrics-server): per
 * instance of each stage (key from `keyOf`, for Parc's scaled stage pods) the mean over its pods;
 * the machine as the schedulable nodes' usage over their capacity. Pods and nodes without metrics
 * are left out (a pod just started has none yet); `nodeMetrics` undefined leaves out the machine.
 */
export function cpuUsageFrom(
  podMetrics: readonly PodMetric[],
  pods: readonly V1Pod[],
  keyOf: (pod: V1Pod) => string | undefined,
  nodeMetrics: readonly NodeMetric[] | undefined,
  nodes: readonly V1Node[],
): CpuUsage {
  const podByName = new Map(pods.map((pod) => [`${pod.metadata?.namespace}/${pod.metadata?.name}`, pod]));
  const byKey = new Map<string, number[]>();
  for (const metric of podMetrics) {
    const pod = podByName.get(`${metric.metadata.namespace}/${metric.metadata.name}`);
    const key = pod ? keyOf(pod) : undefined;
    if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), podMillis(metric)]);
  }
  const perInstanceMillis: Record<string, number> = {};
  let usedMillis = 0;
  for (const [key, millis] of byKey) {
    const sum = millis.reduce((a, b) => a + b, 0);
    usedMillis += sum;
    perInstanceMillis[key] = Math.round(sum / millis.length);
  }
  const usage = { perInstanceMillis, usedMillis: Math.round(usedMillis) };
  if (nodeMetrics === undefined) return usage;
  const usedByNode = new Map(nodeMetrics.map((metric) => [metric.metadata.name, metric.usage.cpu ? quantityValue(metric.usage.cpu) * 1000 : 0]));
  let machineMillis = 0;
  let busyMillis = 0;
  for (const node of nodes.filter(isSchedulable)) {
    const used = usedByNode.get(node.metadata?.name ?? '');
    const capacity = node.status?.capacity?.['cpu'] ?? node.status?.allocatable?.['cpu'];
    if (used === undefined || capacity === undefined) continue;
    machineMillis += quantityValue(capacity) * 1000;
    busyMillis += used;
  }
  if (machineMillis <= 0) return usage;
  return { ...usage, machineMillis: Math.round(machineMillis), machineBusyShare: Math.round(Math.min(1, busyMillis / machineMillis) * 1000) / 1000 };
}
