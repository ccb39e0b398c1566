import type { FieldIssue } from '@parc/errors';
import type { EnvelopeLimits } from './limits';
import { HTTP_TOKEN_PATTERN, type HttpMethod } from './schema';

const TOKEN = new RegExp(HTTP_TOKEN_PATTERN);

/**
 * Headers Parc refuses to forward: hop-by-hop and framing headers belong to one connection and
 * are set by the HTTP client from the actual body and target; `expect: 100-continue` is not
 * supported by the client.
 */
export const FORBIDDEN_REQUEST_HEADERS: readonly string[] = Object.freeze([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'expect',
]);

/** Methods whose requests must not carry a body. */
export const BODYLESS_METHODS: readonly HttpMethod[] = Object.freeze(['GET', 'HEAD'] as const);

/** Only HTAB, visible ASCII and obs-text (0x80–0xFF) may appear in a field value (RFC 9110 §5.5). */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
/**
 * WHATWG URL parsing silently drops tabs and newlines and trims spaces: refuse them instead.
 * (Written as "anything but visible ASCII and non-ASCII", i.e. spaces and C0 controls and DEL.)
 */
const URL_UNSAFE_CHAR = /[^\x21-\x7e\x80-\uffff]/;

const codePoint = (char: string): string => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Whether a URL's host name has an empty label (`localhost..`, `a..b`, `.a`). One trailing dot
 * is the fully-qualified form of the name (`example.com.`) and is fine; any other empty label
 * makes a name no resolver answers, so a request to it could only fail, attempt after attempt.
 */
export function hasEmptyHostLabel(hostname: string): boolean {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return name.split('.').includes('');
}

/** Problems with an absolute http(s) URL: length, characters, scheme, embedded credentials, host name. */
export function urlIssues(value: unknown, path: string, limits: Pick<EnvelopeLimits, 'maxUrlLength'>): FieldIssue[] {
  if (typeof value !== 'string' || value === '') return [];
  const issue = (message: string): FieldIssue[] => [{ path, message }];
  if (value.length > limits.maxUrlLength) {
    return issue(`must be at most ${limits.maxUrlLength} characters (limit maxUrlLength), got ${value.length}`);
  }
  const unsafe = URL_UNSAFE_CHAR.exec(value);
  if (unsafe) return issue(`must not contain spaces or control characters (found ${codePoint(unsafe[0])}); percent-encode them`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return issue('must be an absolute URL such as https://api.example.com/path');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return issue(`must use http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== '' || url.password !== '') {
    return issue('must not contain credentials; send them in a header such as Authorization');
  }
  if (hasEmptyHostLabel(url.hostname)) {
    return issue(`must have a valid host name: ${JSON.stringify(url.hostname)} has an empty label (at most one dot at the end, none in a row)`);
  }
  return [];
}

function headerIssue(name: string, value: unknown, seen: Map<string, string>): string | undefined {
  const lower = name.toLowerCase();
  if (!TOKEN.test(name)) return "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)";
  if (FORBIDDEN_REQUEST_HEADERS.includes(lower)) {
    return 'is a hop-by-hop or framing header that the HTTP client sets itself; remove it';
  }
  const earlier = seen.get(lower);
  if (earlier !== undefined) return `duplicates header ${earlier} (header names are case-insensitive); merge them`;
  seen.set(lower, name);
  const bad = typeof value === 'string' ? INVALID_VALUE_CHAR.exec(value) : null;
  if (bad) {
    return `must not contain CR, LF, NUL, other control characters or characters above U+00FF (found ${codePoint(bad[0])} at position ${bad.index})`;
  }
  return undefined;
}

/** Problems with a request's (or callback's) headers: count, total size, names, values. */
export function headerIssues(
  headers: unknown,
  path: string,
  limits: Pick<EnvelopeLimits, 'maxHeaderCount' | 'maxHeaderBytes'>,
): FieldIssue[] {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return [];
  const entries = Object.entries(headers as Record<string, unknown>);
  const issues: FieldIssue[] = [];
  if (entries.length > limits.maxHeaderCount) {
    issues.push({ path, message: `must have at most ${limits.maxHeaderCount} headers (limit maxHeaderCount), got ${entries.length}` });
  }
  const bytes = entries.reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(String(value)), 0);
  if (bytes > limits.maxHeaderBytes) {
    issues.push({
      path,
      message: `must total at most ${limits.maxHeaderBytes} bytes of names and values (limit maxHeaderBytes), got ${bytes}`,
    });
  }
  const seen = new Map<string, string>();
  for (const [name, value] of entries) {
    const message = headerIssue(name, value, seen);
    if (message !== undefined) issues.push({ path: `${path}.${name}`, message });
  }
  return issues;
}

/** Whether a method must not carry a body (methods are case-sensitive: `get` is not GET, and is refused anyway). */
export function isBodylessMethod(method: unknown): boolean {
  return (BODYLESS_METHODS as readonly unknown[]).includes(method);
}
