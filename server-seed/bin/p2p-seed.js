#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the server needs no build step. `tsconfig: false` keeps a
// tsconfig.json in the caller's working directory from changing how our sources compile.
import { register } from 'tsx/esm/api';

register({ tsconfig: false });
const { main } = await import('../src/cli.ts');
await main();
