// Small helpers both pages use.

/** Escapes text for HTML. */
export const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

/**
 * TileJSON tile URLs are relative unless the server has a public_url; the map's workers need them
 * whole. (Not `new URL`, which would percent-encode the {z}/{x}/{y} placeholders.)
 */
export const absolute = (urls) => urls.map((u) => (u.startsWith('/') ? window.location.origin + u : u));
