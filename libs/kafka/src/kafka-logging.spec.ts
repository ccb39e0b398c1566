import { logLevel } from 'kafkajs';
import { RepeatFilter } from '@parc/queue';
import { kafkaLogCreator } from './kafka-logging';

function capture() {
  const lines: { level: string; fields: Record<string, unknown>; message?: string }[] = [];
  const at = (level: string) => (fields: object, message?: string) => void lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('kafkaLogCreator', () => {
  it("turns kafkajs's errors into warnings without stacks, said once per window", () => {
    const { lines, logger } = capture();
    const log = kafkaLogCreator(logger, new RepeatFilter(60_000, () => 0))(logLevel.WARN);
    const crash = { message: 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED', timestamp: 't', logger: 'kafkajs', groupId: 'g', stack: 'Error: …' };
    log({ namespace: 'Consumer', level: logLevel.ERROR, label: 'ERROR', log: crash });
    log({ namespace: 'Consumer', level: logLevel.ERROR, label: 'ERROR', log: crash });
    log({ namespace: 'Consumer', level: logLevel.INFO, label: 'INFO', log: { message: 'Consumer has joined the group', timestamp: 't', logger: 'kafkajs' } });
    expect(lines).toEqual([
      { level: 'warn', fields: { kafka: 'Consumer', groupId: 'g' }, message: crash.message },
      { level: 'info', fields: { kafka: 'Consumer' }, message: 'Consumer has joined the group' },
    ]);
  });
});
