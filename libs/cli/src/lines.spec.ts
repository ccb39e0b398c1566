import { LineBuffer } from './lines';

const feed = (chunks: string[]) => {
  const buffer = new LineBuffer();
  const out = chunks.map((chunk) => buffer.push(Buffer.from(chunk)));
  return { bytes: out.map((o) => o.bytes.toString()), lines: out.flatMap((o) => o.lines.map((l) => l.toString())), rest: buffer.rest().toString() };
};

describe('LineBuffer', () => {
  it.each([
    { name: 'whole lines in one chunk', chunks: ['a\nb\n'], bytes: ['a\nb\n'], lines: ['a', 'b'], rest: '' },
    { name: 'a line split over chunks is given once whole', chunks: ['{"id":', '"1"}\n{"i', 'd":"2"}\n'], bytes: ['', '{"id":"1"}\n', '{"id":"2"}\n'], lines: ['{"id":"1"}', '{"id":"2"}'], rest: '' },
    { name: 'an unfinished last line is kept back', chunks: ['a\nb'], bytes: ['a\n'], lines: ['a'], rest: 'b' },
    { name: 'CRLF stays as it came', chunks: ['a\r\n'], bytes: ['a\r\n'], lines: ['a\r'], rest: '' },
    { name: 'empty chunks', chunks: ['', 'a', '', '\n'], bytes: ['', '', '', 'a\n'], lines: ['a'], rest: '' },
  ])('$name', ({ chunks, bytes, lines, rest }) => {
    expect(feed(chunks)).toEqual({ bytes, lines, rest });
  });
});
