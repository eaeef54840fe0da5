/**
 * @module middleware/jsonBody
 * Request bodies are UTF-8 JSON and nothing else: another media type is 415, another charset
 * (UTF-16 and UTF-32 included, which the JSON parser would otherwise decode) is 415, and bytes
 * that are not valid UTF-8 are a 400 — never silently replaced by U+FFFD, which would make two
 * different byte strings (plugin ids, keys, state) read as one.
 */
import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { invalidRequest, sendError } from '../http.js';

export interface JsonBodyOptions {
  maxBodyBytes: number;
}

/** Error types the error handler maps to statuses (see `errors.ts`). */
export const NOT_UTF8 = 'charset.unsupported';
export const INVALID_UTF8 = 'entity.invalid.utf8';

/** The middleware, in order: media type check, then the parser. */
export function jsonBody({ maxBodyBytes }: JsonBodyOptions): RequestHandler[] {
  const mediaType: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST' || req.is('application/json')) return next();
    const type = req.headers['content-type'];
    const issue = `the body must be application/json, not ${type ? `'${type}'` : 'missing'}`;
    sendError(res, invalidRequest('', issue), 415);
  };
  const parse = express.json({
    limit: maxBodyBytes,
    strict: true,
    type: 'application/json',
    // Runs on the raw bytes, before the parser decodes them.
    verify(_req, _res, body, encoding) {
      if (encoding !== 'utf-8') {
        const message = `the body must be UTF-8 JSON, not charset '${encoding}'`;
        throw Object.assign(new Error(message), { status: 415, type: NOT_UTF8 });
      }
      if (!isUtf8(body)) {
        const message = 'the body is not valid UTF-8 (it holds a byte sequence UTF-8 does not allow)';
        throw Object.assign(new Error(message), { status: 400, type: INVALID_UTF8 });
      }
    },
  });
  return [mediaType, parse];
}
