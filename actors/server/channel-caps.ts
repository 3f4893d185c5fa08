import { capWords, ChannelType, DisplayCap, InputsCap, MainCap } from '../../codecs/protocol/enums.js';

/** Channel caps the server advertises at link time, per channel type. */
export const serverChannelCaps: Partial<Record<number, readonly number[]>> = {
  // No migration caps: switch-host migration needs none; SEMI_SEAMLESS_MIGRATE and SEAMLESS_MIGRATE
  // promise the MIGRATE_BEGIN paths, which are not built.
  [ChannelType.main]: capWords([MainCap.nameAndUuid, MainCap.agentConnectedTokens]),
  [ChannelType.inputs]: capWords([InputsCap.keyScancode]),
  [ChannelType.cursor]: [],
  [ChannelType.display]: capWords([DisplayCap.monitorsConfig, DisplayCap.prefCompression]),
};
