import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { setThreadName } from '../../../native/index.js';
import {
  BadJobError,
  type Compressed,
  frameBitmap,
  frameInPlace,
  readInPlace,
  type StreamEncoded,
} from '../../../codecs/image/compress-job.js';
import { compressJob, ownBuffer } from '../../../codecs/image/compress.js';
import { type StreamEncoder, streamEncoders } from './streams.js';
import {
  type CompressorThreadData,
  compressorThread,
  monotonicNs,
  stopThread,
  type ThreadJob,
  type ThreadReply,
  type Work,
} from './thread-protocol.js';

/** The stream encoders of this thread, by stream key: made by a stream's first frame, dropped by its close. */
const streams = new Map<string, { readonly codec: string; readonly encoder: StreamEncoder }>();

/** Runs one job on this thread: the reply and the buffers to transfer with it. */
export function runJob({ id, work }: ThreadJob): { reply: ThreadReply; transfer: ArrayBuffer[] } {
  const startedNs = monotonicNs();
  try {
    const { result, transfer } = runWork(work);
    return { reply: { id, ok: true, result, startedNs, encodeNs: monotonicNs() - startedNs }, transfer };
  } catch (err) {
    // Bad jobs answer alone; the thread keeps serving.
    return { reply: { id, ok: false, error: err instanceof Error ? err.message : String(err) }, transfer: [] };
  }
}

function runWork(work: Work): { result: Compressed | StreamEncoded | null; transfer: ArrayBuffer[] } {
  switch (work.kind) {
    case 'image':
      return compressJob(work.job);
    case 'frame': {
      const bitmap = frameBitmap(work.frame);
      let stream = streams.get(work.stream);
      if (stream && stream.codec !== work.frame.codec)
        throw new BadJobError(`stream ${work.stream} is ${stream.codec}, not ${work.frame.codec}`);
      if (!stream) streams.set(work.stream, (stream = { codec: work.frame.codec, encoder: streamEncoders[work.frame.codec]() }));
      const words = frameInPlace(work.frame);
      const encode = () => stream.encoder.encode(bitmap, work.frame);
      const encoded = words ? readInPlace(words, encode) : encode();
      if (!encoded) return torn();
      const data = ownBuffer(encoded.data);
      return { result: { ...encoded, data }, transfer: [data.buffer as ArrayBuffer] };
    }
    case 'close':
      streams.get(work.stream)?.encoder.close();
      streams.delete(work.stream);
      return { result: null, transfer: [] };
  }
}

const torn = (): { result: StreamEncoded; transfer: ArrayBuffer[] } => ({ result: { data: new Uint8Array(0), torn: true }, transfer: [] });

if (!isMainThread && (workerData as Partial<CompressorThreadData> | null)?.thread === compressorThread) {
  // As the OS lists it (top -H).
  setThreadName('compressor');
  const port = parentPort!;
  port.on('message', (job: ThreadJob | typeof stopThread) => {
    if (job === stopThread) {
      for (const s of streams.values()) s.encoder.close();
      streams.clear();
      port.close();
      return;
    }
    const { reply, transfer } = runJob(job);
    port.postMessage(reply, transfer);
  });
}
