import { inspect } from 'node:util';
import { ParcError, isParcError } from '@parc/errors';
import { Secret, describeConfig, field, parseConfig, type ConfigField, type ConfigOf } from '../index';

const common = (env: string) => ({ env, description: `${env} for the test.` });

/** Parses one field from one raw value; returns the value or the CONFIG_INVALID message. */
function parseOne(f: ConfigField<unknown>, raw: string | undefined): { value?: unknown; error?: string } {
  try {
    return { value: parseConfig({ f }, raw === undefined ? {} : { [f.env]: raw }).f };
  } catch (error) {
    if (isParcError(error, 'CONFIG_INVALID')) return { error: error.message };
    throw error;
  }
}

describe('parseConfig: each kind', () => {
  const cases: { name: string; field: ConfigField<unknown>; raw: string | undefined; value?: unknown; error?: string }[] = [
    { name: 'string', field: field.string({ ...common('S'), required: true }), raw: ' a b ', value: 'a b' },
    { name: 'integer', field: field.integer({ ...common('I'), required: true }), raw: '-42', value: -42 },
    { name: 'integer below min', field: field.integer({ ...common('I'), min: 1, max: 5, required: true }), raw: '0', error: 'I: "0" is not an integer between 1 and 5' },
    { name: 'integer with only min', field: field.integer({ ...common('I'), min: 2, required: true }), raw: '1', error: 'I: "1" is not an integer of at least 2' },
    { name: 'integer, decimal', field: field.integer({ ...common('I'), required: true }), raw: '1.5', error: 'I: "1.5" is not an integer' },
    { name: 'port', field: field.port({ ...common('PORT'), required: true }), raw: '8080', value: 8080 },
    { name: 'port, not a number', field: field.port({ ...common('PORT'), required: true }), raw: '80a', error: 'PORT: "80a" is not an integer between 1 and 65535' },
    { name: 'port, out of range', field: field.port({ ...common('PORT'), required: true }), raw: '65536', error: 'PORT: "65536" is not an integer between 1 and 65535' },
    { name: 'boolean true', field: field.boolean({ ...common('B'), required: true }), raw: 'true', value: true },
    { name: 'boolean 0', field: field.boolean({ ...common('B'), required: true }), raw: '0', value: false },
    { name: 'boolean yes', field: field.boolean({ ...common('B'), required: true }), raw: 'yes', error: 'B: "yes" is not one of true, false, 1, 0' },
    { name: 'url', field: field.url({ ...common('U'), protocols: ['http', 'https'], required: true }), raw: 'https://x.test/a', value: 'https://x.test/a' },
    { name: 'url, wrong protocol', field: field.url({ ...common('U'), protocols: ['redis', 'rediss:'], required: true }), raw: 'http://x', error: 'U: "http://x" is not a URL with protocol redis or rediss' },
    { name: 'url, password masked', field: field.url({ ...common('U'), protocols: ['redis'], required: true }), raw: 'http://me:hunter2@x', error: 'U: "http://me:****@x" is not a URL with protocol redis' },
    { name: 'url, not a URL', field: field.url({ ...common('U'), protocols: ['http'], required: true }), raw: 'x', error: 'U: "x" is not a URL with protocol http' },
    { name: 'enum', field: field.enum({ ...common('E'), values: ['a', 'b'], required: true }), raw: 'b', value: 'b' },
    { name: 'enum, other value', field: field.enum({ ...common('E'), values: ['a', 'b'], required: true }), raw: 'A', error: 'E: "A" is not one of a, b' },
    { name: 'list', field: field.list({ ...common('L'), required: true }), raw: 'k1:9092, k2:9092', value: ['k1:9092', 'k2:9092'] },
    { name: 'list, empty item', field: field.list({ ...common('L'), required: true }), raw: 'a,,b', error: 'L: "a,,b" is not a comma-separated list of non-empty items' },
    { name: 'duration in ms', field: field.duration({ ...common('D'), required: true }), raw: '1500', value: 1500 },
    { name: 'duration with unit', field: field.duration({ ...common('D'), required: true }), raw: '2m', value: 120_000 },
    { name: 'duration, bad unit', field: field.duration({ ...common('D'), required: true }), raw: '2d', error: 'D: "2d" is not a duration (ms, or with a unit: 1500, 500ms, 10s, 5m, 1h)' },
    { name: 'duration over max', field: field.duration({ ...common('D'), min: 1, max: 1000, required: true }), raw: '2s', error: 'D: "2s" is not a duration between 1 and 1000 ms (ms, or with a unit: 1500, 500ms, 10s, 5m, 1h)' },
    { name: 'secret too short, masked', field: field.secret({ ...common('K'), minLength: 16, required: true }), raw: 'hunter2', error: 'K: [secret] is not a secret of at least 16 characters' },
    { name: 'missing required', field: field.port({ ...common('PORT'), required: true }), raw: undefined, error: 'PORT: is required but not set (expected an integer between 1 and 65535)' },
    { name: 'empty counts as unset', field: field.string({ ...common('S'), required: true }), raw: '  ', error: 'S: is required but not set (expected a string)' },
    { name: 'default when unset', field: field.port({ ...common('PORT'), default: 8080 }), raw: undefined, value: 8080 },
    { name: 'default when empty', field: field.list({ ...common('L'), default: ['x'] }), raw: '', value: ['x'] },
    { name: 'optional when unset', field: field.url({ ...common('U'), protocols: ['http'], optional: true }), raw: undefined, value: undefined },
  ];

  it.each(cases)('$name', ({ field: f, raw, value, error }) => {
    const result = parseOne(f, raw);
    if (error === undefined) expect(result).toEqual({ value });
    else expect(result.error).toContain(error);
  });
});

describe('parseConfig: the whole spec', () => {
  const spec = {
    port: field.port({ env: 'PORT', default: 8080, description: 'Port.' }),
    workers: field.integer({ env: 'WORKERS', min: 1, max: 64, required: true, description: 'Workers.' }),
    brokers: field.list({ env: 'BROKERS', default: ['localhost:9092'], description: 'Brokers.' }),
    apiKey: field.secret({ env: 'API_KEY', optional: true, description: 'Key.' }),
    debug: field.boolean({ env: 'DEBUG', default: false, description: 'Debug.' }),
  };

  it('reports every bad variable at once, by name, in one CONFIG_INVALID error', () => {
    const parse = () => parseConfig(spec, { PORT: '80a', BROKERS: ',' , DEBUG: 'on' });
    expect(parse).toThrow(ParcError);
    try {
      parse();
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((error as ParcError).message).toBe(
        [
          'Invalid configuration, 4 variables:',
          '  PORT: "80a" is not an integer between 1 and 65535',
          '  WORKERS: is required but not set (expected an integer between 1 and 64)',
          '  BROKERS: "," is not a comma-separated list of non-empty items',
          '  DEBUG: "on" is not one of true, false, 1, 0',
        ].join('\n'),
      );
      expect((error as ParcError).details.map((d) => d.path)).toEqual(['PORT', 'WORKERS', 'BROKERS', 'DEBUG']);
    }
  });

  it('returns a typed, deeply frozen config', () => {
    const config: ConfigOf<typeof spec> = parseConfig(spec, { WORKERS: '4', API_KEY: 'k-123', BROKERS: 'a:1,b:2' });
    expect(config).toMatchObject({ port: 8080, workers: 4, brokers: ['a:1', 'b:2'], debug: false });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.brokers)).toBe(true);
    expect(() => (config.brokers as string[]).push('c')).toThrow(TypeError);
    // Types follow presence: required and defaulted fields are never undefined, optional ones may be.
    const workers: number = config.workers;
    const apiKey: Secret | undefined = config.apiKey;
    // @ts-expect-error an optional field may be undefined
    const revealed: Secret = config.apiKey;
    expect([workers, apiKey, revealed]).toHaveLength(3);
  });

  it('never shows a secret when the config is logged, inspected or stringified', () => {
    const config = parseConfig(spec, { WORKERS: '4', API_KEY: 'k-123' });
    expect(config.apiKey).toBeInstanceOf(Secret);
    expect(config.apiKey?.reveal()).toBe('k-123');
    for (const shown of [JSON.stringify(config), inspect(config), String(config.apiKey), `${config.apiKey}`]) {
      expect(shown).not.toContain('k-123');
    }
  });
});

describe('describeConfig', () => {
  it('describes each field as a row for the docs, in spec order', () => {
    const spec = {
      port: field.port({ env: 'PORT', default: 8080, description: 'TCP port.' }),
      brokers: field.list({ env: 'BROKERS', default: ['a:1', 'b:2'], description: 'Brokers.' }),
      key: field.secret({ env: 'KEY', required: true, description: 'Key.' }),
    };
    expect(describeConfig(spec)).toEqual([
      { name: 'PORT', kind: 'port', expected: 'an integer between 1 and 65535', default: '8080', required: false, description: 'TCP port.' },
      { name: 'BROKERS', kind: 'list', expected: 'a comma-separated list of non-empty items', default: 'a:1,b:2', required: false, description: 'Brokers.' },
      { name: 'KEY', kind: 'secret', expected: 'a secret', default: undefined, required: true, description: 'Key.' },
    ]);
  });
});
