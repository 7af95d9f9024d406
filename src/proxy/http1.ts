import { createRequire } from 'node:module';

/**
 * HTTP/1.1 message parsing with llhttp, through Node's own binding (the parser under node:http).
 *
 * Why not node:http's server and client objects: per proxied request they cost more CPU than everything else the
 * proxy does (measured here: ~17k req/s through node:http + undici vs ~28k on raw sockets with this parser, against
 * ~32k for a byte pipe that parses nothing). The binding comes from `_http_common`, a legacy module Node still
 * exports; this file is the only place that touches it, and `selfCheck()` fails fast if a Node upgrade changes it.
 */
interface NativeParser {
  initialize(kind: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): Error | undefined;
  close(): void;
  [slot: number]: unknown;
}
interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };
const { HTTPParser, methods } = common;

export interface MessageHead {
  /** Request method (requests only). */
  method: string;
  /** Request target as sent (requests only). */
  url: string;
  /** Raw header list: name, value, name, value, … (names as sent). */
  headers: string[];
  versionMinor: number;
  /** Response status (responses only). */
  status: number;
  statusMessage: string;
  upgrade: boolean;
  /** What llhttp concluded from the version and Connection header. */
  keepAlive: boolean;
}

export interface ParserEvents {
  /** A new message starts (its first byte arrived). */
  onMessageBegin?(): void;
  /** Return true to tell the parser the message has no body (responses to HEAD). */
  onHead(head: MessageHead): boolean | void;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** Parses a stream of requests or responses; feed it socket data with `execute`. */
export class Http1Parser {
  private readonly native = new HTTPParser();
  /** Headers and URL that llhttp flushed early (very long heads arrive in parts). */
  private pendingHeaders: string[] = [];
  private pendingUrl = '';
  private closed = false;

  constructor(kind: 'request' | 'response', events: ParserEvents) {
    const native = this.native;
    native.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, 0);
    native[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.pendingHeaders.push(h);
      this.pendingUrl += url;
    };
    native[HTTPParser.kOnHeadersComplete] = (
      _major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined,
      status: number, statusMessage: string, upgrade: boolean, keepAlive: boolean,
    ): number => {
      if (headers === undefined) {
        headers = this.pendingHeaders;
        this.pendingHeaders = [];
      }
      if (url === undefined) {
        url = this.pendingUrl;
        this.pendingUrl = '';
      }
      const noBody = events.onHead({
        method: methods[method] ?? '', url, headers, versionMinor: minor, status, statusMessage: statusMessage ?? '', upgrade, keepAlive,
      });
      return noBody ? 1 : 0;
    };
    native[HTTPParser.kOnBody] = (chunk: Buffer) => events.onBody(chunk);
    native[HTTPParser.kOnMessageComplete] = () => events.onComplete();
    if (events.onMessageBegin) native[HTTPParser.kOnMessageBegin] = events.onMessageBegin;
  }

  /** Bytes consumed (fewer than given after an upgrade request's head), or the parse error. */
  execute(data: Buffer): number | (Error & { code?: string }) {
    return this.native.execute(data);
  }

  /** End of stream: completes a message whose body runs until the connection closes. */
  finish(): Error | undefined {
    return this.native.finish();
  }

  /** Frees the native parser (after the stack that may be inside it has unwound). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.native.close());
  }
}

/** Throws if the binding no longer behaves as this module expects (e.g. after a Node upgrade). */
export function selfCheck(): void {
  let seen: MessageHead | undefined;
  let body = '';
  let done = false;
  const parser = new Http1Parser('request', {
    onHead: (head) => { seen = head; },
    onBody: (chunk) => { body += chunk.toString('latin1'); },
    onComplete: () => { done = true; },
  });
  const n = parser.execute(Buffer.from('POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok'));
  parser.close();
  if (typeof n !== 'number' || !seen || seen.method !== 'POST' || seen.url !== '/a?b=1' || seen.headers[1] !== 'x' || body !== 'ok' || !done) {
    throw new Error(`Node ${process.version}: its HTTP parser binding changed; plasma proxy needs updating`);
  }
}
