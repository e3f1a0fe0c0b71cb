// The baseline of `npm run bench:staging`: the plainest server of files one would write with Node,
// on the staging server's paths, so the same clients drive both. No tokens, no hashing, no fsync,
// no logs per request: what is left is the cost of HTTP and the disk. Run as its own process
// (bundled like the image's program, with the image's Node flags) by bench/staging.bench.ts.
//
//   HEAD /v1/blobs/sha256/<hex>  fs.stat → 200 with Content-Length, or 404
//   GET  /v1/blobs/sha256/<hex>  fs.stat, then fs.createReadStream (default 64 KiB chunks) piped to the response
//   PUT  /v1/blobs/sha256/<hex>  the body piped into fs.createWriteStream(<dir>/tmp-<random>), renamed to <dir>/<hex> → 201
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { pipeline } from 'stream';
import { BLOB_PATH } from '../../lib/core/staging/protocol';

const directory = process.argv[2];
if (!directory || !path.isAbsolute(directory)) {
  process.stderr.write('usage: static-file-server <absolute directory>\n');
  process.exit(2);
}
fs.mkdirSync(directory, { recursive: true });

function answer(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
  // The pattern admits hex digests only, so the name cannot leave the directory.
  const match = BLOB_PATH.exec(req.url ?? '');
  if (!match) return answer(res, 404);
  const file = path.join(directory, match[1]);
  if (req.method === 'PUT') {
    const temporary = path.join(directory, `tmp-${randomBytes(8).toString('hex')}`);
    pipeline(req, fs.createWriteStream(temporary), (error) => {
      if (error) {
        fs.rm(temporary, { force: true }, () => res.destroy());
        return;
      }
      fs.rename(temporary, file, (renameError) => answer(res, renameError ? 500 : 201));
    });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405);
  fs.stat(file, (error, stats) => {
    if (error) return answer(res, 404);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': stats.size });
    if (req.method === 'HEAD') return void res.end();
    pipeline(fs.createReadStream(file), res, () => undefined);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'static file server started', port, directory })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
