import type { cursorProtocol } from '../../../codecs/protocol/channels/cursor.js';
import type { MergeRules } from '../../../runtime/merge-rules.js';

type CursorMessage = { kind: keyof (typeof cursorProtocol)['server']['defs'] & string };

/** What may merge while it waits for a cursor client's socket: a position only the latest. */
export const cursorClientRules: MergeRules<CursorMessage> = { move: { latest: true } };
