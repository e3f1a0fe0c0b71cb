// A port nothing listens on at the moment, on loopback: for test servers that need a fixed port
// before they start (configuration files, a host-network pod's ports).
import * as dgram from 'dgram';
import * as net from 'net';

/** A free TCP (or UDP) port on 127.0.0.1 now. */
export async function freeLoopbackPort(kind: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
