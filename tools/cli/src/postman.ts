#!/usr/bin/env node
import { runMain } from './args.js';
import { postmanMain } from './postman/postman-command.js';

runMain(() => postmanMain(process.argv.slice(2)));
