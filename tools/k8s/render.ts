import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '../..');

/** A rendered Kubernetes object, loosely typed: the specs check what they need. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown> & {
    selector?: Record<string, unknown> & { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpec };
  };
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
}

export interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers?: Container[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}

export interface Container {
  name: string;
  image?: string;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
}

let kubectl: string | undefined;

/**
 * `kubectl kustomize <dir>` with the kubectl of tools/k8s/kubectl.sh (kustomize v2.0.3 unless
 * PARC_KUBECTL says otherwise), parsed into objects. Throws with kustomize's own message.
 */
export function renderKustomize(dir: string): K8sObject[] {
  kubectl ??= execFileSync(join(ROOT, 'tools/k8s/kubectl.sh'), { encoding: 'utf8' }).trim();
  const yaml = execFileSync(kubectl, ['kustomize', join(ROOT, dir)], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(yaml)
    .map((document) => document.toJSON() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

/** The rendered YAML itself, for the schema validation in a child process. */
export function renderKustomizeText(dir: string): string {
  kubectl ??= execFileSync(join(ROOT, 'tools/k8s/kubectl.sh'), { encoding: 'utf8' }).trim();
  return execFileSync(kubectl, ['kustomize', join(ROOT, dir)], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}
