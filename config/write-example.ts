import { writeFileSync } from 'node:fs';
import { exampleYaml } from './docs.js';

// Regenerates the shipped example; a test fails when it and the settings disagree.
writeFileSync(new URL('../../config/spice-companion.example.yaml', import.meta.url), exampleYaml());
