#!/usr/bin/env node
// The batchwise command: runs the compiled CLI (built by `npm ci` through the preprepare script, and by `npm pack` through prepack).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
