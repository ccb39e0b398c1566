import { DEFAULT_PARC_URL, resolveConfig } from './config';
import { isCliError } from './errors';

describe('resolveConfig', () => {
  it.each([
    { name: 'defaults: the embedded mode, no key', env: {}, flags: {}, baseUrl: DEFAULT_PARC_URL, apiKey: undefined },
    { name: 'the environment', env: { PARC_URL: 'https://parc.example.com/', PARC_API_KEY: 'k-0123456789abcdef' }, flags: {}, baseUrl: 'https://parc.example.com', apiKey: 'k-0123456789abcdef' },
    { name: 'flags win over the environment', env: { PARC_URL: 'http://a:1', PARC_API_KEY: 'env-key' }, flags: { url: 'http://b:2', apiKey: 'flag-key' }, baseUrl: 'http://b:2', apiKey: 'flag-key' },
    { name: 'empty values count as unset', env: { PARC_URL: '', PARC_API_KEY: ' ' }, flags: { url: '' }, baseUrl: DEFAULT_PARC_URL, apiKey: undefined },
    { name: 'a path prefix is kept, trailing slashes are not', env: { PARC_URL: 'https://gw.example.com/parc//' }, flags: {}, baseUrl: 'https://gw.example.com/parc', apiKey: undefined },
  ])('$name', ({ env, flags, baseUrl, apiKey }) => {
    expect(resolveConfig(env, flags)).toEqual({ baseUrl, apiKey });
  });

  it.each([
    { name: 'not a URL', url: '127.0.0.1:8080', message: /--url 127.0.0.1:8080 is not/ },
    { name: 'another scheme', url: 'ftp://x', message: /not an http\(s\) URL/ },
    { name: 'a query', url: 'http://x/?a=1', message: /query or fragment/ },
  ])('refuses $name as a usage error', ({ url, message }) => {
    let caught: unknown;
    try {
      resolveConfig({}, { url });
    } catch (error) {
      caught = error;
    }
    expect(isCliError(caught, 'USAGE')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
