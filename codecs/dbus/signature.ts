/**
 * The D-Bus type system: a signature string parsed into a tree of types, from which marshalling
 * and unmarshalling both follow (marshal.ts, unmarshal.ts), and each type's alignment on the wire.
 * Limits are the specification's: a signature is at most 255 bytes and nests at most 32 arrays and
 * 32 structures (dict entries count as structures) within itself.
 */

/** Single-character types whose values are not containers. */
export type BasicCode = 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'd' | 's' | 'o' | 'g' | 'h';

export interface BasicType {
  readonly code: BasicCode;
}
export interface ArrayType {
  readonly code: 'a';
  readonly elem: ElementType;
}
export interface StructType {
  readonly code: '(';
  readonly fields: readonly SingleType[];
}
/** `{KV}`: legal only as the element of an array, whose value is then a Map. */
export interface DictEntryType {
  readonly code: '{';
  readonly key: BasicType;
  readonly value: SingleType;
}
export interface VariantType {
  readonly code: 'v';
}

/** One complete type. */
export type SingleType = BasicType | ArrayType | StructType | VariantType;
export type ElementType = SingleType | DictEntryType;
export type TypeCode = ElementType['code'];

export const MAX_SIGNATURE_LENGTH = 255;
export const MAX_ARRAY_NESTING = 32;
export const MAX_STRUCT_NESTING = 32;

const BASIC_CODES = new Set<string>(['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g', 'h']);

/** Bytes each type's values start on, counted from the start of the message. */
export function alignmentOf(code: TypeCode): 1 | 2 | 4 | 8 {
  switch (code) {
    case 'y':
    case 'g':
    case 'v':
      return 1;
    case 'n':
    case 'q':
      return 2;
    case 'b':
    case 'i':
    case 'u':
    case 's':
    case 'o':
    case 'h':
    case 'a':
      return 4;
    case 'x':
    case 't':
    case 'd':
    case '(':
    case '{':
      return 8;
  }
}

/** The signature string of a type (the inverse of parsing). */
export function signatureOf(type: ElementType): string {
  switch (type.code) {
    case 'a':
      return 'a' + signatureOf(type.elem);
    case '(':
      return '(' + type.fields.map(signatureOf).join('') + ')';
    case '{':
      return '{' + type.key.code + signatureOf(type.value) + '}';
    default:
      return type.code;
  }
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

class SignatureError extends Error {}

/** Recursive descent over one signature string, counting nesting as it goes. */
class SignatureParser {
  at = 0;
  private arrays = 0;
  private structs = 0;
  constructor(private readonly text: string) {}

  fail(why: string): never {
    throw new SignatureError(`signature "${this.text}": ${why} at ${this.at}`);
  }

  single(): SingleType {
    const c = this.text[this.at];
    if (c === undefined) this.fail('a type is missing');
    if (BASIC_CODES.has(c)) {
      this.at++;
      return basic(c as BasicCode);
    }
    switch (c) {
      case 'v':
        this.at++;
        return VARIANT;
      case 'a': {
        this.at++;
        if (++this.arrays > MAX_ARRAY_NESTING) this.fail('arrays nest deeper than 32');
        const elem = this.text[this.at] === '{' ? this.dictEntry() : this.single();
        this.arrays--;
        return { code: 'a', elem };
      }
      case '(': {
        this.at++;
        if (++this.structs > MAX_STRUCT_NESTING) this.fail('structures nest deeper than 32');
        const fields: SingleType[] = [];
        while (this.text[this.at] !== ')') fields.push(this.single());
        if (fields.length === 0) this.fail('empty structure');
        this.at++;
        this.structs--;
        return { code: '(', fields };
      }
      default:
        return this.fail(`unexpected "${c}"`);
    }
  }

  private dictEntry(): DictEntryType {
    this.at++;
    if (++this.structs > MAX_STRUCT_NESTING) this.fail('structures nest deeper than 32');
    const key = this.single();
    if (!isBasic(key)) this.fail('a dict entry key must be a basic type');
    const value = this.single();
    if (this.text[this.at] !== '}') this.fail('a dict entry holds exactly two types');
    this.at++;
    this.structs--;
    return { code: '{', key, value };
  }
}

const isBasic = (t: ElementType): t is BasicType => BASIC_CODES.has(t.code);

const BASICS = new Map<BasicCode, BasicType>([...BASIC_CODES].map((c) => [c as BasicCode, { code: c as BasicCode }]));
const basic = (c: BasicCode): BasicType => BASICS.get(c)!;
const VARIANT: VariantType = { code: 'v' };

/**
 * Signatures parsed before, good ones only: a peer uses a handful (each message's body, each
 * variant in its header), and a parse per message was a good share of an idle update's cost.
 * Bounded, so a peer sending ever new signatures only stops them being kept.
 */
const parsedSignatures = new Map<string, Parsed<readonly SingleType[]>>();
const PARSED_KEPT = 256;

/** Parses a signature of any number of complete types (a message body's, say). */
export function parseSignature(text: string): Parsed<readonly SingleType[]> {
  const known = parsedSignatures.get(text);
  if (known) return known;
  if (text.length > MAX_SIGNATURE_LENGTH) return { ok: false, error: `signature longer than ${MAX_SIGNATURE_LENGTH}` };
  const parser = new SignatureParser(text);
  try {
    const types: SingleType[] = [];
    while (parser.at < text.length) types.push(parser.single());
    const result = { ok: true, value: types } as const;
    if (parsedSignatures.size < PARSED_KEPT) parsedSignatures.set(text, result);
    return result;
  } catch (e) {
    if (e instanceof SignatureError) return { ok: false, error: e.message };
    throw e;
  }
}

/** Parses a signature that must be exactly one complete type (a variant's). */
export function parseSingle(text: string): Parsed<SingleType> {
  const parsed = parseSignature(text);
  if (!parsed.ok) return parsed;
  if (parsed.value.length !== 1) return { ok: false, error: `signature "${text}" is not exactly one complete type` };
  return { ok: true, value: parsed.value[0]! };
}

/**
 * The types of a signature written in code: a bad one is a programming error and throws.
 * Signatures read from the wire go through parseSignature, which keeps what it parsed too.
 */
export function typesOf(signature: string): readonly SingleType[] {
  const types = parseSignature(signature);
  if (!types.ok) throw new TypeError(types.error);
  return types.value;
}
