// Bytes a piece of code allocates, garbage included: V8's sampling heap profiler told to keep the
// samples of objects that the young and old collectors already freed. An estimate (one sample per
// 4 KiB on average), steady enough to compare per-event costs of a few hundred bytes over 100k events.
'use strict';

const inspector = require('node:inspector/promises');

function total(node) {
  let bytes = node.selfSize;
  for (const child of node.children) bytes += total(child);
  return bytes;
}

/** Runs `run()` under the sampling heap profiler; resolves with its result and the bytes it allocated. */
async function measureAllocation(run) {
  const session = new inspector.Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const result = await run();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    return { result, bytes: total(profile.head) };
  } finally {
    session.disconnect();
  }
}

module.exports = { measureAllocation };
