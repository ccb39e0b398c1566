// nx-ignore-next-line -- only the scheduler's build lists this package (apps/scheduler/project.json), see client.ts
import type { KubernetesObject } from '@kubernetes/client-node';

/** The label every object of a Parc carries, its value the Parc id (deploy/k8s/README.md). */
export const PARC_ID_LABEL = 'parc.dev/parc-id';

/** One rendered Parc (deploy/k8s/parc-template) and the id it was rendered for. */
export interface ParcTemplate {
  readonly parcId: string;
  readonly objects: readonly KubernetesObject[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks a rendered Parc template: objects with apiVersion, kind and name, every one labelled with
 * the same Parc id. @throws Error saying what is wrong (the caller names the file).
 */
export function parcTemplateOf(objects: readonly unknown[]): ParcTemplate {
  const found = objects.filter((object): object is KubernetesObject => object !== null && typeof object === 'object');
  if (found.length === 0) throw new Error('it holds no Kubernetes objects');
  const ids = new Set<string>();
  for (const object of found) {
    const where = `${object.kind ?? '(no kind)'} ${object.metadata?.name ?? '(no name)'}`;
    if (!object.apiVersion || !object.kind || !object.metadata?.name) throw new Error(`${where} lacks apiVersion, kind or metadata.name`);
    const id = object.metadata.labels?.[PARC_ID_LABEL];
    if (!id) throw new Error(`${where} has no ${PARC_ID_LABEL} label`);
    ids.add(id);
  }
  if (ids.size !== 1) throw new Error(`its objects belong to several Parcs (${[...ids].join(', ')}); render one Parc (deploy/k8s/parc-template)`);
  return { parcId: [...ids][0] as string, objects: found };
}

/**
 * The objects of Parc `parcId`, made from the template as deploy/k8s/README.md says: the name
 * prefix `parc-<template id>-` becomes `parc-<parcId>-` wherever it appears (names, Services,
 * PARC_REDIS_URL), the Parc id label and PARC_ID become `parcId`. Deployments lose `replicas`,
 * which the scheduler sets through the scale subresource (an applied count would fight it).
 * `images` (container name → image) replaces the template's images: a new Parc runs what the
 * existing ones run, whatever tag the overlay deployed.
 */
export function parcObjects(template: ParcTemplate, parcId: string, images: ReadonlyMap<string, string> = new Map()): KubernetesObject[] {
  if (!DNS_LABEL.test(parcId) || parcId.length > 40) throw new Error(`Parc id '${parcId}' cannot name Kubernetes objects (lower-case letters, digits and '-', at most 40)`);
  const from = `parc-${template.parcId}-`;
  const to = `parc-${parcId}-`;
  const rewrite = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return key === PARC_ID_LABEL ? parcId : value.replaceAll(from, to);
    if (Array.isArray(value)) return value.map((item) => rewrite(item));
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, rewrite(v, k)] as const);
      const object = Object.fromEntries(entries) as Record<string, unknown>;
      // An environment variable naming the Parc: { name: PARC_ID, value: <id> }.
      if (object['name'] === 'PARC_ID' && typeof object['value'] === 'string') object['value'] = parcId;
      // A container: { name, image, … }.
      if (typeof object['image'] === 'string' && typeof object['name'] === 'string' && images.has(object['name'])) object['image'] = images.get(object['name']);
      return object;
    }
    return value;
  };
  return template.objects.map((object) => {
    const made = rewrite(object) as KubernetesObject & { spec?: Record<string, unknown> };
    if (made.kind === 'Deployment' && made.spec) delete made.spec['replicas'];
    return made;
  });
}
