import { launchService } from '@parc/service-kit';
import { buildApp } from './app';
import { SERVICE, configSpec } from './config';

// Config from the environment → build → listen; SIGTERM drains and exits (see the service kit).
void launchService({ service: SERVICE, spec: configSpec, build: buildApp, env: process.env });
