
// Appended by scripts/split/wasm-bindgen: every chunk fetch above goes through here.
// A chunk without its whole body after 30 s fails like a refused one, so the console
// says it could not load the part and offers Try again (this loader forgets failures).
// The timer is not cleared: aborting a fetch whose body was already read does nothing.
const CHUNK_TIMEOUT_MS = 30000;
function fetchChunk(url) {
    const stop = new AbortController();
    setTimeout(() => stop.abort(new DOMException(
        `no complete answer for ${url} within ${CHUNK_TIMEOUT_MS / 1000} s`, "TimeoutError")),
        CHUNK_TIMEOUT_MS);
    return fetch(url, { signal: stop.signal });
}
