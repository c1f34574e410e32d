/**
 * node:http adapter: turns an `IncomingMessage` into a `RequestView`, runs the engine,
 * writes its `CoreResponse`. Thin by design: all behaviour lives in the engine.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PayloadTooLarge } from '../../core/errors.js';
import { renderJson } from '../../core/json.js';
import type { CoreResponse } from '../../core/pipeline.js';
import { parseCookies, type RequestView } from '../../core/request.js';
import type { Engine } from '../engine.js';

/** Build the framework-free view of a node:http request (cookies parsed on first use). */
export function requestView(req: IncomingMessage): RequestView {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let cookies: Record<string, string> | undefined;
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: q < 0 ? url : url.slice(0, q),
    headers: req.headers as Record<string, string | undefined>,
    get cookies() {
      return (cookies ??= parseCookies(req.headers.cookie));
    },
    remoteAddress: req.socket.remoteAddress ?? '',
  };
}

/** Read the whole body, refusing (413) as soon as it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new PayloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

/** Headers every response carries (Django's security middleware defaults). */
const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

/** Write a core response the node:http way. */
export function writeResponse(res: ServerResponse, response: CoreResponse, headOnly = false): void {
  const headers: Record<string, string> = { ...COMMON_HEADERS, ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    payload = renderJson(response.body);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  } else if (response.status !== 204 && response.status !== 304) {
    headers['Content-Length'] = '0';
  }
  res.writeHead(response.status, headers);
  res.end(headOnly ? undefined : payload); // HEAD: GET's headers, Content-Length included, no body
}

export interface NodeListenerOptions {
  maxBodySize: number;
}

/** A `(req, res)` listener for `http.createServer` running the engine. */
export function nodeListener(engine: Engine, options: NodeListenerOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const view = requestView(req);
    let bodyRead = false;
    const reader = () => {
      bodyRead = true;
      return readBody(req, options.maxBodySize);
    };
    void engine.handle(view, reader).then((response) => {
      if (!bodyRead && !req.readableEnded) {
        // Unread body: discard it, but do not wait for an oversized one.
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBodySize) res.setHeader('Connection', 'close');
        req.resume();
      } else if (response.status === 413) res.setHeader('Connection', 'close');
      writeResponse(res, response, view.method === 'HEAD');
    });
  };
}
