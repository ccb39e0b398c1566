import { brokerSettings, randomClusterId, toContainerEnvironment, toPropertiesFile } from './kafka-settings';

const input = { port: 39092, controllerPort: 39093, listenHost: '127.0.0.1', advertisedHost: '127.0.0.1', logDirs: '/tmp/k/data' };

describe('brokerSettings', () => {
  it('describes a combined broker+controller KRaft node with replication factor 1 everywhere', () => {
    const settings = brokerSettings(input);
    expect(settings).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:39093',
      listeners: 'PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:39092',
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': '/tmp/k/data',
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'auto.create.topics.enable': 'true',
    });
    expect(brokerSettings({ ...input, autoCreateTopics: false })['auto.create.topics.enable']).toBe('false');
  });

  it('advertises a different host than it binds (the container case)', () => {
    const settings = brokerSettings({ ...input, listenHost: '0.0.0.0', advertisedHost: 'docker.local' });
    expect(settings['listeners']).toBe('PLAINTEXT://0.0.0.0:39092,CONTROLLER://0.0.0.0:39093');
    expect(settings['advertised.listeners']).toBe('PLAINTEXT://docker.local:39092');
  });
});

describe('toPropertiesFile / toContainerEnvironment', () => {
  it('writes one key=value line per setting', () => {
    expect(toPropertiesFile({ 'a.b': '1', 'log.dirs': 'C:\\k' })).toBe('a.b=1\nlog.dirs=C:\\\\k\n');
  });

  it('uses the apache/kafka image naming: . -> _, _ -> __, - -> ___', () => {
    expect(toContainerEnvironment({ 'abc.def': '1', 'abc-def': '2', abc_def: '3', 'node.id': '1' })).toEqual({
      KAFKA_ABC_DEF: '1',
      KAFKA_ABC___DEF: '2',
      KAFKA_ABC__DEF: '3',
      KAFKA_NODE_ID: '1',
    });
  });
});

describe('randomClusterId', () => {
  it('is 16 random bytes in base64url (22 characters), never starting with a dash', () => {
    const ids = new Set(Array.from({ length: 200 }, () => randomClusterId()));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});
