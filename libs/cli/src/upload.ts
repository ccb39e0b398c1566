import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/** Sends `body` as a request's body with backpressure and resolves with the answer, its body unread. */
export type StreamUpload = (url: string, init: { readonly method: string; readonly headers: Readonly<Record<string, string>>; readonly body: Readable }) => Promise<Response>;

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

const NO_BODY = new Set([204, 205, 304]);

function toResponse(message: IncomingMessage): Response {
  const status = message.statusCode ?? 500;
  const body = NO_BODY.has(status) ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: message.statusMessage ?? '', headers: toHeaders(message.headers) });
}

/**
 * The upload over node:http(s): the body is piped, so the file is read only as fast as the
 * connection takes it and nothing read stays in memory. (Node's fetch keeps every chunk of a
 * streamed request body until the answer comes: a 1 GB file would cost 1 GB.) An answer that
 * comes before the body is all sent (a 401 decided from the headers) stops the sending; the
 * connection is closed once that answer has been read.
 */
export const httpUpload: StreamUpload = (url, init) =>
  new Promise<Response>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: init.method, headers: { ...init.headers } });
    let answered = false;
    request.once('response', (message) => {
      answered = true;
      if (!init.body.readableEnded) {
        init.body.unpipe(request);
        init.body.destroy();
        message.once('close', () => request.destroy());
      }
      resolve(toResponse(message));
    });
    request.on('error', (error) => {
      // After an early answer, the half-sent request breaking is expected.
      if (!answered) reject(error);
    });
    init.body.once('error', (error) => request.destroy(error));
    init.body.pipe(request);
  });
