import { parseDestinationLimits } from './destinations';

describe('DESTINATION_LIMITS', () => {
  it('reads limits per origin', () => {
    expect(parseDestinationLimits('{"https://api.example.com": {"rate": 50, "parallelism": 10}, "http://10.0.0.5:8080": {"adaptive": true}}')).toEqual(
      new Map([
        ['https://api.example.com', { rate: 50, periodMs: 1_000, parallelism: 10 }],
        ['http://10.0.0.5:8080', { adaptive: true }],
      ]),
    );
    expect(parseDestinationLimits(undefined)).toEqual(new Map());
  });

  it.each([
    ['not json', /DESTINATION_LIMITS: is not JSON/],
    ['[1]', /DESTINATION_LIMITS: must be a JSON object from origin to limits/],
    ['{"api.example.com": {"rate": 1}}', /DESTINATION_LIMITS: "api.example.com" is not an origin/],
    ['{"https://API.example.com/": {"rate": 1}}', /must be written as its origin, "https:\/\/api.example.com"/],
    ['{"https://a.example": {"rate": 0}}', /https:\/\/a.example: rate must be an integer from 1 to 100000, got 0/],
    ['{"https://a.example": {"periodMs": 10}}', /periodMs is the window of rate/],
    ['{"https://a.example": {"burst": 10}}', /burst is not one of rate, periodMs, parallelism, adaptive/],
  ])('refuses %s, naming the variable', (raw, message) => {
    expect(() => parseDestinationLimits(raw)).toThrow(message);
  });
});
