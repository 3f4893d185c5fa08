import test from 'ava';
import { AuthThrottle } from '../../actors/server/auth-throttle.js';
import { ChannelType } from '../../codecs/protocol/enums.js';
import { LinkError } from '../../codecs/protocol/link.js';
import { linkChannel } from '../../client/link.js';
import { startTestServer } from '../helpers/server.js';
import { refusal } from '../helpers/refusal.js';

test('the throttle doubles the wait per failure to 8 s, then adds a second per failure, and spaces parallel tickets of one address', (t) => {
  const th = new AuthThrottle(250, 8_000, 1_000, 600_000, 60_000, 16);
  let now = 0;
  const waits: number[] = [];
  for (let i = 0; i < 300; i++) {
    const wait = th.turn('10.0.0.1', now)!;
    waits.push(wait);
    now += wait;
    th.failed('10.0.0.1', now);
  }
  t.deepEqual(waits.slice(0, 9), [0, 250, 500, 1000, 2000, 4000, 8000, 9000, 10000]);
  for (let i = 1; i < waits.length; i++) t.true(waits[i]! > waits[i - 1]!, `wrong ticket ${i + 1} waits longer than ${i}`);
  t.is(waits[299], 301_000, 'the 300th waits 301 s');
  t.log(
    `300 wrong tickets in a row: waits ${waits.slice(0, 10).join(', ')} ... ${waits.slice(-3).join(', ')} ms; ${Math.round(now / 3_600_000)} h in all`,
  );
  // Another address is not slowed by the first one's failures.
  t.is(th.turn('10.0.0.2', now), 0);
  th.succeeded('10.0.0.2', now);
  // Sixteen tickets of the guessing address at once wait in line, a turn (now 302 s) apart; the seventeenth is refused.
  const parallel = Array.from({ length: 17 }, () => th.turn('10.0.0.1', now));
  t.deepEqual(
    parallel.slice(0, 16),
    Array.from({ length: 16 }, (_, i) => 302_000 * (1 + i)),
  );
  t.is(parallel[16], null);
  // A right ticket clears the address.
  th.succeeded('10.0.0.1', now);
  for (let i = 0; i < 15; i++) th.succeeded('10.0.0.1', now);
  t.is(th.turn('10.0.0.1', now), 0);
  th.succeeded('10.0.0.1', now);
  // Quiet clears it too: a minute after a few typos, ten turns after many wrong tickets.
  for (let i = 0; i < 3; i++) th.failed('10.0.0.3', now);
  t.is(th.turn('10.0.0.3', now + 60_001), 0);
  for (let i = 0; i < 100; i++) th.failed('10.0.0.4', now);
  t.true(th.turn('10.0.0.4', now + 10 * 60_000)! > 0, 'a guesser waiting ten minutes is still slowed');
  th.failed('10.0.0.4', now);
  t.is(th.turn('10.0.0.4', now + 10 * 103_000 + 1), 0, 'ten turns of quiet (103 s each after 101) forget it');
});

test('wrong tickets from one address slow that address down, while another address links at full speed', async (t) => {
  const s = await startTestServer(['--password', 'sesame']);
  t.teardown(() => s.stop());
  const main = { channelType: ChannelType.main, channelId: 0, connectionId: 0 };
  const timed = async (localAddress: string, password: string) => {
    const started = Date.now();
    const code = await refusal(
      linkChannel({ host: '127.0.0.1', port: s.port, localAddress, password }, main).then((l) => l.socket.destroy()),
    );
    return { code, ms: Date.now() - started };
  };
  const guesses: number[] = [];
  const others: number[] = [];
  // The other address links while the guesser waits its turns.
  const other = (async () => {
    for (let i = 0; i < 4; i++) {
      const r = await timed('127.0.0.2', 'sesame');
      t.is(r.code, -1);
      others.push(r.ms);
      await new Promise((res) => setTimeout(res, 300));
    }
  })();
  for (let i = 0; i < 5; i++) {
    const r = await timed('127.0.0.1', `guess-${i}`);
    t.is(r.code, LinkError.permissionDenied);
    guesses.push(r.ms);
  }
  await other;
  t.log(`wrong tickets from 127.0.0.1, ms each: ${guesses.join(', ')}; right ones from 127.0.0.2 meanwhile: ${others.join(', ')}`);
  // Lower bounds (load only adds time): each guess waited its turn, twice the one before.
  for (let i = 1; i < guesses.length; i++) t.true(guesses[i]! >= 250 * 2 ** (i - 1) * 0.95, `guess ${i} waited ${250 * 2 ** (i - 1)} ms`);
  t.true(Math.max(...others) < 1500, 'the other address is not throttled');
  // Guessing in parallel does not help: two at once are answered a turn (now 4 s) apart.
  const started = Date.now();
  const parallel = await Promise.all([0, 1].map(async () => (await timed('127.0.0.1', 'x'), Date.now() - started)));
  t.log(`two parallel wrong tickets answered after ${parallel.join(', ')} ms`);
  parallel.sort((a, b) => a - b);
  t.true(parallel[1]! - parallel[0]! >= 4000 * 0.9);
});
