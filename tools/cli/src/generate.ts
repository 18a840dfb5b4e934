#!/usr/bin/env node
// Before any SDK client exists: the local tools run on the Node the repo pins, and the notice is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { runMain } from './args.js';
import { generateMain } from './generate/generate-command.js';

runMain(() => generateMain(process.argv.slice(2)));
