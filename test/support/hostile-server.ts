// A loopback HTTP server that answers every request however a test says (a redirect, a stall, garbage),
// shared by the hostile suites of the core and the n8n node; every server is closed after each test.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

export interface HostileServer {
  url: string;
  /** Every request received, in order. */
  requests: IncomingMessage[];
  server: Server;
}

const servers: Server[] = [];

/** Starts a server on 127.0.0.1 that answers each request with `handler` once its body has been read. */
export async function hostile(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HostileServer> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests, server };
}

/** Closes every server `hostile()` started (call it from `afterEach`). */
export async function closeHostileServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
