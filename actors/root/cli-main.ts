// The command line, run by cli.js: `control` talks to a running companion and loads nothing of
// the server; anything else starts one. No top-level await: the bundled build runs this as a
// CommonJS script (runtime/cached-script.cts).
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    // Alone, it needs no settings: the settings' schema (zod) is most of the start-up it would cost.
    process.stdout.write(`${(await import('./version.js')).version}\n`);
  } else if (argv[0] === 'control') {
    const { runControl } = await import('./control/client.js');
    process.exitCode = await runControl(argv.slice(1));
  } else {
    // The server actor's thread boots on the other core while this one loads the settings and the
    // supervisor (a command that serves nothing lets it go unused).
    const answersOnly = ['--help', '-h', '--version', '-V', '--print-config', '--print-capabilities', '--dump-frame'];
    if (!argv.some((a) => answersOnly.includes(a.split('=')[0]!))) {
      const { prestartActorThread } = await import('../../runtime/spare-thread.js');
      const { buildModule } = await import('../../runtime/build-root.js');
      prestartActorThread(buildModule('actors/server/actor.js'));
    }
    await (await import('./serve.js')).serve();
  }
}

void main();
