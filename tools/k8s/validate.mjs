// Validates Kubernetes objects against the OpenAPI schemas of a current Kubernetes release, as
// packaged by `kubernetes-models`. Runs in its own process because that package is ESM-only,
// which Jest's module sandbox cannot load. stdin: rendered YAML (several documents).
// stdout: JSON [{ kind, name, errors: [..] }]; an unknown apiVersion/kind is an error, not a skip.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const objects = parseAllDocuments(readFileSync(0, 'utf8')).map((d) => d.toJSON()).filter(Boolean);
const results = [];
for (const object of objects) {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [undefined, object.apiVersion];
  const path = `kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`;
  const result = { kind: object.kind, name: object.metadata?.name, errors: [] };
  try {
    const Model = (await import(path))[object.kind];
    if (typeof Model !== 'function') throw new Error(`${path} exports no ${object.kind}`);
    new Model(object).validate();
  } catch (error) {
    result.errors.push(error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? `unknown apiVersion/kind ${object.apiVersion} ${object.kind}` : String(error.message));
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
