/**
 * The `/sandbox` page: one self-contained document (inline CSS and vanilla JS, no build step).
 * It loads `/sandbox/api/state`, then follows `/sandbox/api/stream` (server-sent events) so new,
 * edited and deleted messages appear in place while the bot works.
 */
export function sandboxPage(): string {
  return PAGE;
}

const CSS = `
:root { --bg:#e7ebf0; --card:#fff; --chat:#dfe7ee; --in:#fff; --out:#e3fcd0; --text:#0f1419; --hint:#7d8b99;
  --accent:#2481cc; --accent-soft:#e8f2fb; --border:#dde3ea; --danger:#e0433b; --radius:14px; }
* { box-sizing:border-box; }
[hidden] { display:none !important; }
html,body { margin:0; height:100%; }
body { font:15px/1.4 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  background:var(--bg); color:var(--text); display:flex; flex-direction:column; }
.top { display:flex; align-items:center; gap:12px; padding:10px 16px; background:var(--card); border-bottom:1px solid var(--border); }
.logo { width:34px; height:34px; border-radius:50%; background:linear-gradient(135deg,#4fb35f,#2e8b57); color:#fff;
  display:grid; place-items:center; font-weight:700; }
.top h1 { font-size:16px; margin:0; }
.top .sub { color:var(--hint); font-size:13px; }
.top .status { margin-left:auto; font-size:12px; color:var(--hint); display:flex; align-items:center; gap:6px; }
.newuser { display:flex; gap:6px; align-items:center; margin-left:auto; }
.newuser input, .newuser select { font:inherit; font-size:13px; padding:5px 8px; border:1px solid var(--border); border-radius:8px; }
.newuser input { width:150px; }
.top .newuser + .status { margin-left:8px; }
.dot { width:8px; height:8px; border-radius:50%; background:#bbb; }
.dot.on { background:#3ccf5b; }
.tabs { display:none; gap:6px; padding:8px 12px; overflow-x:auto; background:var(--card); border-bottom:1px solid var(--border); }
.tabs button { border:1px solid var(--border); background:#fff; border-radius:999px; padding:6px 12px; font:inherit; font-size:13px;
  white-space:nowrap; cursor:pointer; }
.tabs button.active { background:var(--accent); border-color:var(--accent); color:#fff; }
.board { flex:1; min-height:0; display:grid; grid-auto-flow:column; grid-auto-columns:minmax(280px,1fr); gap:12px;
  padding:12px; overflow-x:auto; }
.chat { position:relative; display:flex; flex-direction:column; min-height:0; background:var(--chat); border-radius:var(--radius);
  overflow:hidden; box-shadow:0 1px 3px rgba(0,0,0,.08); }
.chat header { display:flex; align-items:center; gap:10px; padding:10px 12px; min-height:76px; background:var(--card); border-bottom:1px solid var(--border); }
.avatar { width:38px; height:38px; border-radius:50%; color:#fff; display:grid; place-items:center; font-weight:600; flex:none; }
.who { min-width:0; flex:1; }
.who .name { font-weight:600; line-height:1.25; overflow:hidden; display:-webkit-box; -webkit-line-clamp:2; -webkit-box-orient:vertical;
  overflow-wrap:anywhere; }
.who .meta { font-size:12px; color:var(--hint); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.who .meta.typing { color:var(--accent); }
.looks { display:flex; flex-direction:column; gap:3px; flex:none; }
.looks select { font:inherit; font-size:11.5px; border:1px solid var(--border); border-radius:7px; background:#fff; padding:1px 2px; }
.btn { border:0; border-radius:10px; padding:7px 11px; font:inherit; font-size:13px; cursor:pointer; background:var(--accent-soft); color:var(--accent); }
.btn.primary { background:var(--accent); color:#fff; }
.btn.small { padding:4px 8px; font-size:12px; }
.btn:disabled { opacity:.5; cursor:default; }
.messages { flex:1; overflow-y:auto; padding:12px 10px; display:flex; flex-direction:column; gap:6px; }
.empty { margin:auto; color:var(--hint); font-size:13px; text-align:center; background:rgba(255,255,255,.6); padding:10px 14px; border-radius:12px; }
.msg { display:flex; flex-direction:column; max-width:86%; align-self:flex-start; }
.msg.mine { align-self:flex-end; align-items:flex-end; }
.bubble { background:var(--in); border-radius:12px 12px 12px 4px; padding:7px 10px 5px; box-shadow:0 1px 1px rgba(0,0,0,.08);
  white-space:pre-wrap; overflow-wrap:anywhere; }
.msg.mine .bubble { background:var(--out); border-radius:12px 12px 4px 12px; }
.bubble.photo { padding:4px 4px 5px; }
.bubble img { display:block; max-width:100%; width:240px; border-radius:9px; background:#fff; image-rendering:pixelated; }
.bubble .caption { padding:5px 6px 0; }
.bubble .meta { float:right; margin:6px 0 0 10px; font-size:11px; color:var(--hint); white-space:nowrap; }
.bubble a { color:var(--accent); }
.bubble code, .bubble pre { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; background:rgba(0,0,0,.05); border-radius:4px; padding:0 3px; }
.bubble pre { padding:6px; margin:4px 0; white-space:pre-wrap; }
.bubble blockquote { margin:4px 0; padding-left:8px; border-left:3px solid var(--accent); }
.bubble .spoiler { background:#c9d1d9; color:transparent; border-radius:3px; cursor:pointer; }
.bubble .spoiler.shown { background:none; color:inherit; }
.bubble .cmd { color:var(--accent); }
.contact { display:flex; gap:8px; align-items:center; }
.contact .avatar { width:32px; height:32px; font-size:13px; }
.kb { display:flex; flex-direction:column; gap:4px; margin-top:4px; width:100%; min-width:220px; }
.kb .row { display:flex; gap:4px; }
.kb button { flex:1; min-width:0; border:0; border-radius:9px; padding:8px 6px; font:inherit; font-size:13.5px; font-weight:500; cursor:pointer;
  background:rgba(58,86,112,.38); color:#fff; backdrop-filter:blur(4px); position:relative; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.kb button:hover { background:rgba(58,86,112,.5); }
.kb button.loading::after { content:""; position:absolute; right:6px; top:50%; width:10px; height:10px; margin-top:-5px;
  border:2px solid #fff; border-right-color:transparent; border-radius:50%; animation:spin .7s linear infinite; }
.kb button .kind { font-size:11px; margin-left:4px; opacity:.85; }
@keyframes spin { to { transform:rotate(360deg); } }
.replykb { display:flex; flex-direction:column; gap:4px; padding:6px; background:#f4f6f8; border-top:1px solid var(--border); }
.replykb .row { display:flex; gap:4px; }
.replykb button { flex:1; border:0; border-radius:8px; padding:9px; background:#fff; font:inherit; font-size:14px; cursor:pointer; box-shadow:0 1px 1px rgba(0,0,0,.1); }
.composer { display:flex; gap:8px; padding:8px; background:var(--card); border-top:1px solid var(--border); }
.composer input { flex:1; min-width:0; border:1px solid var(--border); border-radius:18px; padding:8px 14px; font:inherit; outline:none; }
.composer input:focus { border-color:var(--accent); }
.composer .btn { border-radius:18px; }
.quick { display:flex; gap:6px; padding:6px 8px 0; background:var(--card); overflow-x:auto; }
.toast { position:absolute; left:50%; top:64px; transform:translateX(-50%); background:rgba(20,24,28,.86); color:#fff; padding:8px 14px;
  border-radius:10px; font-size:13.5px; max-width:85%; text-align:center; pointer-events:none; opacity:0; transition:opacity .2s; z-index:5; }
.toast.show { opacity:1; }
.alert { position:absolute; inset:0; background:rgba(0,0,0,.35); display:grid; place-items:center; z-index:6; }
.alert div { background:#fff; border-radius:14px; padding:16px; max-width:80%; box-shadow:0 8px 30px rgba(0,0,0,.2); }
.alert p { margin:0 0 12px; white-space:pre-wrap; }
.alert .btn { float:right; }
.blocked-note { text-align:center; font-size:12px; color:var(--danger); padding:4px; background:#fff3f2; }
.flag { font-size:11px; color:var(--danger); }
@media (max-width: 760px) {
  .tabs { display:flex; }
  .board { grid-auto-flow:row; grid-auto-columns:auto; padding:0; gap:0; }
  .chat { display:none; border-radius:0; }
  .chat.active { display:flex; }
}
`;

const SCRIPT = `
"use strict";
const $ = (sel, el) => (el || document).querySelector(sel);
const h = (tag, attrs, ...children) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v; else if (k === "html") el.innerHTML = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v); else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
};
const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
let state = { bot: null, users: [] };
let active = Number(localStorage.getItem("sandbox.active")) || null;
const pending = new Map(); // callbackQueryId -> button element

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail || res.statusText);
  return data;
}

function fmtTime(sec) { const d = new Date(sec * 1000); return d.toTimeString().slice(0, 5); }
function userOf(id) { return state.users.find((u) => u.id === id); }

function toast(userId, text) {
  const t = $("#chat-" + userId + " .toast"); if (!t) return;
  t.textContent = text; t.classList.add("show");
  clearTimeout(t._timer); t._timer = setTimeout(() => t.classList.remove("show"), 2600);
}
function alertIn(userId, text) {
  const chat = $("#chat-" + userId); if (!chat) return;
  const box = h("div", { class: "alert" }, h("div", {}, h("p", {}, text), h("button", { class: "btn primary", onclick: () => box.remove() }, "OK")));
  chat.append(box);
}

// Per user, as a Telegram client would send them: light or night theme, and the app language.
const looks = JSON.parse(localStorage.getItem("sandbox.looks") || "{}");
function lookOf(userId) { return looks[userId] || {}; }
function setLook(userId, key, value) {
  looks[userId] = Object.assign({}, lookOf(userId), { [key]: value });
  localStorage.setItem("sandbox.looks", JSON.stringify(looks));
}

async function setLanguage(userId, select) {
  try {
    const r = await api("POST", "/sandbox/api/language", { userId, language_code: select.value });
    userOf(userId).language_code = r.language_code;
    const meta = $("#chat-" + userId + " .who .meta");
    if (meta) { meta.dataset.sub = meta.title = subOf(userOf(userId)); restoreMeta(meta); }
  } catch (e) { select.value = userOf(userId).language_code || "en"; toast(userId, e.message); }
}

async function openApp(userId, query) {
  const w = window.open("about:blank", "_blank");
  try {
    // the language is the user's own now (setLanguage); a page from before kept it in the look
    const q = Object.assign({}, lookOf(userId), { lang: "" }, query || {});
    for (const k of Object.keys(q)) if (!q[k]) delete q[k];
    const res = await api("GET", "/sandbox/api/launch/" + userId + (Object.keys(q).length ? "?" + new URLSearchParams(q) : ""));
    if (res.send) { if (w) w.close(); await send(userId, res.send); return; }
    if (w) w.location.href = res.url; else window.open(res.url, "_blank");
  } catch (e) { if (w) w.close(); toast(userId, e.message); }
}

async function send(userId, text) {
  try { await api("POST", "/sandbox/api/send", { userId, text }); } catch (e) { toast(userId, e.message); }
}

async function copyText(userId, text) {
  try { await navigator.clipboard.writeText(text); toast(userId, "Copied to clipboard: " + text); }
  catch (e) { window.prompt("Copy:", text); }
}

async function press(userId, messageId, data, button) {
  button.classList.add("loading");
  try {
    const { callbackQueryId } = await api("POST", "/sandbox/api/press", { userId, messageId, data });
    pending.set(callbackQueryId, button);
    setTimeout(() => { if (pending.get(callbackQueryId) === button) { pending.delete(callbackQueryId); button.classList.remove("loading"); toast(userId, "⚠ The bot did not answer this press"); } }, 15000);
  } catch (e) { button.classList.remove("loading"); toast(userId, e.message); }
}

function renderKeyboard(userId, m) {
  const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
  if (!rows.length) return null;
  return h("div", { class: "kb" }, rows.map((row) => h("div", { class: "row" }, row.map((b) => {
    if (b.callback_data !== undefined) return h("button", { title: "callback: " + b.callback_data, onclick: (e) => press(userId, m.message_id, b.callback_data, e.currentTarget) }, b.text);
    if (b.web_app) return h("button", { title: "Mini App: " + b.web_app.url, onclick: () => openApp(userId, { url: b.web_app.url, button: "web_app" }) }, b.text, h("span", { class: "kind" }, "↗"));
    if (b.url) return h("button", { title: b.url, onclick: () => openApp(userId, { url: b.url, button: "url" }) }, b.text, h("span", { class: "kind" }, "🔗"));
    // copy_text: Telegram copies the text to the clipboard and says so; nothing goes to the bot
    if (b.copy_text) return h("button", { title: "copies: " + b.copy_text.text, "data-copy": b.copy_text.text, onclick: () => copyText(userId, b.copy_text.text) }, b.text, h("span", { class: "kind" }, "📋"));
    return h("button", { disabled: true, title: "not simulated" }, b.text);
  }))));
}

function renderMessage(user, m) {
  const mine = !m.outgoing;
  const meta = h("span", { class: "meta" }, (m.edited ? "edited · " : "") + fmtTime(m.edit_date || m.date));
  let bubble;
  if (m.photo) {
    bubble = h("div", { class: "bubble photo" }, m.photoUrl ? h("a", { href: m.photoUrl, target: "_blank" }, h("img", { src: m.photoUrl, alt: "photo" })) : null,
      h("div", { class: "caption" }, h("span", { html: m.html }), meta));
  } else if (m.contact) {
    bubble = h("div", { class: "bubble" }, h("div", { class: "contact" }, h("div", { class: "avatar", style: "background:#65aadd" }, "☎"),
      h("div", {}, h("b", {}, m.contact.first_name), h("div", {}, m.contact.phone_number))), meta);
  } else {
    bubble = h("div", { class: "bubble" }, h("span", { html: m.html }), meta);
  }
  return h("div", { class: "msg" + (mine ? " mine" : ""), "data-id": m.message_id }, bubble, renderKeyboard(user.id, m));
}

function renderReplyKeyboard(user) {
  const box = $("#chat-" + user.id + " .replykb"); if (!box) return;
  box.replaceChildren();
  const kb = user.replyKeyboard && user.replyKeyboard.keyboard;
  box.hidden = !kb || !kb.length;
  if (!kb) return;
  for (const row of kb) box.append(h("div", { class: "row" }, row.map((b) => {
    const text = typeof b === "string" ? b : b.text;
    return h("button", { onclick: async () => {
      if (b.request_contact) {
        const phone = prompt("Share " + user.first_name + "'s phone number", "+998901234567");
        if (phone) await api("POST", "/sandbox/api/contact", { userId: user.id, phone }).catch((e) => toast(user.id, e.message));
      } else if (b.web_app) openApp(user.id, { url: b.web_app.url, button: "web_app" });
      else send(user.id, text);
    } }, text);
  })));
}

function renderChatMeta(user) {
  const chat = $("#chat-" + user.id); if (!chat) return;
  $(".blocked-note", chat).hidden = !user.blocked;
  $(".block", chat).textContent = user.blocked ? "Unblock bot" : "Block bot";
  const menu = $(".menu", chat);
  menu.hidden = !user.menuButton;
  if (user.menuButton) menu.textContent = user.menuButton.text || "Menu";
  renderReplyKeyboard(user);
}

function restoreMeta(m) {
  if (!m) return;
  clearTimeout(m._timer);
  m.classList.remove("typing");
  m.textContent = m.dataset.sub;
}

function scrollDown(box, force) {
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 160) box.scrollTop = box.scrollHeight;
}

function subOf(user) {
  return [user.username ? "@" + user.username : null, user.language_code, "id " + user.id].filter(Boolean).join(" · ");
}

function renderChat(user, i) {
  const color = COLORS[i % COLORS.length];
  const sub = subOf(user);
  const input = h("input", { placeholder: "Message as " + user.first_name + "…", autocomplete: "off" });
  const chat = h("section", { class: "chat", id: "chat-" + user.id },
    h("header", {},
      h("div", { class: "avatar", style: "background:" + color }, user.first_name.slice(0, 1)),
      h("div", { class: "who" }, h("div", { class: "name", title: user.label }, user.label), h("div", { class: "meta", "data-sub": sub, title: sub }, sub)),
      h("div", { class: "looks" },
        h("select", { class: "look-theme", title: "Theme the client sends (Telegram's light or night mode)", onchange: (e) => setLook(user.id, "theme", e.target.value) },
          ["light", "dark"].map((v) => h("option", { value: v, selected: (lookOf(user.id).theme || "light") === v }, v === "dark" ? "🌙 dark" : "☀️ light"))),
        h("select", { class: "look-lang", title: "The user's Telegram language: the bot answers in it and the Mini App opens in it", onchange: (e) => setLanguage(user.id, e.target) },
          ["uz", "ru", "en"].map((v) => h("option", { value: v, selected: (user.language_code || "en") === v }, "lang: " + v)))),
      h("button", { class: "btn primary", title: "Open the Mini App signed in as " + user.first_name, onclick: () => openApp(user.id) }, "Open Mini App")),
    h("div", { class: "blocked-note", hidden: true }, "This user blocked the bot: sends fail with 403"),
    h("div", { class: "messages" }),
    h("div", { class: "replykb", hidden: true }),
    h("div", { class: "quick" },
      h("button", { class: "btn small", onclick: () => send(user.id, "/start") }, "/start"),
      h("button", { class: "btn small menu", hidden: true, onclick: () => openApp(user.id, { url: userOf(user.id).menuButton.url, button: "web_app" }) }, "Menu"),
      h("button", { class: "btn small block", onclick: () => api("POST", "/sandbox/api/block", { userId: user.id, blocked: !userOf(user.id).blocked })
        .then((r) => { userOf(user.id).blocked = r.blocked; renderChatMeta(userOf(user.id)); }).catch((e) => toast(user.id, e.message)) }, "Block bot")),
    h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); const t = input.value; if (!t.trim()) return; input.value = ""; send(user.id, t); } },
      input, h("button", { class: "btn primary", type: "submit" }, "Send")),
    h("div", { class: "toast" }));
  const box = $(".messages", chat);
  box.addEventListener("click", (e) => { const s = e.target.closest(".spoiler"); if (s) s.classList.add("shown"); });
  if (!user.messages.length) box.append(h("div", { class: "empty" }, "No messages yet. Send /start to talk to @" + state.bot.username + "."));
  for (const m of user.messages) box.append(renderMessage(user, m));
  return chat;
}

function setActive(id) {
  active = id; localStorage.setItem("sandbox.active", String(id));
  for (const el of document.querySelectorAll(".chat")) el.classList.toggle("active", el.id === "chat-" + id);
  for (const el of document.querySelectorAll(".tabs button")) el.classList.toggle("active", el.dataset.id === String(id));
}

function renderAll() {
  $("#botname").textContent = state.bot.first_name + " · @" + state.bot.username;
  const board = $("#board"), tabs = $("#tabs");
  board.replaceChildren(...state.users.map(renderChat));
  tabs.replaceChildren(...state.users.map((u) => h("button", { "data-id": u.id, onclick: () => setActive(u.id) }, u.label)));
  for (const u of state.users) renderChatMeta(u);
  if (!userOf(active) && state.users[0]) active = state.users[0].id;
  setActive(active);
  for (const box of document.querySelectorAll(".messages")) scrollDown(box, true);
}

function applyChange(e) {
  const user = userOf(e.chatId); if (!user) return;
  Object.assign(user, e.chat);
  const list = user.messages, idx = list.findIndex((m) => m.message_id === e.message.message_id);
  if (e.kind === "deleted") { if (idx >= 0) list.splice(idx, 1); } else if (idx >= 0) list[idx] = e.message; else list.push(e.message);
  const box = $("#chat-" + user.id + " .messages"); if (!box) return;
  const el = box.querySelector('[data-id="' + e.message.message_id + '"]');
  if (e.kind === "deleted") { if (el) el.remove(); }
  else if (el) el.replaceWith(renderMessage(user, e.message));
  else { const empty = $(".empty", box); if (empty) empty.remove(); box.append(renderMessage(user, e.message)); scrollDown(box, !e.message.outgoing); }
  if (e.kind === "new" && e.message.outgoing) restoreMeta($("#chat-" + user.id + " .who .meta"));
  renderChatMeta(user);
}

async function load() {
  state = await api("GET", "/sandbox/api/state");
  renderAll();
}

function connect() {
  const es = new EventSource("/sandbox/api/stream");
  es.addEventListener("ready", () => { $("#dot").classList.add("on"); $("#conn").textContent = "live"; load().catch(console.error); });
  es.addEventListener("change", (ev) => applyChange(JSON.parse(ev.data)));
  es.addEventListener("chat", (ev) => { const d = JSON.parse(ev.data); const u = userOf(d.chatId); if (u) { Object.assign(u, d.chat); renderChatMeta(u); } });
  es.addEventListener("answer", (ev) => {
    const a = JSON.parse(ev.data);
    const button = pending.get(a.callbackQueryId);
    if (button) { button.classList.remove("loading"); pending.delete(a.callbackQueryId); }
    if (a.text) { if (a.showAlert) alertIn(a.userId, a.text); else toast(a.userId, a.text); }
  });
  es.addEventListener("action", (ev) => {
    const a = JSON.parse(ev.data);
    const m = $("#chat-" + a.chatId + " .who .meta");
    if (!m) return;
    m.classList.add("typing");
    m.textContent = a.action === "typing" ? "typing…" : a.action === "upload_photo" ? "sending photo…" : a.action.replace(/_/g, " ") + "…";
    clearTimeout(m._timer);
    m._timer = setTimeout(() => restoreMeta(m), 5000);
  });
  es.onerror = () => { $("#dot").classList.remove("on"); $("#conn").textContent = "reconnecting…"; };
}

$("#newuser").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  try {
    const u = await api("POST", "/sandbox/api/users", { first_name: form.name.value, language_code: form.lang.value });
    form.reset();
    await load();
    setActive(u.id);
  } catch (err) { alert(err.message); }
});

connect();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Lastbite sandbox</title>
<style>${CSS}</style>
</head>
<body>
<div class="top">
  <div class="logo">L</div>
  <div><h1>Lastbite sandbox</h1><div class="sub" id="botname">Telegram, simulated locally</div></div>
  <form class="newuser" id="newuser" title="Someone new: open a shop of your own, or buy as a stranger">
    <input name="name" placeholder="New user's name" maxlength="64" required data-testid="new-user-name">
    <select name="lang" aria-label="Language"><option value="en">en</option><option value="ru">ru</option><option value="uz">uz</option></select>
    <button class="btn primary" data-testid="new-user-add">+ Add user</button>
  </form>
  <div class="status"><span class="dot" id="dot"></span><span id="conn">connecting…</span></div>
</div>
<nav class="tabs" id="tabs"></nav>
<main class="board" id="board"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
