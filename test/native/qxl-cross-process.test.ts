import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import * as L from '../../native/qxl/layout.js';
import { buildQxlProducer } from '../../native/fixtures/c-program.js';
import { withDevice } from '../../native/qxl/fixtures/qxl-device.js';
import { consumeMessages } from '../../native/qxl/fixtures/qxl-consume.js';

const producer = buildQxlProducer();

test('the TypeScript layout is the one of spice-protocol qxl_dev.h', (t) => {
  const r = spawnSync(producer, ['--layout'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), {
    ram: L.QxlRam.size,
    magic: L.QXL_RAM_MAGIC,
    cmdRing: L.COMMAND_RING.offset,
    cursorRing: L.CURSOR_RING.offset,
    releaseRing: L.RELEASE_RING.offset,
    updateArea: L.QxlRam.updateArea,
    monitorsConfig: L.QxlRam.monitorsConfig,
    ringHeader: L.RING_HEADER_SIZE,
    prod: L.RingWord.prod * 4,
    notifyOnProd: L.RingWord.notifyOnProd * 4,
    cons: L.RingWord.cons * 4,
    notifyOnCons: L.RingWord.notifyOnCons * 4,
    command: L.QXL_COMMAND_SIZE,
    commandItem: L.COMMAND_RING.itemSize,
    releaseItem: L.RELEASE_RING.itemSize,
    releaseInfo: L.QXL_RELEASE_INFO_SIZE,
    messageData: L.QXL_MESSAGE_DATA,
    commandRingSize: L.COMMAND_RING.numItems,
    cursorRingSize: L.CURSOR_RING.numItems,
    releaseRingSize: L.RELEASE_RING.numItems,
    cmdMessage: L.QxlCmd.Message,
    cmdSurface: L.QxlCmd.Surface,
  });
});

interface ProducerSummary {
  pushed: number;
  released: number;
  waitsFull: number;
  waitsMemory: number;
  wakeupsSent: number;
  cells: number;
}

/** Runs the C producer against a fresh device memory of `cells` 256-byte cells; the test process consumes. */
function crossProcess(count: number, cells: number) {
  const size = L.HEAP_OFFSET + cells * 256;
  return withDevice(size, async ({ memfd, memory, consumerEvfd, producerEvfd }) => {
    const slot = { id: 1, generation: 7, start: L.HEAP_OFFSET, end: size };
    const child = spawn(producer, [String(count), String(slot.id), String(slot.generation)], {
      stdio: ['ignore', 'pipe', 'pipe', memfd, consumerEvfd, producerEvfd],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const consumed = await consumeMessages({ memory, slots: [slot], consumerEvfd, producerEvfd, count }).catch(async (e: Error) => {
      child.kill();
      await exited;
      throw new Error(`${e.message}; producer said: ${err}`);
    });
    const code = await exited;
    if (code !== 0) throw new Error(`producer exited ${code}: ${err}`);
    return { consumed, summary: JSON.parse(out) as ProducerSummary };
  });
}

test('a C process pushes thousands of commands through the 32-item ring; all arrive in order, intact, and come back released', async (t) => {
  const count = 5000;
  const { consumed, summary } = await crossProcess(count, 1024);
  t.is(consumed.received, count);
  t.is(summary.pushed, count);
  t.is(summary.released, count, 'every struct came back through the release ring');
  t.true(summary.waitsFull > 0, 'the producer found the ring full and slept until the consumer woke it');
  // Wake-ups are asked for only when a side sleeps: far fewer than commands.
  t.true(consumed.wakeups < count, `${consumed.wakeups} wake-ups`);
  t.log(`producer ${JSON.stringify(summary)}, consumer woken ${consumed.wakeups} times`);
});

test('with less memory than the ring holds, the producer sleeps until releases come back', async (t) => {
  const count = 2000;
  const { consumed, summary } = await crossProcess(count, 16);
  t.is(consumed.received, count);
  t.is(summary.released, count);
  t.true(summary.waitsMemory > 0, 'the producer ran out of cells and slept on the release ring');
  t.is(summary.waitsFull, 0, '16 cells never fill a 32-item ring');
  t.log(`producer ${JSON.stringify(summary)}`);
});
