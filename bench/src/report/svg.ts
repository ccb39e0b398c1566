/**
 * Just enough SVG 1.1 to draw the report's charts as text: escaped elements, coordinates
 * rounded so that output is byte-for-byte stable, and a standalone document wrapper.
 */

/** Escapes text and attribute values for XML (all five predefined entities). */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => {
    switch (char) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}

/**
 * A coordinate or length as text: one decimal is finer than a pixel at 800×480, and rounding
 * keeps float noise (and "-0") out of the bytes.
 */
export function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return String(rounded === 0 ? 0 : rounded);
}

export type Attrs = Readonly<Record<string, string | number | undefined>>;

function attrText(attrs: Attrs): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${typeof value === 'number' ? num(value) : xmlEscape(value)}"`)
    .join('');
}

/** An element; children are SVG already (use `text` for character data). No children → self-closing. */
export function el(name: string, attrs: Attrs, children: readonly string[] = []): string {
  return children.length === 0 ? `<${name}${attrText(attrs)}/>` : `<${name}${attrText(attrs)}>${children.join('')}</${name}>`;
}

/** A <text> element with escaped content. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return `<text${attrText({ x, y, ...attrs })}>${xmlEscape(content)}</text>`;
}

/** A polyline's `points` attribute. */
export function points(xy: readonly (readonly [number, number])[]): string {
  return xy.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');
}

export interface SvgDocument {
  readonly width: number;
  readonly height: number;
  /** Shown as a tooltip and read by screen readers. */
  readonly title: string;
  /** The chart's data in words, for readers that cannot see it. */
  readonly description: string;
  readonly body: readonly string[];
}

// Fonts every desktop and rsvg has; the chart's text widths are estimated for a sans-serif face.
export const FONT_FAMILY = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** A standalone SVG 1.1 file: XML declaration, namespace, fixed size and viewBox, white background. */
export function svgDocument(doc: SvgDocument): string {
  const root = {
    xmlns: 'http://www.w3.org/2000/svg',
    version: '1.1',
    width: doc.width,
    height: doc.height,
    viewBox: `0 0 ${doc.width} ${doc.height}`,
    'font-family': FONT_FAMILY,
    'font-size': 12,
  };
  const body = [
    el('title', {}, [xmlEscape(doc.title)]),
    el('desc', {}, [xmlEscape(doc.description)]),
    el('rect', { x: 0, y: 0, width: doc.width, height: doc.height, fill: '#ffffff' }),
    ...doc.body,
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('svg', root, body.map((part) => `\n${part}`).concat('\n'))}\n`;
}

/** A rough width of a text run, for sizing legend boxes (sans-serif averages ~0.6 em per character). */
export function textWidth(content: string, fontSize: number): number {
  return content.length * fontSize * 0.6;
}
