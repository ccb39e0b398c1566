import { findJava, parseJavaVersion } from './java';

describe('parseJavaVersion', () => {
  it('reads the major version from both numbering schemes', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toEqual({
      major: 17,
      version: '17.0.15',
    });
    expect(parseJavaVersion('java version "1.8.0_392"')).toEqual({ major: 8, version: '1.8.0_392' });
    expect(parseJavaVersion('openjdk version "21" 2023-09-19')).toEqual({ major: 21, version: '21' });
    expect(parseJavaVersion('openjdk version "25-ea" 2025-09-16')).toEqual({ major: 25, version: '25-ea' });
    expect(parseJavaVersion('command not found')).toBeUndefined();
  });
});

describe('findJava', () => {
  it('reports java missing from PATH', async () => {
    await expect(findJava({ PATH: '/nonexistent-parc' })).resolves.toEqual({ ok: false, reason: 'java: not found' });
  });
});
