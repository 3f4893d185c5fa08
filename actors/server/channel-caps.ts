import { capWords, ChannelType, DisplayCap, InputsCap, MainCap } from '../../codecs/protocol/enums.js';

/** Channel caps the server advertises at link time, per channel type. */
export const serverChannelCaps: Partial<Record<number, readonly number[]>> = {
  // No migration caps: switch-host migration needs none, and with SEMI_SEAMLESS_MIGRATE a client would
  // wait for MIGRATE_BEGIN and MIGRATE_END, which are not sent.
  [ChannelType.main]: capWords([MainCap.nameAndUuid, MainCap.agentConnectedTokens]),
  [ChannelType.inputs]: capWords([InputsCap.keyScancode]),
  [ChannelType.cursor]: [],
  [ChannelType.display]: capWords([DisplayCap.monitorsConfig, DisplayCap.prefCompression]),
};
