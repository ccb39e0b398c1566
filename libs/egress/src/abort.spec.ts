import { getEventListeners } from 'node:events';
import { onAbort } from './abort';

describe('onAbort', () => {
  it('adds one event listener per signal, however many subscribers', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const unsubscribers = Array.from({ length: 50 }, (_, i) => onAbort(controller.signal, () => calls.push(i)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    unsubscribers.slice(0, 48).forEach((unsubscribe) => unsubscribe());
    controller.abort();
    expect(calls).toEqual([48, 49]);
  });
});
