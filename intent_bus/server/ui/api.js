// The console's only door to the server: the public JSON API, with the key in
// the X-API-KEY header. The key lives in this tab's sessionStorage and nowhere
// else: never in a URL, never in the page, never logged.

const STORAGE_KEY = "intent-bus.api-key";

export const session = {
  role: null, // "admin" | "tenant" once checked

  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  set key(value) {
    if (value) sessionStorage.setItem(STORAGE_KEY, value);
    else sessionStorage.removeItem(STORAGE_KEY);
  },
  get isAdmin() {
    return this.role === "admin";
  },
  forget() {
    this.key = null;
    this.role = null;
  },
};

/** An answer outside 2xx, with the protocol's error envelope unpacked. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) value.forEach((v) => search.append(name, v));
    else if (value !== null && value !== undefined && value !== "") search.append(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Sends one request; resolves to {status, data}; throws ApiError otherwise. */
export async function request(method, path, body, key = session.key) {
  const headers = { Accept: "application/json" };
  if (key) headers["X-API-KEY"] = key;
  const init = { method, headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "network", "the server did not answer (is it running?)");
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const envelope = data && data.error ? data.error : {};
    throw new ApiError(response.status, envelope.code || "http_" + response.status, envelope.message || response.statusText);
  }
  return { status: response.status, data };
}

export const get = (path, params = {}) => request("GET", path + query(params)).then((r) => r.data);
export const post = (path, body = {}) => request("POST", path, body).then((r) => r.data);
// `put` keeps the status: 201 means it created, 200 that it replaced.
export const put = (path, body = {}) => request("PUT", path, body);
export const del = (path, params = {}) => request("DELETE", path + query(params)).then((r) => r.data);

/** Checks a key and learns its role: GET /admin/keys is 200 for admins and
 * 403 for tenants; 401 means the key is not accepted. */
export async function whoAmI(key) {
  try {
    await request("GET", "/admin/keys", undefined, key);
    return "admin";
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return "tenant";
    throw err;
  }
}

/** Intent ids go into paths; keep them to one path segment. */
export const seg = (id) => encodeURIComponent(id);
