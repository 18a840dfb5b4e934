#!/usr/bin/env node
import { runMain } from './args.js';
import { lakeMain } from './lake/lake-command.js';

runMain(() => lakeMain(process.argv.slice(2)));
