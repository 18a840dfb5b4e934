#!/usr/bin/env node
// Before any SDK client exists: the local tools run on the Node the repo pins, and the notice is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { runMain } from './args.js';
import { lakeMain } from './lake/lake-command.js';

runMain(() => lakeMain(process.argv.slice(2)));
