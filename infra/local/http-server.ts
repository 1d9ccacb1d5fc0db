import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';

/** The fetch handler the server delegates to; swapped in once the stack behind it is ready. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

export class PortInUseError extends Error {
  constructor(port: number, options?: { cause?: unknown }) {
    super(
      `Port ${port} is already in use on 127.0.0.1. Stop whatever holds it or set ATTUNE_PORT to another port.`,
      options,
    );
    this.name = 'PortInUseError';
  }
}

export interface LocalHttpServer {
  readonly url: string;
  setHandler(handler: FetchHandler): void;
  close(): Promise<void>;
}

const notReady: FetchHandler = () =>
  Response.json(
    {
      error: {
        message: 'Attune is starting; try again in a moment.',
        type: 'server_error',
        param: null,
        code: 'starting',
      },
    },
    { status: 503 },
  );

/**
 * Binds the port first, before the slower services start, so a taken port is reported at once. Until
 * `setHandler` is called every request gets a 503 in OpenAI's error shape.
 */
export async function listenLocalHttp(port: number): Promise<LocalHttpServer> {
  let handler: FetchHandler = notReady;
  const server = createAdaptorServer({ fetch: (request: Request) => handler(request) }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, { cause: error }) : error),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    setHandler(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
