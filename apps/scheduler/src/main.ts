import { launchService } from '@parc/service-kit';
import { buildApp } from './app';
import { SERVICE, configSpec } from './config';

// Config from the environment → build → listen; SIGTERM drains and exits (see the service kit).
// The local driver's instances inherit this environment (they read their own config from it).
void launchService({ service: SERVICE, spec: configSpec, build: (config) => buildApp(config, { environment: process.env }), env: process.env });
