#!/usr/bin/env node
import { runMain } from './args.js';
import { statusMain } from './status/status-command.js';

runMain(() => statusMain(process.argv.slice(2)));
