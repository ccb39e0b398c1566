import { EventEmitter } from 'node:events';
import { RepeatFilter } from '@parc/queue';
import { describeKafkaError, isAuthenticationFailure, watchClient } from './kafka-logging';

function capture() {
  const lines: { level: string; fields: Record<string, unknown>; message?: string }[] = [];
  const at = (level: string) => (fields: object, message?: string) => void lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('watchClient', () => {
  it('says an unreachable broker as a warning, once per window', () => {
    const { lines, logger } = capture();
    const client = watchClient(new EventEmitter(), { logger, level: 'warn', repeats: new RepeatFilter(60_000, () => 0) });
    client.emit('client:broker:failed', { broker: { host: '127.0.0.1', port: 9092 } });
    client.emit('client:broker:failed', { broker: { host: '127.0.0.1', port: 9092 } });
    client.emit('client:broker:connect', { broker: { host: '127.0.0.1', port: 9092 } });
    expect(lines).toEqual([{ level: 'warn', fields: { kafka: 'connection', broker: '127.0.0.1:9092' }, message: 'could not connect to the Kafka broker 127.0.0.1:9092; retrying' }]);
  });

  it('says nothing at level nothing', () => {
    const { lines, logger } = capture();
    const client = watchClient(new EventEmitter(), { logger, level: 'nothing', repeats: new RepeatFilter() });
    client.emit('client:broker:failed', { broker: { host: 'h', port: 1 } });
    expect(lines).toEqual([]);
  });
});

describe('describeKafkaError and isAuthenticationFailure', () => {
  it('flattens nested errors into one line and finds an authentication failure anywhere in them', () => {
    const auth = Object.assign(new Error('SASL authentication failed.'), { apiId: 'SASL_AUTHENTICATION_FAILED' });
    const multiple = Object.assign(new Error('Cannot connect to any broker.'), { errors: [Object.assign(new Error('Connection failed'), { cause: auth })] });
    expect(describeKafkaError(multiple)).toBe('Cannot connect to any broker.: Connection failed: SASL authentication failed.');
    expect(isAuthenticationFailure(multiple)).toBe(true);
    expect(isAuthenticationFailure(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
    expect(describeKafkaError(undefined)).toBe('unknown error');
  });
});
