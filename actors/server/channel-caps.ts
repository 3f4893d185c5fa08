import { capWords, ChannelType, DisplayCap, InputsCap, MainCap } from '../../codecs/protocol/enums.js';

/** Channel caps the server advertises at link time, per channel type. */
export const serverChannelCaps: Partial<Record<number, readonly number[]>> = {
  // No migration caps until migration exists.
  [ChannelType.main]: capWords([MainCap.nameAndUuid, MainCap.agentConnectedTokens]),
  [ChannelType.inputs]: capWords([InputsCap.keyScancode]),
  [ChannelType.cursor]: [],
  [ChannelType.display]: capWords([
    DisplayCap.monitorsConfig,
    DisplayCap.prefCompression,
    DisplayCap.streamReport,
    DisplayCap.prefVideoCodecType,
  ]),
};
