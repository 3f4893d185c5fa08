/**
 * The syntax of D-Bus names and paths (specification, "Valid names" and "Valid Object Paths"),
 * checked on what we send and on the header fields we receive.
 */

/** An object path, checked: `/`, or `/`-separated non-empty runs of [A-Za-z0-9_]. */
export type ObjectPath = string & { readonly __brand: 'ObjectPath' };

const PATH = /^\/(?:[A-Za-z0-9_]+(?:\/[A-Za-z0-9_]+)*)?$/;
const ELEMENT = '[A-Za-z_][A-Za-z0-9_]*';
const INTERFACE = new RegExp(`^${ELEMENT}(?:\\.${ELEMENT})+$`);
const MEMBER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UNIQUE = /^:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$/;
const WELL_KNOWN = /^[A-Za-z_-][A-Za-z0-9_-]*(?:\.[A-Za-z_-][A-Za-z0-9_-]*)+$/;
const MAX_NAME = 255;

export const isObjectPath = (s: string): s is ObjectPath => PATH.test(s);
export const isInterfaceName = (s: string): boolean => s.length <= MAX_NAME && INTERFACE.test(s);
/** Error names have the syntax of interface names. */
export const isErrorName = isInterfaceName;
export const isMemberName = (s: string): boolean => s.length <= MAX_NAME && MEMBER.test(s);
export const isBusName = (s: string): boolean => s.length <= MAX_NAME && (UNIQUE.test(s) || WELL_KNOWN.test(s));

/** A path written in code; a bad one is a programming error. */
export function objectPath(s: string): ObjectPath {
  if (!isObjectPath(s)) throw new TypeError(`not a D-Bus object path: ${JSON.stringify(s)}`);
  return s;
}
