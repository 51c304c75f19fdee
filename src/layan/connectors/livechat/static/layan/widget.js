/* Layan live chat widget. One file, no dependencies, no build step.
   <script src="https://your-layan/widget/widget.js" data-inbox="PUBLIC_ID" async></script>
   Optional, for a signed-in site user: data-user-id="42" data-user-hash="<hex HMAC-SHA256 of the id>".
   All message text goes into the page with textContent, never as HTML. */
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector("script[data-inbox]");
  if (!script || window.__layanWidget) return;
  window.__layanWidget = true;
  const inbox = script.dataset.inbox;
  const base = new URL(script.src, location.href).origin;
  const lang = (navigator.language || "en").toLowerCase().startsWith("id") ? "id" : "en";
  const T = {
    id: {open: "Buka obrolan", close: "Tutup", title: "Obrolan", placeholder: "Tulis pesan…", send: "Kirim",
      attach: "Lampirkan berkas", name: "Nama", email: "Email", whatsapp: "Nomor WhatsApp", start: "Mulai obrolan",
      typing: "sedang mengetik…", agent: "Petugas", you: "Anda", sending: "mengirim…", failed: "gagal terkirim",
      read: "dibaca", offline: "Kami sedang di luar jam kerja. Tinggalkan pesan, kami balas lewat email.",
      message: "Pesan", leave: "Kirim pesan", thanks: "Terima kasih! Kami akan membalas lewat email.",
      reconnecting: "Menyambung ulang…", hello: "Halo! Ada yang bisa kami bantu?",
      away: "Tim kami sedang tidak di tempat. Tulis saja pesan Anda, kami balas secepatnya."},
    en: {open: "Open chat", close: "Close", title: "Chat", placeholder: "Write a message…", send: "Send",
      attach: "Attach a file", name: "Name", email: "Email", whatsapp: "WhatsApp number", start: "Start chat",
      typing: "is typing…", agent: "Agent", you: "You", sending: "sending…", failed: "not sent",
      read: "read", offline: "We are outside office hours. Leave a message and we will reply by email.",
      message: "Message", leave: "Send message", thanks: "Thank you! We will reply by email.",
      reconnecting: "Reconnecting…", hello: "Hello! How can we help?",
      away: "Our team is away right now. Write your message and we will reply as soon as we can."},
  }[lang];
  const key = (k) => `layan:${inbox}:${k}`;
  const load = (k, d) => { try { return JSON.parse(localStorage.getItem(key(k))) ?? d; } catch (e) { return d; } };
  const save = (k, v) => { try { localStorage.setItem(key(k), JSON.stringify(v)); } catch (e) { /* full */ } };
  const el = (tag, attrs = {}, ...kids) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    node.append(...kids);
    return node;
  };
  // Icons drawn as SVG: emoji depend on the visitor's fonts and show as boxes where there are none.
  const CHAT = "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  const CLIP = "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.7-5.7L5.8 11.4a6 6 0 0 0 8.5 8.5l6.4-6.4";
  const icon = (d, size = 24) => {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const path = document.createElementNS(ns, "path");
    for (const [k, v] of Object.entries({viewBox: "0 0 24 24", width: size, height: size, "aria-hidden": "true"})) svg.setAttribute(k, v);
    for (const [k, v] of Object.entries({d, fill: "none", stroke: "currentColor", "stroke-width": "2",
      "stroke-linecap": "round", "stroke-linejoin": "round"})) path.setAttribute(k, v);
    svg.append(path);
    return svg;
  };
  const newId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  let token = load("token", null), config = null, socket = null, ready = false, retry = 0, isOpen = false;
  let outbox = load("outbox", []);  // unsent messages, resent after a reconnect until acknowledged
  let prechat = load("prechat", null);
  const shown = new Map();  // message id or client id -> element
  const readSent = new Set();

  const host = el("div", {id: "layan-chat"});
  const root = host.attachShadow({mode: "open"});
  root.append(el("style", {text: `
    :host{all:initial;--c:#0f766e}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}
    .bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;
      background:var(--c);color:#fff;display:grid;place-items:center;box-shadow:0 4px 14px #0004;z-index:2147483000}
    .win{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);height:480px;
      max-height:calc(100vh - 110px);background:#fff;border-radius:12px;box-shadow:0 8px 30px #0004;display:none;
      flex-direction:column;overflow:hidden;z-index:2147483000}.win.open{display:flex}
    header{background:var(--c);color:#fff;padding:12px 14px;display:flex;justify-content:space-between;align-items:center}
    header button{background:none;border:0;color:#fff;font-size:18px;cursor:pointer}
    .log{flex:1;overflow-y:auto;padding:10px;background:#f6f7f8}.note{color:#555;padding:6px 2px}
    .m{max-width:80%;margin:6px 0;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}
    .m.customer{margin-left:auto;background:var(--c);color:#fff}.m.agent{background:#fff;border:1px solid #ddd}
    .m small{display:block;opacity:.75;font-size:11px}.m button{all:unset;text-decoration:underline;cursor:pointer;display:block}
    .typing{min-height:18px;padding:0 10px;color:#666;font-size:12px}
    form{display:flex;gap:6px;padding:8px;border-top:1px solid #eee;flex-wrap:wrap}
    form.stack{flex-direction:column}input,textarea{flex:1;padding:8px;border:1px solid #ccc;border-radius:6px;min-width:0}
    form button{padding:8px 12px;border:0;border-radius:6px;background:var(--c);color:#fff;cursor:pointer}
    form .file{background:#eee;color:#333}`}));
  const bubble = el("button", {class: "bubble", "aria-label": T.open, onclick: () => toggle(!isOpen)}, icon(CHAT, 28));
  const log = el("div", {class: "log", "aria-live": "polite"});
  const typing = el("div", {class: "typing"});
  const status = el("div", {class: "note"});
  const area = el("div");
  const win = el("div", {class: "win", role: "dialog", "aria-label": T.title},
    el("header", {}, el("strong", {text: T.title}), el("button", {"aria-label": T.close, text: "×", onclick: () => toggle(false)})),
    log, typing, area);
  root.append(bubble, win);

  function toggle(open) {
    isOpen = open;
    win.classList.toggle("open", open);
    if (open) { sendReads(); const input = area.querySelector("input,textarea"); if (input) input.focus(); }
  }

  async function api(path, body, method = "POST") {
    const response = await fetch(`${base}/widget/${inbox}/${path}`, {method, headers: {"Content-Type": "application/json",
      "X-Layan-Widget-Token": token || ""}, body: body ? JSON.stringify(body) : undefined});
    const data = response.headers.get("content-type")?.includes("json") ? await response.json() : response;
    if (!response.ok) throw Object.assign(new Error(data.error?.message || response.status), {data});
    return data;
  }

  function render(m) {
    const known = shown.get(m.id) || (m.client_id && shown.get(m.client_id));
    const node = known || el("div");
    node.className = `m ${m.from}`;
    node.replaceChildren(document.createTextNode(m.text || ""));
    for (const a of m.attachments || []) node.append(el("button", {onclick: () => download(a)}, icon(CLIP, 14), ` ${a.filename}`));
    const meta = m.pending ? T.sending : m.failed ? T.failed : (m.from === "agent" ? (m.author || T.agent) : (m.status === "read" ? T.read : ""));
    if (meta) node.append(el("small", {text: meta}));
    if (!known) log.append(node);
    if (m.id) shown.set(m.id, node);
    if (m.client_id) shown.set(m.client_id, node);
    log.scrollTop = log.scrollHeight;
    if (m.from === "agent" && m.id && m.status !== "read") {
      if (!known) send({type: "delivered", message_ids: [m.id]});
      sendReads();
    }
  }

  function sendReads() {
    if (!isOpen || document.hidden || !ready) return;
    const ids = [...shown.keys()].filter((id) => typeof id === "number" && !readSent.has(id)
      && shown.get(id).classList.contains("agent"));
    if (ids.length) { ids.forEach((id) => readSent.add(id)); send({type: "read", message_ids: ids}); }
  }
  document.addEventListener("visibilitychange", sendReads);

  async function download(a) {
    const response = await fetch(`${base}/widget/${inbox}/attachments/${a.id}`, {headers: {"X-Layan-Widget-Token": token}});
    if (!response.ok) return;
    const link = el("a", {href: URL.createObjectURL(await response.blob()), download: a.filename});
    link.click();
  }

  function send(frame) {
    if (socket && socket.readyState === 1 && ready) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function flush() { for (const m of outbox) send({type: "message", ...m.frame}); }

  function queue(text, attachments) {
    const frame = {client_id: newId(), text, attachments, page: location.href};
    if (prechat && !prechat.sent) frame.prechat = prechat.fields;
    outbox.push({frame});
    save("outbox", outbox);
    render({client_id: frame.client_id, from: "customer", text, pending: true,
      attachments: attachments.map((a) => ({filename: a.filename}))});
    send({type: "message", ...frame});
  }

  function connect() {
    socket = new WebSocket(`${base.replace(/^http/, "ws")}/ws/widget/${inbox}/`);
    socket.onopen = () => socket.send(JSON.stringify({type: "auth", token}));
    socket.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === "ready" || f.type === "history") {
        ready = true; retry = 0; status.remove();
        if (f.config) config = f.config;
        f.messages.forEach(render);
        flush();
      } else if (f.type === "ack") {
        outbox = outbox.filter((m) => m.frame.client_id !== f.client_id);
        save("outbox", outbox);
        if (prechat && !prechat.sent) { prechat.sent = true; save("prechat", prechat); }
        render(f.message);
      } else if (f.type === "message") {
        typing.textContent = "";
        render(f.message);
      } else if (f.type === "typing") {
        typing.textContent = `${f.author || T.agent} ${T.typing}`;
        clearTimeout(typing.timer);
        typing.timer = setTimeout(() => { typing.textContent = ""; }, 4000);
      } else if (f.type === "error") {
        if (f.code === "not_authenticated") { token = null; save("token", null); socket.close(); return; }
        const pending = f.client_id && outbox.find((m) => m.frame.client_id === f.client_id);
        if (pending && f.code === "rate_limited") { setTimeout(flush, (f.retry_after || 5) * 1000); return; }
        if (pending) {
          outbox = outbox.filter((m) => m !== pending); save("outbox", outbox);
          render({client_id: f.client_id, from: "customer", text: pending.frame.text, failed: true});
        }
        status.textContent = f.message; log.append(status);
      }
    };
    socket.onclose = (e) => {
      ready = false;
      if (e.code === 4403) return;  // this site may not use the chat
      status.textContent = T.reconnecting; log.append(status);
      retry = Math.min(retry + 1, 5);
      setTimeout(() => (token ? connect() : start()), 500 * 2 ** retry);
    };
  }

  function composer() {
    const input = el("input", {name: "text", placeholder: T.placeholder, "aria-label": T.message, autocomplete: "off"});
    const file = el("input", {type: "file", hidden: "", multiple: ""});
    let lastTyping = 0;
    input.addEventListener("input", () => {
      if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); send({type: "typing"}); }
    });
    const submit = async (files = []) => {
      const text = input.value.trim();
      if (!text && !files.length) return;
      const attachments = await Promise.all(files.map((f) => new Promise((ok) => {
        const reader = new FileReader();
        reader.onload = () => ok({filename: f.name, content_type: f.type || "application/octet-stream",
          data: String(reader.result).split(",")[1] || ""});
        reader.readAsDataURL(f);
      })));
      input.value = "";
      queue(text, attachments);
    };
    file.addEventListener("change", () => { submit([...file.files]); file.value = ""; });
    return el("form", {onsubmit: (e) => { e.preventDefault(); submit(); }}, input, file,
      el("button", {type: "button", class: "file", "aria-label": T.attach, onclick: () => file.click()}, icon(CLIP, 18)),
      el("button", {type: "submit", text: T.send}));
  }

  function fields(names, required) {
    return names.map((n) => el("input", Object.assign({name: n, placeholder: T[n], "aria-label": T[n],
      type: n === "email" ? "email" : n === "whatsapp" ? "tel" : "text"}, required ? {required: ""} : {})));
  }

  function prechatForm() {
    const p = config.prechat;
    const form = el("form", {class: "stack", onsubmit: (e) => {
      e.preventDefault();
      prechat = {fields: Object.fromEntries(new FormData(form)), sent: false};
      save("prechat", prechat);
      area.replaceChildren(composer());
      area.querySelector("input").focus();
    }}, ...fields(p.fields, p.required), el("button", {type: "submit", text: T.start}));
    return form;
  }

  function leaveForm() {
    const form = el("form", {class: "stack", onsubmit: async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      try {
        await api("leave-message", {...data, token, client_id: newId()});
        area.replaceChildren(el("div", {class: "note", text: T.thanks}));
      } catch (err) { status.textContent = err.message; form.append(status); }
    }}, el("div", {class: "note", text: T.offline}), ...fields(["name", "email"], true),
    el("textarea", {name: "text", placeholder: T.message, "aria-label": T.message, required: "", rows: "3"}),
    el("button", {type: "submit", text: T.leave}));
    return form;
  }

  async function start() {
    try {
      const data = await api("session", {token, user_id: script.dataset.userId, user_hash: script.dataset.userHash});
      token = data.token; config = data.config; save("token", token);
    } catch (err) {
      status.textContent = err.message; log.append(status);
      if (err.data && err.data.error && err.data.error.code === "origin_not_allowed") return;
      setTimeout(start, 5000);
      return;
    }
    host.style.setProperty("--c", config.colour);
    const greeting = (config.greeting || {})[lang] || T.hello;
    if (!log.querySelector(".greet")) log.prepend(el("div", {class: "note greet", text: greeting}));
    if (config.open && config.agents_online === false && !log.querySelector(".away")) {
      log.querySelector(".greet").after(el("div", {class: "note away", text: T.away}));
    }
    const p = config.prechat;
    if (!config.open && config.leave_message) area.replaceChildren(leaveForm());
    else if (p.fields.length && !prechat && !outbox.length) area.replaceChildren(prechatForm());
    else area.replaceChildren(composer());
    // Unsent messages from an earlier page load show as sending until the server acknowledges them.
    for (const m of outbox) render({client_id: m.frame.client_id, from: "customer", text: m.frame.text, pending: true});
    connect();
  }

  const mount = () => { document.body.append(host); start(); };
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
