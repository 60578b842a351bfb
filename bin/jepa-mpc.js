#!/usr/bin/env node
// The published entry point: registers tsx so the TypeScript composition root runs as is.
import { register } from 'tsx/esm/api';

register();
await import('../cli.ts');
