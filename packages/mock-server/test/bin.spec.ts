// The connectly-mock command's answers to a bad --port: out of range, not a number, or already in use.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MockConnectlyServer } from '../src/index.js';

const run = promisify(execFile);
const bin = join(__dirname, '..', 'dist', 'bin.js');

async function connectlyMock(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [bin, ...args], { timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe('connectly-mock --port', () => {
  it.each(['99999', '8x', '-1'])('rejects %s as a bad port, before listening', async (port) => {
    const { code, stderr } = await connectlyMock([`--port=${port}`]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^bad port "${port}": --port must be a whole number from 0 to 65535`));
  });

  it('says which port is in use and how to pick another', async () => {
    const busy = new MockConnectlyServer();
    const url = await busy.start();
    try {
      const port = new URL(url).port;
      const { code, stderr } = await connectlyMock(['--port', port]);
      expect(code).toBe(1);
      expect(stderr).toBe(
        `connectly-mock: port ${port} of 127.0.0.1 is in use: pick another with --port, or --port 0 for a free one\n`,
      );
    } finally {
      await busy.stop();
    }
  });
});
