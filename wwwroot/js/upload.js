// Uploads the files dropped on (or chosen in) an upload zone to the images API, a few at a time, one
// request per file so each has its own progress, and reports to the Blazor component (ImageUploader)
// through its DotNetObjectReference: FilesQueued, Report (batched every 200 ms), BatchFinished.

const concurrency = 3;
const reportEveryMs = 200;
// Keeps each interop message well under SignalR's 32 KB default limit.
const itemsPerMessage = 50;

export function attach(zone, input, component, options) {
  const uploader = new Uploader(component, options);

  const onChange = () => {
    uploader.enqueue(Array.from(input.files));
    input.value = "";
  };
  const onDragOver = (e) => {
    e.preventDefault();
    zone.classList.add("upload-zone-over");
  };
  const onDragLeave = () => zone.classList.remove("upload-zone-over");
  const onDrop = (e) => {
    e.preventDefault();
    zone.classList.remove("upload-zone-over");
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length) uploader.enqueue(files);
  };

  input.addEventListener("change", onChange);
  zone.addEventListener("dragover", onDragOver);
  zone.addEventListener("dragleave", onDragLeave);
  zone.addEventListener("drop", onDrop);
  zone.dataset.uploadReady = "true";

  return {
    dispose() {
      input.removeEventListener("change", onChange);
      zone.removeEventListener("dragover", onDragOver);
      zone.removeEventListener("dragleave", onDragLeave);
      zone.removeEventListener("drop", onDrop);
      delete zone.dataset.uploadReady;
      uploader.dispose();
    },
  };
}

class Uploader {
  constructor(component, options) {
    this.component = component;
    this.url = options.url;
    this.nextIndex = 0;
    this.queue = [];
    this.active = new Map(); // index -> XMLHttpRequest
    this.pending = new Map(); // index -> latest report not yet sent
    this.timer = null;
    this.sending = Promise.resolve();
    this.disposed = false;
  }

  async enqueue(files) {
    const items = files.map((file) => ({ index: this.nextIndex++, file }));
    // The rows must exist before the first progress report arrives.
    for (const chunk of chunks(items, itemsPerMessage)) {
      await this.call("FilesQueued", chunk.map(({ index, file }) => ({ index, name: file.name, size: file.size })));
    }
    this.queue.push(...items);
    this.timer ??= setInterval(() => this.flush(), reportEveryMs);
    this.pump();
  }

  pump() {
    while (!this.disposed && this.active.size < concurrency && this.queue.length) {
      this.send(this.queue.shift());
    }
    if (!this.active.size && !this.queue.length && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.flush().then(() => this.call("BatchFinished"));
    }
  }

  send({ index, file }) {
    const request = new XMLHttpRequest();
    this.active.set(index, request);
    const report = (update) => this.pending.set(index, { index, loaded: 0, total: file.size, ...this.pending.get(index), ...update });
    const done = (update) => {
      report(update);
      this.active.delete(index);
      this.pump();
    };

    request.upload.onprogress = (e) => report({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    request.onload = () => done(readResponse(request, file));
    request.onerror = () => done({ error: `${file.name}: the network failed while uploading.` });
    request.onabort = () => done({ error: `${file.name}: the upload was cancelled.` });

    const form = new FormData();
    form.append("files", file, file.name);
    request.open("POST", this.url);
    request.setRequestHeader("Accept", "application/json");
    report({ loaded: 0 });
    request.send(form);
  }

  flush() {
    if (!this.pending.size) return this.sending;
    const reports = Array.from(this.pending.values());
    this.pending.clear();
    // One message at a time, in order: a file's final report never overtakes its progress.
    this.sending = this.sending.then(async () => {
      for (const chunk of chunks(reports, itemsPerMessage)) await this.call("Report", chunk);
    });
    return this.sending;
  }

  async call(method, ...args) {
    if (this.disposed) return;
    try {
      await this.component.invokeMethodAsync(method, ...args);
    } catch (e) {
      console.error(`upload.js: ${method} failed`, e);
    }
  }

  dispose() {
    this.disposed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.queue = [];
    for (const request of this.active.values()) request.abort();
  }
}

function readResponse(request, file) {
  let body = null;
  try {
    body = request.responseText ? JSON.parse(request.responseText) : null;
  } catch {
    // Not JSON: fall through to the status text.
  }
  if (request.status >= 200 && request.status < 300) {
    const results = Array.isArray(body) ? body : body ? [body] : [];
    const result = results.find((r) => r.fileName === file.name) ?? results[0];
    return result
      ? { loaded: file.size, total: file.size, result }
      : { error: `${file.name}: the server answered without a result.` };
  }
  // Problem details (RFC 9457) carry the reason in detail or title.
  const reason = body?.detail ?? body?.title ?? `${request.status} ${request.statusText}`.trim();
  return { error: reason.includes(file.name) ? reason : `${file.name}: ${reason}` };
}

function* chunks(items, size) {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
