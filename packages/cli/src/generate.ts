#!/usr/bin/env node
import { runMain } from './args.js';
import { generateMain } from './generate/generate-command.js';

runMain(() => generateMain(process.argv.slice(2)));
