// Sends every file chosen in the import dialog in ONE multipart request (parts named "file") to the AutoML-shaped
// :importData endpoint, and reports to the Blazor component (ImportDialog) through its DotNetObjectReference:
// FilesChosen when the selection changes, UploadProgress (bytes sent / total, at most every 200 ms) and
// UploadFinished (the import operation's id, or the reason it could not start). XHR with FormData streams the
// files from disk, so a multi-GB upload never sits in memory.

const reportEveryMs = 200;

export function attach(input, component) {
  const importer = new Importer(input, component);
  input.addEventListener("change", importer.onChange);
  input.dataset.importReady = "true";
  return importer;
}

class Importer {
  constructor(input, component) {
    this.input = input;
    this.component = component;
    this.request = null;
    this.timer = null;
    this.latest = null;
    this.disposed = false;
    this.onChange = () => {
      const files = Array.from(this.input.files ?? []);
      this.call("FilesChosen", files.map((f) => ({ name: f.name, size: f.size })));
    };
  }

  // Starts the upload of the chosen files to url; false when nothing is chosen or an upload runs.
  start(url) {
    const files = Array.from(this.input.files ?? []);
    if (!files.length || this.request) return false;
    const form = new FormData();
    for (const file of files) form.append("file", file, file.name);
    const total = files.reduce((sum, f) => sum + f.size, 0);

    const request = new XMLHttpRequest();
    this.request = request;
    this.latest = { loaded: 0, total };
    this.timer = setInterval(() => this.flush(), reportEveryMs);
    request.upload.onprogress = (e) => {
      this.latest = { loaded: e.loaded, total: e.lengthComputable ? e.total : total };
    };
    const finish = (outcome) => {
      if (this.request !== request) return;
      this.request = null;
      clearInterval(this.timer);
      this.timer = null;
      this.flush();
      this.call("UploadFinished", outcome);
    };
    request.onload = () => finish(readResponse(request));
    request.onerror = () => finish({ operationId: null, error: "The network failed while uploading; nothing was imported." });
    request.onabort = () => finish({ operationId: null, error: "The upload was cancelled; nothing was imported." });
    request.open("POST", url);
    request.setRequestHeader("Accept", "application/json");
    request.send(form);
    return true;
  }

  abort() {
    this.request?.abort();
  }

  flush() {
    if (!this.latest) return;
    const { loaded, total } = this.latest;
    this.latest = null;
    this.call("UploadProgress", loaded, total);
  }

  async call(method, ...args) {
    if (this.disposed) return;
    try {
      await this.component.invokeMethodAsync(method, ...args);
    } catch (e) {
      console.error(`import.js: ${method} failed`, e);
    }
  }

  dispose() {
    this.input.removeEventListener("change", this.onChange);
    delete this.input.dataset.importReady;
    this.abort();
    this.disposed = true;
    if (this.timer !== null) clearInterval(this.timer);
  }
}

function readResponse(request) {
  let body = null;
  try {
    body = request.responseText ? JSON.parse(request.responseText) : null;
  } catch {
    // Not JSON: fall through to the status text.
  }
  if (request.status >= 200 && request.status < 300) {
    // The operation's name ends in /operations/{id}.
    const match = /\/operations\/(\d+)$/.exec(body?.name ?? "");
    return match
      ? { operationId: Number(match[1]), error: null }
      : { operationId: null, error: "The server answered without an operation." };
  }
  // Problem details (RFC 9457) carry the reason in detail or title.
  const reason = body?.detail ?? body?.title ?? `${request.status} ${request.statusText}`.trim();
  return { operationId: null, error: `The import could not start: ${reason}` };
}
