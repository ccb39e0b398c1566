import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SCALING_POLICY } from '@parc/scaling';
import { defaultConfig } from './model';
import { poisson, seededRandom } from './random';
import { jsonText, toJson, writeResults } from './report';
import { simulateTrace } from './run';
import type { Trace } from './trace';

const CONFIG = defaultConfig(DEFAULT_SCALING_POLICY);
const burst: Trace = { name: 'burst', description: 'A short burst.', points: [[0, 200], [20, 200], [20, 1_500], [30, 1_500], [30, 200], [90, 200]] };

describe('a simulation run', () => {
  it('is deterministic: the same seed gives byte-identical results, another seed other arrivals', () => {
    const once = jsonText(toJson(simulateTrace(burst, CONFIG), CONFIG));
    const twice = jsonText(toJson(simulateTrace(burst, CONFIG), CONFIG));
    expect(twice).toBe(once);
    const reseeded = jsonText(toJson(simulateTrace(burst, { ...CONFIG, seed: 2 }), { ...CONFIG, seed: 2 }));
    expect(reseeded).not.toBe(once);
  });

  it('gives every controller the same arrivals', () => {
    const run = simulateTrace(burst, CONFIG);
    const arrived = run.runs.map(({ metrics }) => metrics.completed + metrics.unfinished);
    expect(new Set(arrived).size).toBe(1);
    // Poisson arrivals around the trace's 31,000 requests (200/s for 80 s, 1,500/s for 10 s).
    expect(arrived[0]).toBeGreaterThan(30_400);
    expect(arrived[0]).toBeLessThan(31_600);
  });

  it('writes the JSON, the Markdown table with every controller, and the chart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
    const written = writeResults(simulateTrace(burst, CONFIG), CONFIG, dir);
    expect(written.markdown).toBe(join(dir, 'simulate-burst.md'));
    const markdown = readFileSync(written.markdown, 'utf8');
    for (const name of ['parc', 'static-peak', 'static-mean', 'hpa-like', 'keda-like']) expect(markdown).toMatch(new RegExp(`^\\| ${name} \\|`, 'm'));
    expect(markdown).toContain('![Workload and CPU allocated per controller](simulate-burst.svg)');
    const svg = readFileSync(written.svg, 'utf8');
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
    expect(svg.match(/<polyline /g)).toHaveLength(7); // workload, five controllers, needed
    const json = JSON.parse(readFileSync(written.json, 'utf8')) as { controllers: { controller: string }[]; timelines: { rows: Record<string, unknown[]> } };
    expect(json.controllers.map((c) => c.controller)).toEqual(['parc', 'static-peak', 'static-mean', 'hpa-like', 'keda-like']);
    expect(json.timelines.rows['parc']).toHaveLength(90);
  });
});

describe('seeded randomness', () => {
  it('repeats per seed and stream, and differs between them', () => {
    const draws = (seed: number, stream: number): number[] => Array.from({ length: 5 }, seededRandom(seed, stream));
    expect(draws(1, 0)).toEqual(draws(1, 0));
    expect(draws(1, 0)).not.toEqual(draws(1, 1));
    expect(draws(1, 0)).not.toEqual(draws(2, 0));
    for (const value of draws(3, 0)) expect(value >= 0 && value < 1).toBe(true);
  });

  it('draws Poisson counts with the right mean, small and large', () => {
    const random = seededRandom(7);
    for (const mean of [0.5, 4, 200]) {
      const samples = Array.from({ length: 4_000 }, () => poisson(random, mean));
      const average = samples.reduce((sum, value) => sum + value, 0) / samples.length;
      expect(Math.abs(average - mean)).toBeLessThan(0.05 * mean + 0.05);
    }
  });
});
