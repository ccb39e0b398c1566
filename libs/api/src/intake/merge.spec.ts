import type { RequestSpec } from '../schemas/request-spec';
import { mergeSpec, originOf, type BatchContext } from './merge';

const URL = 'https://api.example.com/';

describe('mergeSpec', () => {
  it.each([
    {
      name: 'an item without batch fields is returned as is',
      item: { url: URL, method: 'POST' },
      batch: {},
      merged: { url: URL, method: 'POST' },
    },
    {
      name: 'scalar defaults apply where the item is silent',
      item: { url: URL, timeoutMs: 5 },
      batch: { defaults: { timeoutMs: 1, method: 'PUT' } },
      merged: { url: URL, timeoutMs: 5, method: 'PUT' },
    },
    {
      name: 'headers merge, case-insensitively, the item winning',
      item: { url: URL, headers: { Authorization: 'item' } },
      batch: { defaults: { headers: { authorization: 'default', 'x-a': '1' } } },
      merged: { url: URL, headers: { 'x-a': '1', Authorization: 'item' } },
    },
    {
      name: 'retry merges field by field',
      item: { url: URL, retry: { maxAttempts: 2 } },
      batch: { defaults: { retry: { maxAttempts: 9, jitter: 'none' as const } } },
      merged: { url: URL, retry: { maxAttempts: 2, jitter: 'none' } },
    },
    {
      name: 'metadata merges batch < defaults < item',
      item: { url: URL, metadata: { c: 3 } },
      batch: { metadata: { a: 1, b: 1, c: 1 }, defaults: { metadata: { b: 2, c: 2 } } },
      merged: { url: URL, metadata: { a: 1, b: 2, c: 3 } },
    },
    {
      name: 'an item body replaces both default body fields',
      item: { url: URL, bodyBase64: 'AA==' },
      batch: { defaults: { body: 'text' } },
      merged: { url: URL, bodyBase64: 'AA==' },
    },
    {
      name: 'callback falls back item → defaults → batch',
      item: { url: URL },
      batch: { defaults: { callback: { url: 'https://d.example/' } }, callback: { url: 'https://b.example/' } },
      merged: { url: URL, callback: { url: 'https://d.example/' } },
    },
    {
      name: 'a parsed "__proto__" key stays a plain key',
      item: { url: URL, metadata: JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown> },
      batch: { metadata: { a: 1 } },
      merged: { url: URL, metadata: JSON.parse('{"a":1,"__proto__":{"polluted":true}}') as Record<string, unknown> },
    },
  ] as { name: string; item: RequestSpec; batch: BatchContext; merged: RequestSpec }[])('$name', ({ item, batch, merged }) => {
    const result = mergeSpec(item, batch);
    expect(result).toEqual(merged);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('originOf', () => {
  const batch: BatchContext = {
    defaults: { timeoutMs: 1, headers: { 'x-d': '1' }, retry: { maxAttempts: 3 }, body: 'b' },
    callback: { url: 'https://b.example/' },
    metadata: { m: 1 },
  };
  it.each([
    { path: 'url', item: { url: URL }, origin: 'item' },
    { path: 'timeoutMs', item: { url: URL }, origin: 'defaults' },
    { path: 'timeoutMs', item: { url: URL, timeoutMs: 2 }, origin: 'item' },
    { path: 'headers.x-d', item: { url: URL, headers: { 'x-i': '1' } }, origin: 'defaults' },
    { path: 'headers.x-i', item: { url: URL, headers: { 'x-i': '1' } }, origin: 'item' },
    { path: 'headers', item: { url: URL }, origin: 'defaults' },
    { path: 'retry.maxAttempts', item: { url: URL, retry: { jitter: 'none' } }, origin: 'defaults' },
    { path: 'retry.retryOn[1]', item: { url: URL, retry: { retryOn: [1, 2] } }, origin: 'item' },
    { path: 'retry.maxDelayMs', item: { url: URL }, origin: 'item' },
    { path: 'body', item: { url: URL }, origin: 'defaults' },
    { path: 'body', item: { url: URL, bodyBase64: 'AA==' }, origin: 'item' },
    { path: 'callback.url', item: { url: URL }, origin: 'batch' },
    { path: 'metadata', item: { url: URL }, origin: 'batch' },
    { path: 'metadata', item: { url: URL, metadata: {} }, origin: 'item' },
  ] as { path: string; item: RequestSpec; origin: string }[])('$path of $item → $origin', ({ path, item, origin }) => {
    expect(originOf(path, item, batch)).toBe(origin);
  });
});
