import { LineSplitter, type Line } from './line-splitter';

function split(chunks: readonly string[], maxBytes = 10): (string | number)[] {
  const splitter = new LineSplitter(maxBytes);
  const lines: Line[] = [];
  for (const chunk of chunks) splitter.push(Buffer.from(chunk), (line) => lines.push(line));
  splitter.end((line) => lines.push(line));
  // A line is its text, or the byte count when it was too long.
  return lines.map((line) => ('bytes' in line ? line.bytes.toString() : line.tooLongBytes));
}

describe('LineSplitter', () => {
  it.each([
    { name: 'one chunk, several lines', chunks: ['a\nbb\nccc\n'], lines: ['a', 'bb', 'ccc'] },
    { name: 'no final newline', chunks: ['a\nbb'], lines: ['a', 'bb'] },
    { name: 'lines split across chunks', chunks: ['a', 'b\nc', 'd', '\n'], lines: ['ab', 'cd'] },
    { name: 'blank lines kept (numbering counts them)', chunks: ['\n\na\n'], lines: ['', '', 'a'] },
    { name: 'a newline alone at the end adds nothing', chunks: ['a\n'], lines: ['a'] },
    { name: 'a line at the limit', chunks: ['0123456789\n'], lines: ['0123456789'] },
    { name: 'a long line, reported by length', chunks: ['0123456789A\nok\n'], lines: [11, 'ok'] },
    { name: 'a long line across chunks', chunks: ['01234', '56789', 'ABCDE', '\nok'], lines: [15, 'ok'] },
    { name: 'an empty stream', chunks: [], lines: [] },
  ])('$name', ({ chunks, lines }) => {
    expect(split(chunks)).toEqual(lines);
  });

  it('numbers lines from 1, blank ones included', () => {
    const splitter = new LineSplitter(100);
    const numbers: number[] = [];
    splitter.push(Buffer.from('a\n\nb\n'), (line) => numbers.push(line.number));
    expect(numbers).toEqual([1, 2, 3]);
  });
});
