import { capWords, ChannelType, DisplayCap, InputsCap, MainCap, PlaybackCap, RecordCap, SpicevmcCap } from '../../codecs/protocol/enums.js';

/** Channel caps the server advertises at link time, per channel type. */
export const serverChannelCaps: Partial<Record<number, readonly number[]>> = {
  // No migration caps: switch-host migration needs none; SEMI_SEAMLESS_MIGRATE and SEAMLESS_MIGRATE
  // promise the MIGRATE_BEGIN paths, which are not built.
  [ChannelType.main]: capWords([MainCap.nameAndUuid, MainCap.agentConnectedTokens]),
  [ChannelType.inputs]: capWords([InputsCap.keyScancode]),
  [ChannelType.cursor]: [],
  [ChannelType.display]: capWords([
    DisplayCap.monitorsConfig,
    DisplayCap.prefCompression,
    DisplayCap.streamReport,
    DisplayCap.prefVideoCodecType,
  ]),
  // Opus is offered; whether playback uses it is `playback-compression` and the client's cap.
  [ChannelType.playback]: capWords([PlaybackCap.volume, PlaybackCap.latency, PlaybackCap.opus]),
  [ChannelType.record]: capWords([RecordCap.volume, RecordCap.opus]),
  // Device data goes LZ4-compressed to a client that has the cap too.
  [ChannelType.usbredir]: capWords([SpicevmcCap.dataCompressLz4]),
  [ChannelType.port]: capWords([SpicevmcCap.dataCompressLz4]),
  [ChannelType.webdav]: capWords([SpicevmcCap.dataCompressLz4]),
  [ChannelType.smartcard]: [],
};
