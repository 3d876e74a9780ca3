// A strict little XML 1.0 reader for the JUnit tests: enough of the spec (declaration,
// elements, attributes, character data, the five entities and character references) to prove
// a document is well-formed and to read it back, without a dependency. It throws on anything
// a conforming parser would reject in that subset.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: (XmlElement | string)[];
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parses a document and returns its root element; throws with the offset on malformed input. */
export function parseXml(xml: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`malformed XML at ${pos}: ${what} near ${JSON.stringify(xml.slice(pos, pos + 40))}`);
  };
  const skipSpace = (): void => {
    while (pos < xml.length && /[ \t\r\n]/.test(xml[pos] ?? '')) pos += 1;
  };
  const checkChars = (value: string): void => {
    for (const char of value) {
      const code = char.codePointAt(0) ?? 0;
      const legal =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (!legal) fail(`illegal character U+${code.toString(16).padStart(4, '0')}`);
    }
  };
  const decode = (raw: string): string => {
    checkChars(raw);
    return raw.replace(/&([^;]*);|&/g, (match, body: string | undefined) => {
      if (body === undefined) return fail('bare "&"');
      if (body.startsWith('#')) {
        const code = body.startsWith('#x') ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
        if (!Number.isFinite(code)) return fail(`bad character reference ${match}`);
        const char = String.fromCodePoint(code);
        checkChars(char);
        return char;
      }
      const entity = ENTITIES[body];
      return entity ?? fail(`unknown entity ${match}`);
    });
  };
  const readName = (): string => {
    const match = NAME.exec(xml.slice(pos));
    if (match === null) return fail('expected a name');
    pos += match[0].length;
    return match[0];
  };

  const readElement = (): XmlElement => {
    if (xml[pos] !== '<') fail('expected "<"');
    pos += 1;
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = pos;
      skipSpace();
      if (xml.startsWith('/>', pos)) {
        pos += 2;
        return { name, attributes, children: [] };
      }
      if (xml[pos] === '>') {
        pos += 1;
        break;
      }
      if (pos === before) fail('expected whitespace before an attribute');
      const key = readName();
      if (key in attributes) fail(`duplicate attribute ${key}`);
      skipSpace();
      if (xml[pos] !== '=') fail('expected "="');
      pos += 1;
      skipSpace();
      const quote = xml[pos];
      if (quote !== '"' && quote !== "'") return fail('expected a quoted value');
      const end = xml.indexOf(quote, pos + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = xml.slice(pos + 1, end);
      if (raw.includes('<')) fail('"<" in an attribute value');
      // Attribute-value normalisation: literal whitespace characters become spaces.
      attributes[key] = decode(raw.replace(/[\t\n\r]/g, ' '));
      pos = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      if (pos >= xml.length) fail(`unclosed <${name}>`);
      if (xml.startsWith('</', pos)) {
        pos += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipSpace();
        if (xml[pos] !== '>') fail('expected ">"');
        pos += 1;
        return { name, attributes, children };
      }
      if (xml[pos] === '<') {
        children.push(readElement());
        continue;
      }
      const next = xml.indexOf('<', pos);
      const raw = xml.slice(pos, next < 0 ? xml.length : next);
      if (raw.includes(']]>')) fail('"]]>" in character data');
      children.push(decode(raw));
      pos += raw.length;
    }
  };

  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    pos = end + 2;
  }
  skipSpace();
  const root = readElement();
  skipSpace();
  if (pos !== xml.length) fail('content after the root element');
  return root;
}

/** The element children of an element with a given name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child): child is XmlElement => typeof child !== 'string' && child.name === name);
}

/** The concatenated text content of an element. */
export function textOf(element: XmlElement): string {
  return element.children.map((child) => (typeof child === 'string' ? child : textOf(child))).join('');
}
