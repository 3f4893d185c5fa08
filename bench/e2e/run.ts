/**
 * npm run bench:e2e [-- --smoke] [--out FILE] [--vga std|virtio] [--links plain,shaped] [--images auto_lz,defaults] [--workloads idle,...]:
 * spice-companion against QEMU's built-in spice-server, the same guest, workloads and client
 * (bench/README.md says how to read the figures). Prints a table per link, size and image
 * profile, then display bytes ours/theirs for all, and writes the figures as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGuest } from '../../guest/guest.js';
import { startDelayRelay } from './delay-relay.js';
import { measureBoot, type BootSetup, type Plan } from './measure.js';
import { ratios, type BenchWorkload, type BootFigures, type LinkName } from './results.js';
import { companionImageSettings, freePort, imageProfiles, type ImageProfile, type ServerKind } from './servers.js';
import { ShapedLink, type LinkShape } from './shaped-link.js';
import { formatBlock, formatSummary } from './table.js';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    vga: { type: 'string', default: 'virtio' },
    // Some rows only, to repeat one figure without the whole run: e.g. --links plain --workloads idle.
    links: { type: 'string', default: 'plain,shaped' },
    images: { type: 'string', default: 'auto_lz,defaults' },
    workloads: { type: 'string', default: 'text,desktop,video,idle,tone,tone-raw' },
  },
});
if (args.vga !== 'std' && args.vga !== 'virtio') throw new Error(`--vga ${args.vga}: std or virtio`);
const vga = args.vga;

const smoke = args.smoke;
const sizes: ReadonlyArray<readonly [number, number]> = smoke
  ? [[1024, 768]]
  : [
      [1024, 768],
      [1920, 1080],
    ];
const pick = <T extends string>(flag: string, value: string, known: readonly T[]): T[] =>
  value.split(',').map((v) => {
    if (!(known as readonly string[]).includes(v)) throw new Error(`--${flag} ${v}: one of ${known.join(', ')}`);
    return v as T;
  });
const links = pick<LinkName>('links', args.links, ['plain', 'shaped']);
const profiles = pick<ImageProfile>('images', args.images, ['auto_lz', 'defaults']);
const ourImages = Object.fromEntries(profiles.map((p) => [p, companionImageSettings(p)])) as Record<
  ImageProfile,
  ReturnType<typeof companionImageSettings>
>;
const shape: LinkShape = { mbit: 10, rttMs: 40 };
const plan: Plan = {
  workloads: pick<BenchWorkload>('workloads', args.workloads, ['text', 'desktop', 'video', 'idle', 'tone', 'tone-raw']),
  settleMs: smoke ? 800 : 1_500,
  settleMaxMs: smoke ? 4_000 : 8_000,
  windowMs: smoke ? 3_000 : 10_000,
};
const servers: readonly ServerKind[] = ['theirs', 'ours'];
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const out =
  args.out ?? join(repoRoot, 'dist', 'bench', `e2e-${smoke ? 'smoke-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}.json`);

const audio = plan.workloads.some((w) => w === 'tone' || w === 'tone-raw');
const settingsText = (p: ImageProfile) =>
  Object.entries(imageProfiles[p])
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
const notes = [
  ...profiles.map(
    (p) =>
      `Images "${p}": both servers ${settingsText(p)}, no ticketing` +
      (ourImages[p].substituted.length ? `; ours refuses ${ourImages[p].substituted.join(', ')}` : '') +
      (p === 'defaults' ? ". QEMU's defaults for -spice (video streaming off is QEMU's default too; streams are not in these rows)." : '.'),
  ),
  `Same QEMU (TCG, 1 vCPU) and test guest: ${vga === 'virtio' ? 'virtio-vga' : 'std VGA (bochs)'}, DRM drawing at the run's size. Theirs: QEMU -spice (spice-server in QEMU). Ours: QEMU -display dbus,p2p=yes + the spice-companion process (--qemu-qmp), spawned together.`,
  ...(audio
    ? [
        'Audio (tone workloads): QEMU has an HDA card at 48 kHz; theirs -audiodev spice, ours -audiodev dbus on a private bus (QEMU 7.2 audio needs one: -display dbus,addr=BUS,audiodev=snd0, the companion on --qemu-dbus) for the whole boot. The guest plays 100 ms bursts of 1 kHz every 500 ms; audio latency = the onset heard in the client\'s decoded playback - the guest\'s GUEST-BEEP line for that burst (written once the kernel took its first 10 ms; "guest buffer" is the audio queued ahead of it in the guest, included in the latency). tone: the client asks for Opus; tone-raw: it links its playback channel again without the Opus cap (raw PCM). Their playback channel runs in QEMU\'s main loop (QEMU non-vCPU): compare "sum".',
      ]
    : []),
  "Client: our TypeScript client (client/) on a worker thread of the bench: bytes per channel socket, drawings applied per second; it decodes every image into its canvas (and its playback channel's audio, Opus included).",
  'CPU (% of one core): server = theirs the "SPICE Worker" thread, ours the companion process (all threads); QEMU non-vCPU = QEMU threads other than vCPUs and SPICE Worker (main loop: display refresh; for theirs the main and inputs channels of spice-server, whose display channel runs in SPICE Worker; D-Bus for ours).',
  'Latency: the guest draws a 16x16 marker whose colour encodes n every 137 ms (in every workload; "idle" is the idle frame plus the marker), then prints GUEST-MARK n on its serial console; latency = client decoded n - serial line arrived (serial under TCG adds at most a few hundred µs). "markers shown" = markers the client decoded / markers drawn in the window.',
  "Time to first drawing / guest frame: first process spawned -> first drawing decoded at the client (the firmware screen) / the guest's first marker decoded; the client retries connecting from the start.",
  `Shaped link: ${shape.mbit} Mbit/s each way with tbf on a veth pair into a network namespace where the servers run (this kernel has no sch_netem), ${shape.rttMs} ms RTT added by a delay relay in the bench process (${shape.rttMs / 2} ms each way, buffering bounded to about the bandwidth-delay product).`,
];

const started = performance.now();
const image = await buildGuest();
const boots: BootFigures[] = [];
const blocks: string[] = [];
console.log(
  `bench:e2e${smoke ? ' (smoke)' : ''}: ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}; window ${plan.windowMs / 1000} s per workload`,
);
console.log(notes.map((n) => `- ${n}`).join('\n'));

for (const link of links) {
  const shaped = link === 'shaped' ? ShapedLink.create(shape) : null;
  try {
    for (const [width, height] of sizes) {
      for (const profile of profiles) {
        const pair: BootFigures[] = [];
        for (const kind of servers) {
          const setup: BootSetup = {
            image,
            width,
            height,
            vga,
            profile,
            images: kind === 'ours' ? ourImages[profile].settings : imageProfiles[profile],
            link,
            audio,
            addr: shaped ? shaped.nsAddr : '127.0.0.1',
            port: shaped ? 5930 : await freePort(),
            ...(shaped ? { wrap: shaped.wrap } : {}),
            clientTarget: async (server) => {
              if (!shaped) return { host: '127.0.0.1', port: server.port, close: async () => {} };
              const relay = await startDelayRelay({ host: server.addr, port: server.port }, shape.rttMs, shape.mbit);
              return { host: '127.0.0.1', port: relay.port, close: () => relay.close() };
            },
          };
          const t0 = performance.now();
          const figures = await measureBoot(kind, setup, plan).catch(async (e: unknown) => {
            // On a loaded machine a start can fail (the guest silent for 60 s, QEMU's QMP closing): once more.
            console.error(
              `  ${link} ${width}x${height} ${profile} ${kind}: ${e instanceof Error ? e.message : String(e)}; trying once more`,
            );
            // A fresh port: the failed QEMU may not have let its own go yet.
            return measureBoot(kind, shaped ? setup : { ...setup, port: await freePort() }, plan);
          });
          console.error(
            `  ${link} ${width}x${height} ${profile} ${kind}: ${((performance.now() - t0) / 1000).toFixed(1)} s${figures.errors.length ? `; errors: ${figures.errors.join('; ')}` : ''}`,
          );
          pair.push(figures);
          boots.push(figures);
        }
        const block = formatBlock(
          pair[0]!,
          pair[1]!,
          shaped ? `shaped link (${shape.mbit} Mbit/s, ${shape.rttMs} ms RTT)` : 'plain link (loopback)',
        );
        blocks.push(block);
        console.log(`\n${block}`);
      }
    }
  } finally {
    shaped?.destroy();
  }
}

console.log(`\ndisplay bytes, ours/theirs:\n${formatSummary(boots)}`);
const durationS = (performance.now() - started) / 1000;
const result = {
  bench: 'e2e',
  smoke,
  date: new Date().toISOString(),
  machine: { cores: cpus().length, model: cpus()[0]?.model, loadAvg1mAtEnd: loadavg()[0] },
  settings: { vga, sizes, links, shape, plan, images: Object.fromEntries(profiles.map((p) => [p, imageProfiles[p]])) },
  notes,
  durationS,
  boots,
  ratios: boots
    .filter((b) => b.server === 'ours')
    .flatMap((o) => {
      const t = boots.find(
        (b) => b.server === 'theirs' && b.profile === o.profile && b.link === o.link && b.width === o.width && b.height === o.height,
      );
      return t ? ratios(o, t) : [];
    }),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`\nbench:e2e took ${durationS.toFixed(0)} s; figures in ${out}`);
