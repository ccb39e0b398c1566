import { silentLogger } from '@parc/queue';
import { waitFor } from '@parc/testing';
import { startTicker } from './ticker';

describe('startTicker', () => {
  it('ticks again at once while there is more work, then waits the interval', async () => {
    const times: number[] = [];
    let remaining = 5;
    const ticker = startTicker({
      name: 't',
      intervalMs: 10_000,
      logger: silentLogger,
      tick: async () => {
        times.push(Date.now());
        return --remaining > 0;
      },
    });
    await waitFor('five quick ticks', () => times.length === 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(times).toHaveLength(5);
    const started = Date.now();
    await ticker.close();
    expect(Date.now() - started).toBeLessThan(100); // close cuts the interval short
  });

  it('keeps going after a failing tick, logging it', async () => {
    const warnings: object[] = [];
    let calls = 0;
    const ticker = startTicker({
      name: 't',
      intervalMs: 5,
      logger: { ...silentLogger, warn: (object) => void warnings.push(object) },
      tick: async () => {
        if (++calls === 1) throw new Error('redis down');
        return false;
      },
    });
    await waitFor('recovered', () => calls >= 3);
    await ticker.close();
    expect(warnings).toEqual([expect.objectContaining({ loop: 't', failures: 1, err: expect.any(Error) })]);
  });
});
