// The box labeling canvas (plain Canvas 2D). It draws the image and the boxes the page sends, turns gestures into
// normalized rectangles for the page (which owns the boxes, undo and saving), and keeps the view (zoom, pan) itself.
// Keys that edit go to the page; zoom (+, -, 0 fit) and pan (space-drag) stay here.

const HANDLE = 6; // half the size of a resize handle, in screen pixels
const MAX_RENDITION = 2048; // the longest side drawn: a 4000 x 3000 photo is drawn from a 2048 x 1536 bitmap

export function create(canvas, page) {
  return new BoxCanvas(canvas, page);
}

class BoxCanvas {
  constructor(canvas, page) {
    this.canvas = canvas;
    this.page = page;
    this.ctx = canvas.getContext("2d");
    this.boxes = [];
    this.selected = -1;
    this.hidden = false;
    this.bitmap = null;
    this.width = 1;
    this.height = 1;
    this.scale = 1;
    this.ox = 0;
    this.oy = 0;
    this.gesture = null;
    this.space = false;
    this.pointer = null;
    this.listeners = [];
    this.on(canvas, "pointerdown", (e) => this.down(e));
    this.on(window, "pointermove", (e) => this.move(e));
    this.on(window, "pointerup", (e) => this.up(e));
    this.on(canvas, "wheel", (e) => this.wheel(e), { passive: false });
    this.on(window, "keydown", (e) => this.keydown(e));
    this.on(window, "keyup", (e) => { if (e.code === "Space") { this.space = false; this.cursor(); } });
    this.resizeObserver = new ResizeObserver(() => this.resize(false));
    this.resizeObserver.observe(canvas.parentElement);
  }

  on(target, name, handler, options) {
    target.addEventListener(name, handler, options);
    this.listeners.push(() => target.removeEventListener(name, handler, options));
  }

  // Loads the image at url; width and height are the full-resolution size the normalized coordinates refer to.
  async load(url, width, height) {
    this.width = width;
    this.height = height;
    this.bitmap = null;
    delete this.canvas.dataset.loaded;
    this.draw();
    const img = new Image();
    img.src = url;
    await img.decode();
    const shrink = Math.min(1, MAX_RENDITION / Math.max(img.naturalWidth, img.naturalHeight));
    this.bitmap = await createImageBitmap(img, {
      resizeWidth: Math.max(1, Math.round(img.naturalWidth * shrink)),
      resizeHeight: Math.max(1, Math.round(img.naturalHeight * shrink)),
      resizeQuality: "high",
    });
    this.resize(true);
    this.canvas.dataset.loaded = url;
  }

  setBoxes(boxes, selected, hidden) {
    this.boxes = boxes;
    this.selected = selected ?? -1;
    this.hidden = hidden;
    if (!this.gesture) {
      this.draw();
    }
  }

  resize(fit) {
    const parent = this.canvas.parentElement;
    const ratio = window.devicePixelRatio || 1;
    const w = parent.clientWidth;
    const h = parent.clientHeight;
    this.canvas.width = Math.round(w * ratio);
    this.canvas.height = Math.round(h * ratio);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (fit || !this.fitted) {
      this.fit();
    }
    this.draw();
  }

  fit() {
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    this.scale = Math.min(w / this.width, h / this.height) || 1;
    this.ox = (w - this.width * this.scale) / 2;
    this.oy = (h - this.height * this.scale) / 2;
    this.fitted = true;
    this.publishView();
  }

  zoom(factor, sx, sy) {
    const x = sx ?? this.canvas.clientWidth / 2;
    const y = sy ?? this.canvas.clientHeight / 2;
    const next = Math.min(40, Math.max(0.02, this.scale * factor));
    this.ox = x - ((x - this.ox) * next) / this.scale;
    this.oy = y - ((y - this.oy) * next) / this.scale;
    this.scale = next;
    this.publishView();
    this.draw();
  }

  // The view on the element, so tests (and people with devtools) can map image pixels to the screen.
  publishView() {
    this.canvas.dataset.scale = String(this.scale);
    this.canvas.dataset.ox = String(this.ox);
    this.canvas.dataset.oy = String(this.oy);
  }

  toScreen(b) {
    return {
      x: this.ox + b.left * this.width * this.scale,
      y: this.oy + b.top * this.height * this.scale,
      w: b.width * this.width * this.scale,
      h: b.height * this.height * this.scale,
    };
  }

  toImage(sx, sy) {
    return { u: (sx - this.ox) / (this.width * this.scale), v: (sy - this.oy) / (this.height * this.scale) };
  }

  local(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  // Which handle of the selected box is under (x, y): "nw", "n", ..., or null.
  handleAt(x, y) {
    if (this.hidden || this.selected < 0 || !this.boxes[this.selected]) {
      return null;
    }
    const s = this.toScreen(this.boxes[this.selected]);
    for (const [name, hx, hy] of handles(s)) {
      if (Math.abs(x - hx) <= HANDLE + 2 && Math.abs(y - hy) <= HANDLE + 2) {
        return name;
      }
    }
    return null;
  }

  boxAt(x, y) {
    if (this.hidden) {
      return -1;
    }
    const order = this.boxes.map((_, i) => i).reverse();
    if (this.selected >= 0) {
      order.unshift(this.selected);
    }
    for (const i of order) {
      const s = this.toScreen(this.boxes[i]);
      if (x >= s.x && x <= s.x + s.w && y >= s.y && y <= s.y + s.h) {
        return i;
      }
    }
    return -1;
  }

  down(e) {
    if (e.button !== 0 && e.button !== 1) {
      return;
    }
    e.preventDefault();
    this.canvas.focus();
    const p = this.local(e);
    if (this.space || e.button === 1) {
      this.gesture = { kind: "pan", x: p.x, y: p.y, ox: this.ox, oy: this.oy };
    } else if (this.handleAt(p.x, p.y)) {
      const b = this.boxes[this.selected];
      this.gesture = { kind: "resize", handle: this.handleAt(p.x, p.y), index: this.selected, start: { ...b }, rect: { ...b } };
    } else if (this.boxAt(p.x, p.y) >= 0) {
      const index = this.boxAt(p.x, p.y);
      const b = this.boxes[index];
      this.selected = index;
      this.gesture = { kind: "move", index, at: this.toImage(p.x, p.y), start: { ...b }, rect: { ...b }, moved: false };
      this.draw();
    } else {
      const at = this.toImage(p.x, p.y);
      this.gesture = { kind: "draw", at, rect: { left: at.u, top: at.v, width: 0, height: 0 } };
    }
    this.cursor();
  }

  move(e) {
    const p = this.local(e);
    this.pointer = p;
    const g = this.gesture;
    if (!g) {
      this.cursor();
      if (!this.hidden) {
        this.draw();
      }
      return;
    }
    const at = this.toImage(p.x, p.y);
    if (g.kind === "pan") {
      this.ox = g.ox + p.x - g.x;
      this.oy = g.oy + p.y - g.y;
      this.publishView();
    } else if (g.kind === "draw") {
      g.rect = normalize(g.at.u, g.at.v, at.u, at.v);
    } else if (g.kind === "move") {
      const du = at.u - g.at.u;
      const dv = at.v - g.at.v;
      g.moved = g.moved || Math.abs(du * this.width * this.scale) > 1 || Math.abs(dv * this.height * this.scale) > 1;
      g.rect = {
        ...g.start,
        left: clamp(g.start.left + du, 0, 1 - g.start.width),
        top: clamp(g.start.top + dv, 0, 1 - g.start.height),
      };
    } else if (g.kind === "resize") {
      let { left, top } = g.start;
      let right = left + g.start.width;
      let bottom = top + g.start.height;
      const u = clamp(at.u, 0, 1);
      const v = clamp(at.v, 0, 1);
      if (g.handle.includes("w")) left = u;
      if (g.handle.includes("e")) right = u;
      if (g.handle.includes("n")) top = v;
      if (g.handle.includes("s")) bottom = v;
      g.rect = { ...g.start, ...normalize(left, top, right, bottom) };
    }
    this.draw();
  }

  up() {
    const g = this.gesture;
    if (!g) {
      return;
    }
    this.gesture = null;
    const minimum = 3 / this.scale; // three screen pixels, in image pixels
    if (g.kind === "draw") {
      if (g.rect.width * this.width >= minimum && g.rect.height * this.height >= minimum) {
        this.page.invokeMethodAsync("OnDrawn", rect(g.rect));
      } else {
        this.selected = -1;
        this.page.invokeMethodAsync("OnSelected", -1);
      }
    } else if (g.kind === "move" || g.kind === "resize") {
      const b = this.boxes[g.index];
      if (g.kind === "move" && !g.moved) {
        this.page.invokeMethodAsync("OnSelected", g.index);
      } else {
        // Drawn where it was dropped until the page sends the boxes back.
        this.boxes[g.index] = { ...b, ...g.rect };
        this.page.invokeMethodAsync("OnRectChanged", g.index, rect(g.rect));
      }
    }
    this.cursor();
    this.draw();
  }

  wheel(e) {
    e.preventDefault();
    const p = this.local(e);
    this.zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, p.x, p.y);
  }

  keydown(e) {
    const target = e.target;
    if (target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) {
      return;
    }
    if (document.querySelector(".mud-dialog-container, .mud-overlay-dialog")) {
      return; // the shortcut sheet or another dialog is open
    }
    if (e.code === "Space") {
      this.space = true;
      this.cursor();
      e.preventDefault();
      return;
    }
    if (!e.ctrlKey && !e.metaKey && (e.key === "+" || e.key === "=")) {
      this.zoom(1.25);
    } else if (!e.ctrlKey && !e.metaKey && (e.key === "-" || e.key === "_")) {
      this.zoom(1 / 1.25);
    } else if (!e.ctrlKey && !e.metaKey && e.key === "0") {
      this.fit();
      this.draw();
    } else if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Delete", "Backspace", "Escape", "?"].includes(e.key)
      || (e.key.length === 1 && /[0-9a-z]/i.test(e.key))) {
      if ((e.ctrlKey || e.metaKey) && !["z", "Z", "y", "Y"].includes(e.key)) {
        return; // leave the browser's own shortcuts (copy, reload, ...) alone
      }
      e.preventDefault();
      this.page.invokeMethodAsync("OnKey", e.key, e.shiftKey, e.ctrlKey || e.metaKey);
    }
  }

  cursor() {
    let cursor = "crosshair";
    if (this.gesture?.kind === "pan" || (this.space && !this.gesture)) {
      cursor = this.gesture ? "grabbing" : "grab";
    } else if (this.gesture?.kind === "move") {
      cursor = "move";
    } else if (this.gesture?.kind === "resize") {
      cursor = `${this.gesture.handle}-resize`;
    } else if (!this.gesture && this.pointer) {
      const h = this.handleAt(this.pointer.x, this.pointer.y);
      cursor = h ? `${h}-resize` : this.boxAt(this.pointer.x, this.pointer.y) >= 0 ? "move" : "crosshair";
    }
    this.canvas.style.cursor = cursor;
  }

  draw() {
    const ctx = this.ctx;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#202124";
    ctx.fillRect(0, 0, w, h);
    if (this.bitmap) {
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.bitmap, this.ox, this.oy, this.width * this.scale, this.height * this.scale);
    }
    if (!this.hidden) {
      this.boxes.forEach((b, i) => {
        const g = this.gesture;
        const shown = g && (g.kind === "move" || g.kind === "resize") && g.index === i ? { ...b, ...g.rect } : b;
        this.drawBox(shown, i === this.selected);
      });
    }
    const g = this.gesture;
    if (g?.kind === "draw") {
      this.drawBox({ ...g.rect, label: "", color: "#ffeb3b" }, false);
    }
    // The crosshair while drawing (or about to): two lines through the pointer across the image.
    if (this.pointer && (!g || g.kind === "draw") && !this.space && (g || (this.boxAt(this.pointer.x, this.pointer.y) < 0 && !this.handleAt(this.pointer.x, this.pointer.y)))) {
      ctx.save();
      ctx.strokeStyle = "rgba(255,255,255,0.7)";
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(0, this.pointer.y + 0.5);
      ctx.lineTo(w, this.pointer.y + 0.5);
      ctx.moveTo(this.pointer.x + 0.5, 0);
      ctx.lineTo(this.pointer.x + 0.5, h);
      ctx.stroke();
      ctx.restore();
    }
  }

  drawBox(b, selected) {
    const ctx = this.ctx;
    const s = this.toScreen(b);
    const color = b.color || "#00e676";
    ctx.save();
    ctx.lineWidth = selected ? 3 : 2;
    ctx.strokeStyle = color;
    ctx.strokeRect(s.x, s.y, s.w, s.h);
    if (b.label) {
      ctx.font = "12px sans-serif";
      const text = b.label;
      const tw = ctx.measureText(text).width + 8;
      ctx.fillStyle = color;
      ctx.fillRect(s.x - 1, s.y - 17, tw, 17);
      ctx.fillStyle = "#000";
      ctx.fillText(text, s.x + 3, s.y - 4);
    }
    if (selected) {
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1;
      for (const [, hx, hy] of handles(s)) {
        ctx.fillRect(hx - HANDLE, hy - HANDLE, HANDLE * 2, HANDLE * 2);
        ctx.strokeRect(hx - HANDLE, hy - HANDLE, HANDLE * 2, HANDLE * 2);
      }
    }
    ctx.restore();
  }

  dispose() {
    this.listeners.forEach((off) => off());
    this.resizeObserver.disconnect();
    this.bitmap?.close?.();
  }
}

function handles(s) {
  const cx = s.x + s.w / 2;
  const cy = s.y + s.h / 2;
  return [
    ["nw", s.x, s.y], ["n", cx, s.y], ["ne", s.x + s.w, s.y], ["e", s.x + s.w, cy],
    ["se", s.x + s.w, s.y + s.h], ["s", cx, s.y + s.h], ["sw", s.x, s.y + s.h], ["w", s.x, cy],
  ];
}

function normalize(u1, v1, u2, v2) {
  const left = clamp(Math.min(u1, u2), 0, 1);
  const top = clamp(Math.min(v1, v2), 0, 1);
  return { left, top, width: clamp(Math.max(u1, u2), 0, 1) - left, height: clamp(Math.max(v1, v2), 0, 1) - top };
}

function rect(r) {
  return { left: r.left, top: r.top, width: r.width, height: r.height };
}

function clamp(x, lo, hi) {
  return Math.min(hi, Math.max(lo, x));
}
