import { MemoryParcRegistry } from '@parc/memory';
import pino from 'pino';
import { startParcDirectory } from './parc-directory';

const logger = pino({ level: 'silent' });

describe('the Parc directory proxy-store and parc-outgoing route by', () => {
  it('uses ACTIVE_PARCS while the record is empty, then the active Parcs of the record as it changes', async () => {
    const registry = new MemoryParcRegistry();
    const directory = await startParcDirectory(registry, ['p1'], 20, logger);
    try {
      expect(directory.activeIds()).toEqual(['p1']);
      await registry.put({ id: 'p1', state: 'active', createdAtMs: 1 });
      await registry.put({ id: 'p2', state: 'active', createdAtMs: 2 });
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(directory.activeIds()).toEqual(['p1', 'p2']);
      await registry.put({ id: 'p1', state: 'draining', createdAtMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(directory.activeIds()).toEqual(['p2']);
    } finally {
      await directory.close();
    }
  });

  it('keeps the last known set when the record cannot be read', async () => {
    const registry = new MemoryParcRegistry();
    await registry.put({ id: 'p3', state: 'active', createdAtMs: 1 });
    const directory = await startParcDirectory(registry, ['p1'], 20, logger);
    try {
      registry.list = () => Promise.reject(new Error('Redis down'));
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(directory.activeIds()).toEqual(['p3']);
    } finally {
      await directory.close();
    }
  });
});
