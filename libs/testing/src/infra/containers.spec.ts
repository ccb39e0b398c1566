import { KAFKA_IMAGE, REDIS_IMAGE } from './containers';
import { KAFKA_VERSION } from './kafka-settings';

/**
 * The container path cannot run here (no Docker engine). These checks at least catch drift: the
 * image tags, and the testcontainers API the path calls (a renamed export would otherwise only
 * fail on a machine with Docker).
 */
describe('container path', () => {
  it('uses Redis 7.4 and the apache/kafka image of the same release as the jars', () => {
    expect(REDIS_IMAGE).toBe('redis:7.4');
    expect(KAFKA_IMAGE).toBe(`apache/kafka:${KAFKA_VERSION}`);
  });

  it('finds the testcontainers exports it uses', () => {
    const tc = require('testcontainers') as typeof import('testcontainers');
    expect(typeof tc.GenericContainer).toBe('function');
    expect(typeof tc.Wait.forLogMessage).toBe('function');
    expect(typeof tc.getContainerRuntimeClient).toBe('function');
    const container = new tc.GenericContainer(REDIS_IMAGE);
    for (const method of ['withExposedPorts', 'withCommand', 'withEnvironment', 'withWaitStrategy', 'withStartupTimeout', 'start'] as const) {
      expect(typeof container[method]).toBe('function');
    }
  });
});
