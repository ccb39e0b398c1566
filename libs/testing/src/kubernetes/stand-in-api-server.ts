import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Kubernetes API server, for the driver's tests: the REST paths, content types
 * and answers of the calls the Kubernetes driver makes, served on loopback to the real
 * `@kubernetes/client-node`, with objects kept in memory and every request checked against RBAC
 * rules (the scheduler's Role and ClusterRole from deploy/k8s/base/scheduler-rbac.yaml).
 *
 * What it does: discovery of the v1, apps/v1 and policy/v1 resources the driver touches; list
 * (equality label selectors, `status.phase!=` field selectors), get, server-side apply (creates
 * or replaces the object: no field ownership, no conflict detection, no defaulting), strategic
 * merge patch (lists of named items merged by name — containers and env — maps merged, as the
 * API server does for these fields), JSON merge patch, the deployments/scale subresource, delete;
 * 401 without the bearer token, 403 outside the RBAC rules, 404 for unknown objects. With
 * `metricsApi`, the metrics API as metrics-server serves it (metrics.k8s.io/v1beta1 PodMetrics and
 * NodeMetrics, read-only, seeded as any object); without it, 404 there, as a cluster without
 * metrics-server answers.
 * What it does not: controllers (no ReplicaSets or pods follow a Deployment), admission,
 * validation against the OpenAPI schema, watches, TLS.
 */
export interface StandInApiServer {
  readonly url: string;
  readonly token: string;
  /** Every request, in order: `PATCH /apis/apps/v1/namespaces/parc/deployments/proxy/scale`, its query and content type. */
  readonly requests: readonly RecordedRequest[];
  /** Writes a kubeconfig for this server and its token to `file` (for KUBECONFIG); returns `file`. */
  writeKubeconfig(file: string): string;
  /** Puts an object as a controller or another client would (not through the API, no RBAC). */
  seed(object: StoredObject): void;
  get(resource: string, namespace: string | undefined, name: string): StoredObject | undefined;
  list(resource: string): StoredObject[];
  close(): Promise<void>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly status: number;
}

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface RbacRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs?: readonly string[];
}

export interface StandInOptions {
  /** Allowed in every namespace and for cluster-scoped resources (the ClusterRole). */
  readonly clusterRules: readonly RbacRule[];
  /** Allowed in `namespace` only (the Role). */
  readonly namespaceRules: readonly RbacRule[];
  readonly namespace: string;
  /** Serve metrics.k8s.io/v1beta1 (pods, nodes) from seeded PodMetrics and NodeMetrics; default false. */
  readonly metricsApi?: boolean;
}

interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Where `seed`, `get` and `list` keep it when its name is taken by another group's resource. */
  readonly storeName?: string;
  readonly readOnly?: boolean;
}

const RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', name: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', name: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', name: 'services', kind: 'Service', namespaced: true },
  { group: 'apps', version: 'v1', name: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', name: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { group: 'policy', version: 'v1', name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true },
  { group: 'metrics.k8s.io', version: 'v1beta1', name: 'pods', kind: 'PodMetrics', namespaced: true, storeName: 'pods.metrics.k8s.io', readOnly: true },
  { group: 'metrics.k8s.io', version: 'v1beta1', name: 'nodes', kind: 'NodeMetrics', namespaced: false, storeName: 'nodes.metrics.k8s.io', readOnly: true },
];

const METRICS_GROUP = 'metrics.k8s.io';
const storeNameOf = (type: ResourceType): string => type.storeName ?? type.name;

const groupVersion = (type: ResourceType): string => (type.group === '' ? type.version : `${type.group}/${type.version}`);
const keyOf = (resource: string, namespace: string | undefined, name: string): string => `${resource}/${namespace ?? ''}/${name}`;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * RFC 7386 JSON merge patch; with `byName`, the strategic merge patch as it applies to these
 * fields: lists of named items (containers, env) merged item by item by name, not replaced.
 */
function mergePatch(target: unknown, patch: unknown, byName = false): unknown {
  if (byName && Array.isArray(patch) && Array.isArray(target) && patch.every((item) => isObject(item) && typeof item['name'] === 'string')) {
    const merged = [...target];
    for (const item of patch as Json[]) {
      const at = merged.findIndex((existing) => isObject(existing) && existing['name'] === item['name']);
      if (at === -1) merged.push(item);
      else merged[at] = mergePatch(merged[at], item, byName);
    }
    return merged;
  }
  if (!isObject(patch)) return patch;
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value, byName);
  }
  return result;
}

function matchesLabels(object: StoredObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=') as [string, string];
    return object.metadata.labels?.[key] === value;
  });
}

function matchesFields(object: StoredObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('!=') as [string, string];
    if (key !== 'status.phase') throw new Error(`field selector ${term} is not supported by the stand-in`);
    return (object['status'] as Json | undefined)?.['phase'] !== value;
  });
}

function allowed(rules: readonly RbacRule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (rule) =>
      (rule.apiGroups ?? []).some((g) => g === group || g === '*') &&
      (rule.resources ?? []).some((r) => r === resource || r === '*') &&
      (rule.verbs ?? []).some((v) => v === verb || v === '*'),
  );
}

const PATH = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?$/;

export async function startStandInApiServer(options: StandInOptions): Promise<StandInApiServer> {
  const token = `stand-in-${Math.random().toString(36).slice(2)}`;
  const store = new Map<string, StoredObject>();
  const requests: RecordedRequest[] = [];
  let version = 1;

  const status = (code: number, reason: string, message: string): Json => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

  const handle = (method: string, url: URL, contentType: string | undefined, body: unknown): [number, unknown] => {
    const match = PATH.exec(url.pathname);
    if (!match) return [404, status(404, 'NotFound', `the stand-in does not serve ${url.pathname}`)];
    const [, coreVersion, group = '', groupVer, namespace, resourceName, name, subresource] = match;
    const ver = coreVersion ?? groupVer;
    // Discovery: GET /api/v1, GET /apis/apps/v1.
    if (resourceName === undefined && namespace === undefined) {
      if (group === METRICS_GROUP && options.metricsApi !== true) return [404, status(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`)];
      const resources = RESOURCES.filter((r) => r.group === group && r.version === ver).flatMap((r) => [
        { name: r.name, namespaced: r.namespaced, kind: r.kind, verbs: r.readOnly ? ['get', 'list'] : ['get', 'list', 'patch', 'delete'] },
        ...(r.name === 'deployments' ? [{ name: 'deployments/scale', namespaced: true, kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch'] }] : []),
      ]);
      return [200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? ver : `${group}/${ver}`, resources }];
    }
    // Authorisation comes first, as in the API server: a forbidden request learns nothing about what exists.
    const verb = method === 'GET' ? (name === undefined ? 'list' : 'get') : method === 'PATCH' ? 'patch' : method === 'DELETE' ? 'delete' : method === 'POST' ? 'create' : method;
    const rbacResource = subresource ? `${resourceName}/${subresource}` : (resourceName as string);
    const permitted = allowed(options.clusterRules, group, rbacResource, verb) || (namespace === options.namespace && allowed(options.namespaceRules, group, rbacResource, verb));
    if (!permitted) return [403, status(403, 'Forbidden', `${rbacResource} is forbidden: cannot ${verb} in ${namespace ?? 'the cluster scope'}`)];
    const type = RESOURCES.find((r) => r.group === group && r.version === ver && r.name === resourceName && (r.group !== METRICS_GROUP || options.metricsApi === true));
    if (!type) return [404, status(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`)];
    if (type.readOnly && method !== 'GET') return [405, status(405, 'MethodNotAllowed', `${method} ${url.pathname}: ${type.kind} is read-only`)];
    if (type.namespaced !== (namespace !== undefined) && !(type.namespaced && name === undefined && method === 'GET')) {
      return [404, status(404, 'NotFound', `${type.name} is ${type.namespaced ? '' : 'not '}namespaced`)];
    }
    if (method === 'GET' && name === undefined) {
      const items = [...store.values()]
        .filter((object) => object.kind === type.kind && (namespace === undefined || object.metadata.namespace === namespace))
        .filter((object) => matchesLabels(object, url.searchParams.get('labelSelector') ?? undefined) && matchesFields(object, url.searchParams.get('fieldSelector') ?? undefined));
      return [200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: String(version) }, items }];
    }
    const key = keyOf(storeNameOf(type), namespace, name as string);
    const existing = store.get(key);
    if (method === 'GET') return existing ? [200, existing] : [404, status(404, 'NotFound', `${type.name} "${name}" not found`)];
    if (method === 'DELETE') {
      if (!existing) return [404, status(404, 'NotFound', `${type.name} "${name}" not found`)];
      store.delete(key);
      return [200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: type.name } }];
    }
    if (method === 'PATCH' && subresource === 'scale' && type.name === 'deployments') {
      if (contentType !== 'application/merge-patch+json') return [415, status(415, 'UnsupportedMediaType', `scale patch as ${contentType}`)];
      if (!existing) return [404, status(404, 'NotFound', `deployments.apps "${name}" not found`)];
      const spec = (existing['spec'] ?? {}) as Json;
      const scale = mergePatch({ spec: { replicas: spec['replicas'] ?? 1 } }, body) as { spec: { replicas: unknown } };
      if (!Number.isInteger(scale.spec.replicas) || (scale.spec.replicas as number) < 0) return [422, status(422, 'Invalid', 'spec.replicas must be a non-negative integer')];
      existing['spec'] = { ...spec, replicas: scale.spec.replicas };
      version++;
      return [200, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace }, spec: { replicas: scale.spec.replicas } }];
    }
    if (method === 'PATCH' && subresource === undefined) {
      if (contentType === 'application/apply-patch+yaml') {
        if (!url.searchParams.get('fieldManager')) return [422, status(422, 'Invalid', 'fieldManager is required for apply requests')];
        const applied = body as StoredObject;
        if (applied.kind !== type.kind || applied.metadata?.name !== name) return [400, status(400, 'BadRequest', `the applied ${applied.kind} ${applied.metadata?.name} does not match the path ${url.pathname}`)];
        if (existing && url.searchParams.get('force') !== 'true') return [409, status(409, 'Conflict', 'apply without force over an existing object (the stand-in does not track field owners)')];
        const stored: StoredObject = { ...applied, metadata: { ...applied.metadata, namespace, resourceVersion: String(++version), uid: existing?.metadata['uid'] ?? `uid-${version}` } };
        store.set(key, stored);
        return [existing ? 200 : 201, stored];
      }
      if (!existing) return [404, status(404, 'NotFound', `${type.name} "${name}" not found`)];
      let patched: StoredObject;
      if (contentType === 'application/strategic-merge-patch+json') patched = mergePatch(existing, body, true) as StoredObject;
      else if (contentType === 'application/merge-patch+json') patched = mergePatch(existing, body) as StoredObject;
      else return [415, status(415, 'UnsupportedMediaType', `patch as ${contentType}`)];
      patched.metadata = { ...patched.metadata, resourceVersion: String(++version) };
      store.set(key, patched);
      return [200, patched];
    }
    return [405, status(405, 'MethodNotAllowed', `${method} ${url.pathname}`)];
  };

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const contentType = request.headers['content-type']?.split(';')[0];
      let code: number;
      let answer: unknown;
      if (request.headers.authorization !== `Bearer ${token}`) {
        [code, answer] = [401, status(401, 'Unauthorized', 'Unauthorized')];
      } else {
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          // Apply bodies are YAML; the client sends JSON, which is YAML too.
          [code, answer] = handle(request.method ?? 'GET', url, contentType, text === '' ? undefined : JSON.parse(text));
        } catch (error) {
          [code, answer] = [400, status(400, 'BadRequest', error instanceof Error ? error.message : String(error))];
        }
      }
      requests.push({ method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), ...(contentType ? { contentType } : {}), status: code });
      response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    writeKubeconfig: (file) => {
      const url = `http://127.0.0.1:${port}`;
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'stand-in', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
          users: [{ name: 'stand-in-user', user: { token } }],
          contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'stand-in-user' } }],
          'current-context': 'stand-in',
        }),
      );
      return file;
    },
    seed: (object) => {
      const type = RESOURCES.find((r) => r.kind === object.kind && groupVersion(r) === object.apiVersion);
      if (!type) throw new Error(`the stand-in does not keep ${object.apiVersion} ${object.kind}`);
      store.set(keyOf(storeNameOf(type), type.namespaced ? object.metadata.namespace : undefined, object.metadata.name), structuredClone(object));
    },
    get: (resource, namespace, name) => store.get(keyOf(resource, namespace, name)),
    list: (resource) => [...store.entries()].filter(([key]) => key.startsWith(`${resource}/`)).map(([, object]) => object),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
