// nx-ignore-next-line -- only the scheduler's build lists this package (apps/scheduler/project.json), see client.ts
import type * as ClientNode from '@kubernetes/client-node';

export type KubernetesClient = typeof ClientNode;

let loading: Promise<KubernetesClient> | undefined;

/**
 * `@kubernetes/client-node`, loaded on first use. Every app's bundle holds this library (the
 * runtime mounts every stage), but only the scheduler with the Kubernetes driver needs the
 * client — a large ES module (Node ≥ 20.19 loads it from CommonJS) — so nothing else pays for
 * loading it.
 */
export function kubernetesClient(): Promise<KubernetesClient> {
  // Every app's bundle holds this library: Nx would list the package in every image's package.json;
  // only the scheduler's build lists it (apps/scheduler/project.json `external`).
  // nx-ignore-next-line
  loading ??= import('@kubernetes/client-node');
  return loading;
}
