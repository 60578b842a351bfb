#!/usr/bin/env node
// The published entry point: registers tsx so the TypeScript composition root runs as is.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
await main();
