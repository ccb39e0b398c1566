import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { isParcError } from '@parc/errors';
import {
  generateWebhookSecret,
  parseWebhookSecret,
  parseWebhookSecrets,
  signWebhook,
  verifyWebhook,
  type WebhookHeaders,
} from './index';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const SECRET_TEXT = `whsec_${KEY.toString('base64')}`;
const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0, 789);
const ID = '01JHNB4J00ABCDEFGHJKMNPQRS';
const BODY = '{"id":"01JHNB4J00ABCDEFGHJKMNPQRS","status":"succeeded"}';

const asRecord = (headers: WebhookHeaders): Record<string, string> & WebhookHeaders => ({ ...headers });

describe('parseWebhookSecret', () => {
  it('accepts whsec_ + padded base64 of 24–64 bytes, ignoring surrounding whitespace', () => {
    expect(parseWebhookSecret(`  ${SECRET_TEXT}\n`).reveal()).toBe(SECRET_TEXT);
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toBeDefined();
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(64, 1).toString('base64')}`)).toBeDefined();
  });

  it.each([
    { name: 'no prefix', text: KEY.toString('base64'), message: /must start with "whsec_"/ },
    { name: 'empty key', text: 'whsec_', message: /padded standard base64/ },
    { name: 'base64url alphabet', text: `whsec_${KEY.toString('base64url')}`, message: /padded standard base64/ },
    { name: 'inner space', text: `whsec_${KEY.toString('base64').slice(0, 8)} ${KEY.toString('base64').slice(8)}`, message: /base64/ },
    { name: 'too short', text: `whsec_${Buffer.alloc(23).toString('base64')}`, message: /24–64 bytes, got 23/ },
    { name: 'too long', text: `whsec_${Buffer.alloc(65).toString('base64')}`, message: /got 65/ },
  ])('refuses $name with WEBHOOK_SECRET_INVALID, never quoting the secret', ({ text, message }) => {
    let caught: unknown;
    try {
      parseWebhookSecret(text);
    } catch (error) {
      caught = error;
    }
    expect(isParcError(caught, 'WEBHOOK_SECRET_INVALID')).toBe(true);
    expect((caught as Error).message).toMatch(message);
    const encoded = text.replace(/^whsec_/, '');
    if (encoded.length > 0) expect((caught as Error).message).not.toContain(encoded);
  });

  it('parses a rotation list and names the bad entry by position', () => {
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(parseWebhookSecrets(`${SECRET_TEXT}, ${other}`).map((s) => s.reveal())).toEqual([SECRET_TEXT, other]);
    expect(() => parseWebhookSecrets(`${SECRET_TEXT} whsec_nope`)).toThrow(/#2/);
    expect(() => parseWebhookSecrets(' , ')).toThrow(/empty/);
  });

  it('never shows the key when logged, stringified or inspected', () => {
    const secret = parseWebhookSecret(SECRET_TEXT);
    const encoded = KEY.toString('base64');
    for (const shown of [JSON.stringify({ secret }), String(secret), inspect(secret), inspect({ secret })]) {
      expect(shown).not.toContain(encoded);
      expect(shown).toContain('redacted');
    }
  });

  it('generates random secrets that parse back', () => {
    const secret = generateWebhookSecret(32, () => Buffer.alloc(32, 9));
    expect(secret.reveal()).toBe(`whsec_${Buffer.alloc(32, 9).toString('base64')}`);
    expect(parseWebhookSecret(generateWebhookSecret().reveal())).toBeDefined();
    expect(() => generateWebhookSecret(8)).toThrow(RangeError);
  });
});

describe('signWebhook', () => {
  it('matches an HMAC-SHA256 of "id.timestamp.body" computed by hand, in the v1 format', () => {
    const headers = signWebhook({ id: ID, nowMs: NOW_MS, body: BODY, secrets: [parseWebhookSecret(SECRET_TEXT)] });
    const timestamp = String(Math.floor(NOW_MS / 1000));
    const expected = createHmac('sha256', KEY).update(`${ID}.${timestamp}.${BODY}`).digest('base64');
    expect(headers).toEqual({ 'webhook-id': ID, 'webhook-timestamp': '1736942400', 'webhook-signature': `v1,${expected}` });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('reproduces the Standard Webhooks specification example (interoperability)', () => {
    const headers = signWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      nowMs: 1614265330 * 1000,
      body: '{"test": 2432232314}',
      secrets: [parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')],
    });
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs bytes and the equal string identically', () => {
    const secrets = [parseWebhookSecret(SECRET_TEXT)];
    const fromText = signWebhook({ id: ID, nowMs: NOW_MS, body: BODY, secrets });
    expect(signWebhook({ id: ID, nowMs: NOW_MS, body: Buffer.from(BODY), secrets })).toEqual(fromText);
  });

  it('puts one space-separated signature per secret, in order (rotation)', () => {
    const [current, previous] = [parseWebhookSecret(SECRET_TEXT), generateWebhookSecret()];
    const signatures = signWebhook({ id: ID, nowMs: NOW_MS, body: BODY, secrets: [current, previous] })['webhook-signature'].split(' ');
    expect(signatures).toEqual([
      signWebhook({ id: ID, nowMs: NOW_MS, body: BODY, secrets: [current] })['webhook-signature'],
      signWebhook({ id: ID, nowMs: NOW_MS, body: BODY, secrets: [previous] })['webhook-signature'],
    ]);
  });

  it.each([
    { name: 'no secret', id: ID, secrets: [] },
    { name: 'an id with a space', id: 'a b', secrets: [generateWebhookSecret()] },
    { name: 'an empty id', id: '', secrets: [generateWebhookSecret()] },
  ])('refuses $name', ({ id, secrets }) => {
    expect(() => signWebhook({ id, nowMs: NOW_MS, body: BODY, secrets })).toThrow(TypeError);
  });
});

describe('verifyWebhook', () => {
  const secret = parseWebhookSecret(SECRET_TEXT);
  const signed = asRecord(signWebhook({ id: ID, nowMs: NOW_MS, body: BODY, secrets: [secret] }));

  it('accepts what signWebhook produced, with header names in any case', () => {
    const upper = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook({ headers: upper, body: BODY, secrets: [secret], nowMs: NOW_MS })).toEqual({
      ok: true,
      id: ID,
      timestampSeconds: 1736942400,
    });
  });

  it.each([
    { name: 'at the old edge', offsetS: 300, ok: true },
    { name: 'just too old', offsetS: 301, reason: 'timestamp_too_old' },
    { name: 'at the future edge', offsetS: -300, ok: true },
    { name: 'just too new', offsetS: -301, reason: 'timestamp_too_new' },
  ])('applies the 5-minute default tolerance: $name', ({ offsetS, ok, reason }) => {
    const result = verifyWebhook({ headers: signed, body: BODY, secrets: [secret], nowMs: NOW_MS + offsetS * 1000 });
    expect(result).toEqual(ok ? expect.objectContaining({ ok: true }) : { ok: false, reason });
  });

  it('takes a custom tolerance', () => {
    const nowMs = NOW_MS + 10_000;
    expect(verifyWebhook({ headers: signed, body: BODY, secrets: [secret], nowMs, toleranceSeconds: 5 })).toEqual({ ok: false, reason: 'timestamp_too_old' });
  });

  it.each([
    { name: 'a changed body', change: { body: BODY.replace('succeeded', 'failed') } },
    { name: 'a changed id', change: { headers: { ...signed, 'webhook-id': 'other' } } },
    { name: 'another secret', change: { secrets: [generateWebhookSecret()] } },
    { name: 'a truncated signature', change: { headers: { ...signed, 'webhook-signature': signed['webhook-signature'].slice(0, 20) } } },
    { name: 'an unknown version', change: { headers: { ...signed, 'webhook-signature': signed['webhook-signature'].replace('v1,', 'v2,') } } },
  ])('rejects $name', ({ change }) => {
    const input = { headers: signed, body: BODY, secrets: [secret], nowMs: NOW_MS, ...change };
    expect(verifyWebhook(input)).toEqual({ ok: false, reason: 'no_matching_signature' });
  });

  it.each([
    { name: 'a missing signature', headers: { 'webhook-id': ID, 'webhook-timestamp': '1736942400' }, reason: 'missing_headers' },
    { name: 'a non-numeric timestamp', headers: { ...signed, 'webhook-timestamp': '1736942400.5' }, reason: 'invalid_timestamp' },
  ])('rejects $name', ({ headers, reason }) => {
    expect(verifyWebhook({ headers, body: BODY, secrets: [secret], nowMs: NOW_MS })).toEqual({ ok: false, reason });
  });

  it('verifies during a rotation: either secret on either side', () => {
    const next = generateWebhookSecret(48, randomBytes);
    const both = asRecord(signWebhook({ id: ID, nowMs: NOW_MS, body: BODY, secrets: [next, secret] }));
    expect(verifyWebhook({ headers: both, body: BODY, secrets: [secret], nowMs: NOW_MS }).ok).toBe(true);
    expect(verifyWebhook({ headers: both, body: BODY, secrets: [next], nowMs: NOW_MS }).ok).toBe(true);
    expect(verifyWebhook({ headers: signed, body: BODY, secrets: [next, secret], nowMs: NOW_MS }).ok).toBe(true);
  });

  it('skips signatures of other schemes (e.g. v1a) beside a valid v1', () => {
    const mixed = { ...signed, 'webhook-signature': `v1a,AAAA ${signed['webhook-signature']}` };
    expect(verifyWebhook({ headers: mixed, body: BODY, secrets: [secret], nowMs: NOW_MS }).ok).toBe(true);
  });
});
