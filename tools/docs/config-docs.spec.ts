import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig } from '@parc/service-kit';
import { SERVICES } from '../services';
import { DOC_PATH, renderConfigDocs } from './config-docs';

const APPS_DIR = join(__dirname, '../../apps');

describe('docs/configuration.md', () => {
  it('is what tools/docs/config-docs.ts generates from the specs (run it when this fails)', () => {
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(renderConfigDocs());
  });
});

describe('the services list of the tools', () => {
  it('names every app under apps/, by its directory name', () => {
    const apps = readdirSync(APPS_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(SERVICES.map((s) => s.SERVICE).sort()).toEqual(apps.map((entry) => entry.name).sort());
  });

  it('gives every service a default port of its own, so that all run side by side', () => {
    // From the spec's rows, not parseConfig: some services have required variables (secrets).
    const ports = SERVICES.map((s) => describeConfig(s.configSpec).find((row) => row.name === 'PORT')?.default);
    expect(ports.every((port) => port !== undefined)).toBe(true);
    expect(new Set(ports).size).toBe(SERVICES.length);
  });
});
