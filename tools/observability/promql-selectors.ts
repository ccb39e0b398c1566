/**
 * The series selectors of a PromQL expression — metric names and the label names they match on —
 * enough to check that a dashboard or an alert asks only for series Parc exports. Not a full
 * PromQL parser: string literals, grouping clauses (`by`, `without`, `on`, `ignoring`,
 * `group_left`, `group_right`), range and subquery brackets and `offset` are set aside first;
 * what is left is functions (a name before `(`), keywords, numbers and selectors.
 */

export interface Selector {
  /** The metric name, or undefined for a selector such as `{job="x"}` that names none. */
  readonly metric: string | undefined;
  /** Label names in the selector's matchers (`__name__` excluded). */
  readonly labels: readonly string[];
}

/** Words that are not metric names where they stand: binary operators and modifiers, special numbers. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'atan2', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
const GRAFANA_VARIABLE = /\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g;
const BRACKETS = /\[[^\]]*\]/g;
const OFFSET = /\boffset\s+-?[0-9a-zA-Z_$.]+/g;
const IDENTIFIER = /[A-Za-z_:][A-Za-z0-9_:]*/y;
const NUMBER = /(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)/y;
const MATCHER = /([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*""/g;

/** Every selector in `expr`, in order. */
export function selectorsOf(expr: string): Selector[] {
  // Matcher values are blanked rather than removed, so `{a="x"}` keeps its shape.
  const text = expr.replace(STRING, '""').replace(GRAFANA_VARIABLE, '1').replace(GROUPING, ' ').replace(BRACKETS, ' ').replace(OFFSET, ' ');
  const selectors: Selector[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/[0-9.]/.test(char)) {
      NUMBER.lastIndex = i;
      const number = NUMBER.exec(text);
      i += number ? number[0].length : 1;
      continue;
    }
    if (char === '{') {
      const end = text.indexOf('}', i);
      const matchers = text.slice(i + 1, end === -1 ? text.length : end);
      selectors.push(selectorFrom(undefined, matchers));
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    IDENTIFIER.lastIndex = i;
    const identifier = IDENTIFIER.exec(text);
    if (identifier === null) {
      i++;
      continue;
    }
    const name = identifier[0];
    let next = i + name.length;
    while (next < text.length && /\s/.test(text[next] as string)) next++;
    if (text[next] === '(' || KEYWORDS.has(name.toLowerCase())) {
      i += name.length;
      continue;
    }
    if (text[next] === '{') {
      const end = text.indexOf('}', next);
      selectors.push(selectorFrom(name, text.slice(next + 1, end === -1 ? text.length : end)));
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    selectors.push({ metric: name, labels: [] });
    i += name.length;
  }
  return selectors;
}

function selectorFrom(metric: string | undefined, matchers: string): Selector {
  const labels = [...matchers.matchAll(MATCHER)].map((match) => match[1] as string);
  if (metric === undefined && labels.includes('__name__')) {
    // {__name__="x"}: the name is in the (blanked) value; such a selector is reported without one.
    return { metric: undefined, labels: labels.filter((label) => label !== '__name__') };
  }
  return { metric, labels: labels.filter((label) => label !== '__name__') };
}
