import { brokerSettings, randomClusterId, scramFormatArguments, toContainerEnvironment, toPropertiesFile } from './kafka-settings';

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

describe('brokerSettings with security listeners', () => {
  const security = {
    sslPort: 39094,
    saslPort: 39095,
    saslSslPort: 39096,
    keystoreFile: '/tmp/k/tls/server-keystore.pem',
    truststoreFile: '/tmp/k/tls/ca.pem',
    plainUsers: { alice: 'a1', bob: 'b2' },
  };

  it('adds SSL, SASL_PLAINTEXT and SASL_SSL client listeners, advertised, and keeps broker and controller traffic PLAINTEXT', () => {
    const settings = brokerSettings({ ...input, security });
    expect(settings).toMatchObject({
      listeners: 'PLAINTEXT://127.0.0.1:39092,SSL://127.0.0.1:39094,SASL_PLAINTEXT://127.0.0.1:39095,SASL_SSL://127.0.0.1:39096,CONTROLLER://127.0.0.1:39093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:39092,SSL://127.0.0.1:39094,SASL_PLAINTEXT://127.0.0.1:39095,SASL_SSL://127.0.0.1:39096',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'PLAINTEXT',
      'controller.listener.names': 'CONTROLLER',
    });
  });

  it('reads PEM key material, requires client certificates on SSL only, and enables PLAIN and SCRAM-SHA-512', () => {
    const settings = brokerSettings({ ...input, security });
    expect(settings).toMatchObject({
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': '/tmp/k/tls/server-keystore.pem',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': '/tmp/k/tls/ca.pem',
      'listener.name.ssl.ssl.client.auth': 'required',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    });
    expect(settings['ssl.client.auth']).toBeUndefined();
    for (const listener of ['sasl_plaintext', 'sasl_ssl']) {
      expect(settings[`listener.name.${listener}.plain.sasl.jaas.config`]).toBe(
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a1" user_bob="b2";',
      );
      expect(settings[`listener.name.${listener}.scram-sha-512.sasl.jaas.config`]).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required;');
    }
  });

  it('adds nothing of the kind without a security input', () => {
    const keys = Object.keys(brokerSettings(input));
    expect(keys.filter((key) => /^(ssl|sasl|listener\.name)\./.test(key))).toEqual([]);
  });
});

describe('scramFormatArguments', () => {
  it('is one StorageTool --add-scram argument per user (KIP-900 syntax)', () => {
    expect(scramFormatArguments({ alice: 'pw1', bob: 'pw2' })).toEqual([
      '--add-scram',
      'SCRAM-SHA-512=[name=alice,password=pw1]',
      '--add-scram',
      'SCRAM-SHA-512=[name=bob,password=pw2]',
    ]);
  });

  it('refuses names and passwords the syntax cannot carry', () => {
    expect(() => scramFormatArguments({ alice: 'a,b' })).toThrow('alice');
    expect(() => scramFormatArguments({ 'a]': 'pw' })).toThrow('must not contain');
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
