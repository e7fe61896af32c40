// The host's HTTP API. The token goes in the Authorization header and nowhere else; errors
// come back as ApiError with the fields of the API's {"error":{...}} body.
import { token } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.class = e.class || 'http_' + status;
    this.details = e.details || {};
  }
}

let onUnauthorized = () => {};
// Called when the host refuses the token (401): the page goes back to sign-in.
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

function headers(extra, bearer) {
  const out = { Accept: 'application/json', ...extra };
  const t = bearer || token();
  if (t) out.Authorization = 'Bearer ' + t;
  return out;
}

// request('GET', '/api/v1/jobs', {query: {state: 'dead'}}); {bearer} checks a token not yet kept.
export async function request(method, path, { body, params, bearer, signal } = {}) {
  const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }, bearer),
    signal, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path + query(params), init);
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, json);
    if (response.status === 401 && !bearer) onUnauthorized(error);
    throw error;
  }
  return json;
}

export const get = (path, params, options = {}) => request('GET', path, { ...options, params });
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });

// A streaming GET (text/event-stream): the response, for sse.js to read. fetch() rather than
// EventSource, which cannot send the Authorization header.
export async function stream(path, params, { signal, lastEventId } = {}) {
  const extra = { Accept: 'text/event-stream' };
  if (lastEventId !== undefined && lastEventId !== null) extra['Last-Event-ID'] = String(lastEventId);
  const response = await fetch(path + query(params), { headers: headers(extra), signal, cache: 'no-store', credentials: 'omit' });
  if (!response.ok) {
    let json = null;
    try {
      json = await response.json();
    } catch {
      json = null;
    }
    const error = new ApiError(response.status, json);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return response;
}
