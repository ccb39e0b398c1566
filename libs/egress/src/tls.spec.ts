import { HttpCaller, type HttpCallerOptions, type HttpRequest } from './http-caller';
import { EgressPolicy } from './policy';
import { startPlainServer, startSilentServer, type PlainServer } from './servers.fixture';
import { PARC_TEST_CERT, PARC_TEST_KEY } from './tls.fixture';

const get = (url: string, timeoutMs = 2000): HttpRequest => ({ method: 'GET', url, headers: {}, timeoutMs });
const toLoopback = async () => [{ address: '127.0.0.1', family: 4 }];

describe('HttpCaller over TLS, and connect timeouts', () => {
  const callers: HttpCaller[] = [];
  const newCaller = (options: Partial<HttpCallerOptions> = {}): HttpCaller => {
    const caller = new HttpCaller({
      policy: EgressPolicy.fromAllowList(['127.0.0.1']),
      maxResponseBodyBytes: 1024,
      lookup: toLoopback,
      ...options,
    });
    callers.push(caller);
    return caller;
  };
  afterEach(async () => {
    await Promise.all(callers.splice(0).map((caller) => caller.close()));
  });

  describe('against an https server with a certificate for parc.test', () => {
    let server: PlainServer;
    beforeEach(async () => {
      server = await startPlainServer(undefined, { cert: PARC_TEST_CERT, key: PARC_TEST_KEY });
    });
    afterEach(async () => {
      await server.close();
    });

    it('dials the resolved IP but sends the host name as SNI and verifies the certificate against it', async () => {
      const record = await newCaller({ extraCaCertificates: [PARC_TEST_CERT] }).call(get(`https://parc.test:${server.port}/`));
      expect(record.status).toBe(200);
      expect(server.requests[0]?.servername).toBe('parc.test');
      expect(server.requests[0]?.headers.host).toBe(`parc.test:${server.port}`);
    });

    it('fails with tls_failure when the certificate is not trusted', async () => {
      const record = await newCaller().call(get(`https://parc.test:${server.port}/`));
      expect(record.error).toEqual({ code: 'tls_failure', message: expect.stringContaining(`TLS with parc.test:${server.port} failed: `) });
      expect(server.requests).toHaveLength(0);
    });

    it('fails with tls_failure when the certificate names another host than the URL', async () => {
      const record = await newCaller({ extraCaCertificates: [PARC_TEST_CERT] }).call(get(`https://127.0.0.1:${server.port}/`));
      expect(record.error?.code).toBe('tls_failure');
      expect(record.error?.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    });
  });

  describe('against a server that accepts TCP and never completes the TLS handshake', () => {
    it('reports connect_timeout when the attempt deadline passes while connecting', async () => {
      const silent = await startSilentServer();
      try {
        const record = await newCaller().call(get(`https://127.0.0.1:${silent.port}/`, 150));
        expect(record.error).toEqual({ code: 'connect_timeout', message: `no connection to 127.0.0.1:${silent.port} within 150 ms` });
        expect(silent.connections).toBe(1);
      } finally {
        await silent.close();
      }
    });

    it("reports connect_timeout when undici's connect budget runs out first", async () => {
      const silent = await startSilentServer();
      try {
        const record = await newCaller({ connectTimeoutMs: 100 }).call(get(`https://127.0.0.1:${silent.port}/`, 5000));
        expect(record.error).toMatchObject({ code: 'connect_timeout', message: expect.stringContaining('timed out') });
        expect(record.durationMs).toBeLessThan(2000);
      } finally {
        await silent.close();
      }
    });
  });
});
