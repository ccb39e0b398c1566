// A minimal service run as a real process by launch.spec.ts: the kit's launcher, one onClose
// hook whose duration the test sets, so that both a clean and a timed-out shutdown can be seen.
import { buildServiceApp, field, launchService, resolveServiceDeps, serviceConfigSpec } from '../index';

const spec = {
  ...serviceConfigSpec({ port: 8099 }),
  closeDelayMs: field.duration({ env: 'FIXTURE_CLOSE_DELAY_MS', default: 0, description: 'How long the onClose hook takes.' }),
};

void launchService({
  service: 'fixture',
  spec,
  env: process.env,
  build: (config, deps) => {
    const app = buildServiceApp(resolveServiceDeps('fixture', config, deps));
    app.addHook('onClose', () => new Promise<void>((resolve) => setTimeout(resolve, config.closeDelayMs)));
    return app;
  },
});
