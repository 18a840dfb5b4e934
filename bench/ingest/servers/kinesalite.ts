/** kinesalite with a two-shard stream, as a separate process so its CPU is not the API's. */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream, localClientConfig, startKinesis } from '@eventlake/local-stack';
import { announce } from './announce.js';

const emu = await startKinesis();
const client = new KinesisClient(localClientConfig(emu.endpoint));
await ensureStream(client, 'events', 2);
client.destroy();
announce({ url: emu.endpoint });
