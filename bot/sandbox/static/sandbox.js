/*
 * shopbot sandbox — a WhatsApp-look chat that talks to the bot the real way.
 *
 * Customer → bot: the page builds Meta Cloud API webhook bodies, signs them with
 * the app secret (X-Hub-Signature-256) and POSTs them to the bot's own /webhook.
 * Bot → customer: the page polls a feed of what pywa POSTed to the (fake) Graph
 * API and renders those payloads the way WhatsApp would.
 *
 * Safety rule for this file: text from customers, the owner or the bot reaches
 * the DOM only through textContent or formatWhatsApp(), which escapes first.
 */
'use strict';

(() => {
  const config = JSON.parse(document.getElementById('sandbox-config').textContent);
  const STORE_PREFIX = 'shopbot-sandbox:';
  const POLL_MS = 700;
  const NEAR_BOTTOM_PX = 80;
  const DEFAULT_CUSTOMER = { name: 'Sam Rivera', wa_id: '34600111222' };
  const encoder = new TextEncoder();

  const $ = (id) => document.getElementById(id);
  const ui = {
    customers: $('customers'),
    select: $('customer-select'),
    addToggle: $('add-toggle'),
    addForm: $('add-customer'),
    addName: $('new-customer-name'),
    addWaId: $('new-customer-wa-id'),
    addError: $('add-customer-error'),
    sidebar: $('sidebar'),
    messages: $('messages'),
    emptyHint: $('empty-hint'),
    jump: $('jump-bottom'),
    presence: $('presence'),
    chatAs: $('chat-as'),
    shopAvatar: $('shop-avatar'),
    composerForm: $('composer-form'),
    composer: $('composer'),
    sheet: $('list-sheet'),
    sheetTitle: $('sheet-title'),
    sheetBody: $('sheet-body'),
    sheetClose: $('sheet-close'),
  };

  const state = {
    customers: [],
    current: null,
    // Bumped on every chat switch, so a feed answer for the previous chat is dropped.
    epoch: 0,
    // seq -> {entry, el, statusEl} for bot messages of the current chat.
    bot: new Map(),
    // customer message id -> {record, el} for the current chat (read ticks, quotes).
    outgoing: new Map(),
    // wamids we already sent a "read" status for (one receipt per message, ever).
    markedRead: new Set(),
    // The first feed answer of a chat is merged by time; later ones arrive live.
    feedLoaded: false,
    // Highest feed seq seen in this chat; stamped on each sent message (see comesBefore).
    maxSeq: null,
    polling: false,
    pollAgain: false,
    pollTimer: null,
    sheetOpener: null,
  };

  // ---------------------------------------------------------------- helpers

  /** Create an element; text (if given) goes in through textContent. */
  function h(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** An element whose content is WhatsApp-formatted (escaped first) text. */
  function formatted(tag, className, text) {
    const node = h(tag, className);
    node.dir = 'auto';
    node.innerHTML = formatWhatsApp(text);
    return node;
  }

  function nowSeconds() {
    return String(Math.floor(Date.now() / 1000));
  }

  function randomHex(bytes) {
    const buf = crypto.getRandomValues(new Uint8Array(bytes));
    return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Backend timestamps may carry microseconds, which Date.parse does not promise to read. */
  function parseTime(iso) {
    const t = Date.parse(String(iso || '').replace(/(\.\d{3})\d+/, '$1'));
    return Number.isNaN(t) ? Date.now() : t;
  }

  function clockLabel(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  /** Only http(s) links (absolute or relative to this page) become href/src. */
  function safeUrl(link) {
    if (!link) return null;
    try {
      const url = new URL(String(link), window.location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch {
      return null;
    }
  }

  /** A stable pleasant colour per person, like WhatsApp group name colours. */
  function avatarColour(seed) {
    let hash = 0;
    for (const ch of String(seed)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return `hsl(${hash % 360} 45% 52%)`;
  }

  function initials(name) {
    const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
    const letters = parts.slice(0, 2).map((p) => Array.from(p)[0]);
    return (letters.join('') || '?').toUpperCase();
  }

  function listIcon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '18');
    svg.setAttribute('height', '18');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', 'M3 5h2v2H3zm4 0h14v2H7zM3 11h2v2H3zm4 0h14v2H7zm-4 6h2v2H3zm4 0h14v2H7z');
    svg.append(path);
    return svg;
  }

  // ---------------------------------------------------------------- formatting

  function escapeHtml(text) {
    const map = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
    return String(text).replace(/[&<>"']/g, (c) => map[c]);
  }

  /**
   * WhatsApp markup to HTML. The text is escaped FIRST; every later step only
   * wraps escaped text in tags we write ourselves. Code and links are set aside
   * in placeholders so that markers inside them stay literal.
   */
  function formatWhatsApp(text) {
    const stash = [];
    const keep = (html) => `\u0000${stash.push(html) - 1}\u0000`;
    let s = escapeHtml(String(text ?? '').replace(/\u0000/g, ''));

    s = s.replace(/```([\s\S]+?)```/g, (_, code) => keep(`<code class="mono">${code}</code>`));
    s = s.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${code}</code>`));
    // A link stops at whitespace or at an escaped quote/angle bracket.
    s = s.replace(/https?:\/\/(?:(?!&(?:quot|#39|lt|gt);)[^\s\u0000])+/g, (match) => {
      const [url, rest] = splitTrailing(match);
      return keep(`<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`) + rest;
    });
    s = applyMarker(s, '*', 'strong');
    s = applyMarker(s, '_', 'em');
    s = applyMarker(s, '~', 'del');
    s = s.replace(/\r?\n/g, '<br>');
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => stash[Number(i)]);
  }

  /** Sentence punctuation and formatting markers after a URL belong to the text. */
  function splitTrailing(url) {
    let rest = '';
    for (;;) {
      const last = url.slice(-1);
      const opens = url.split('(').length;
      const closes = url.split(')').length;
      const trailingPunct = /[.,!?:*_~]/.test(last) || (last === ';' && !/&[a-z#0-9]+;$/i.test(url));
      const unbalancedParen = last === ')' && closes > opens;
      if (!(trailingPunct || unbalancedParen) || url.length <= 8) break;
      rest = last + rest;
      url = url.slice(0, -1);
    }
    return [url, rest];
  }

  /**
   * Wrap *x* / _x_ / ~x~ like WhatsApp: the opening marker must not follow a
   * letter or digit and must touch a non-space; the closing one likewise, so
   * "2*3*4" and snake_case_names stay plain.
   */
  function applyMarker(s, marker, tag) {
    const m = marker === '*' ? '\\*' : marker;
    const re = new RegExp(
      `(^|[^\\p{L}\\p{N}${m}])${m}(?=[^\\s${m}])([^\\n]*?[^\\s${m}])${m}(?![\\p{L}\\p{N}${m}])`,
      'gu',
    );
    return s.replace(re, (_, before, inner) => `${before}<${tag}>${inner}</${tag}>`);
  }

  // ---------------------------------------------------------------- storage

  function load(key, fallback) {
    try {
      const raw = localStorage.getItem(STORE_PREFIX + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      localStorage.setItem(STORE_PREFIX + key, JSON.stringify(value));
    } catch {
      // Storage full or disabled: the sandbox keeps working, it just forgets on reload.
    }
  }

  function loadSent(waId) {
    const list = load(`sent:${waId}`, []);
    return Array.isArray(list) ? list : [];
  }

  /** Insert or replace one of a customer's own sent messages, by id. */
  function storeSent(waId, record) {
    const list = loadSent(waId);
    const i = list.findIndex((r) => r.id === record.id);
    if (i >= 0) list[i] = record;
    else list.push(record);
    save(`sent:${waId}`, list.slice(-500));
  }

  // ---------------------------------------------------------------- customers

  function validCustomer(c) {
    return c && typeof c.name === 'string' && /^\d{5,15}$/.test(String(c.wa_id));
  }

  function loadCustomers() {
    const list = load('customers', null);
    state.customers = Array.isArray(list) ? list.filter(validCustomer) : [];
    if (!state.customers.length) state.customers = [{ ...DEFAULT_CUSTOMER }];
  }

  function renderCustomers() {
    ui.customers.replaceChildren();
    ui.select.replaceChildren();
    for (const customer of state.customers) {
      const active = state.current && customer.wa_id === state.current.wa_id;
      ui.customers.append(customerItem(customer, active));
      // <option> can't hold elements: Unicode isolates keep an RTL name from swallowing the number.
      const option = h('option', null, `\u2068${customer.name}\u2069 · +${customer.wa_id}`);
      option.value = customer.wa_id;
      option.selected = active;
      ui.select.append(option);
    }
  }

  function customerItem(customer, active) {
    const li = h('li', 'customer-item');
    const button = h('button', active ? 'customer active' : 'customer');
    button.type = 'button';
    button.dataset.waId = customer.wa_id;
    if (active) button.setAttribute('aria-current', 'true');
    const avatar = h('span', 'avatar', initials(customer.name));
    avatar.style.background = avatarColour(customer.wa_id);
    avatar.setAttribute('aria-hidden', 'true');
    const text = h('span', 'customer-text');
    const name = h('span', 'customer-name', customer.name);
    name.dir = 'auto';
    text.append(name, h('span', 'customer-number', `+${customer.wa_id}`));
    button.append(avatar, text);
    button.addEventListener('click', () => selectCustomer(customer.wa_id));

    const remove = h('button', 'customer-remove', '✕');
    remove.type = 'button';
    remove.title = `Remove ${customer.name} from this list`;
    remove.setAttribute('aria-label', remove.title);
    remove.addEventListener('click', () => removeCustomer(customer.wa_id));
    li.append(button, remove);
    return li;
  }

  function addCustomer(name, rawNumber) {
    const waId = String(rawNumber).replace(/\D/g, '');
    if (!/^\d{5,15}$/.test(waId)) return 'The number needs 5 to 15 digits (country code first, no +).';
    const existing = state.customers.find((c) => c.wa_id === waId);
    if (existing) {
      selectCustomer(waId);
      return null;
    }
    const customer = { name: name.trim() || `Customer ${waId.slice(-4)}`, wa_id: waId };
    state.customers.push(customer);
    save('customers', state.customers);
    selectCustomer(waId);
    return null;
  }

  function removeCustomer(waId) {
    const customer = state.customers.find((c) => c.wa_id === waId);
    if (!customer || !window.confirm(`Remove ${customer.name} and the messages you sent as them?`)) return;
    state.customers = state.customers.filter((c) => c.wa_id !== waId);
    if (!state.customers.length) state.customers = [{ ...DEFAULT_CUSTOMER }];
    save('customers', state.customers);
    try {
      localStorage.removeItem(`${STORE_PREFIX}sent:${waId}`);
    } catch {
      // Nothing to clean if storage is unavailable.
    }
    selectCustomer(state.current && state.current.wa_id !== waId ? state.current.wa_id : state.customers[0].wa_id);
  }

  /** Switch the chat to another customer: clear the pane and reload from storage + feed. */
  function selectCustomer(waId) {
    const customer = state.customers.find((c) => c.wa_id === waId) || state.customers[0];
    state.current = customer;
    save('current', customer.wa_id);
    state.epoch += 1;
    state.bot.clear();
    state.outgoing.clear();
    state.feedLoaded = false;
    state.maxSeq = null;
    closeSheet();

    renderCustomers();
    renderChatAs(customer);
    for (const node of Array.from(ui.messages.querySelectorAll(':scope > .msg'))) node.remove();
    for (const record of loadSent(customer.wa_id)) {
      insertByTime(buildOutgoing(record));
    }
    afterRender(true);
    pollSoon();
  }

  /** "You are <name> · +<number>", each part bidi-isolated so Arabic names stay put. */
  function renderChatAs(customer) {
    const name = h('bdi', null, customer.name);
    const number = h('span', null, `+${customer.wa_id}`);
    number.dir = 'ltr';
    ui.chatAs.replaceChildren('You are ', name, ' · ', number);
  }

  // ---------------------------------------------------------------- timeline

  function isNearBottom() {
    const m = ui.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
    ui.jump.hidden = true;
  }

  /**
   * Timeline order for merging stored customer messages with the feed. The
   * feed's times are whole seconds, too coarse for a quick exchange, so within
   * one second a bot message goes before a customer message only if the page
   * had already seen it (its seq <= the seq mark stamped on the customer
   * message when sent), which is the order it was shown live.
   */
  function comesBefore(a, b) {
    const secA = Math.floor(Number(a.dataset.ts) / 1000);
    const secB = Math.floor(Number(b.dataset.ts) / 1000);
    if (secA !== secB) return secA < secB;
    const inA = a.classList.contains('msg-in');
    const inB = b.classList.contains('msg-in');
    if (inA && inB) return Number(a.dataset.seq) < Number(b.dataset.seq);
    if (!inA && !inB) return Number(a.dataset.ts) < Number(b.dataset.ts);
    const [bot, customer] = inA ? [a, b] : [b, a];
    const mark = customer.dataset.afterSeq === undefined ? -Infinity : Number(customer.dataset.afterSeq);
    const botFirst = Number(bot.dataset.seq) <= mark;
    return inA ? botFirst : !botFirst;
  }

  /** Place a bubble among the others (before the first one it comes before). */
  function insertByTime(node) {
    const later = Array.from(ui.messages.querySelectorAll(':scope > .msg')).find((n) => comesBefore(node, n));
    ui.messages.insertBefore(node, later || null);
  }

  function append(node) {
    ui.messages.append(node);
  }

  /** Bookkeeping after bubbles change: tails, empty hint, scroll position. */
  function afterRender(stick) {
    const bubbles = Array.from(ui.messages.querySelectorAll(':scope > .msg'));
    let previousSide = null;
    for (const node of bubbles) {
      const side = node.classList.contains('msg-in') ? 'in' : 'out';
      node.classList.toggle('tail', side !== previousSide);
      previousSide = side;
    }
    ui.emptyHint.hidden = bubbles.length > 0;
    if (stick) scrollToBottom();
  }

  /** Images load after layout: keep the chat pinned to the bottom if it was. */
  function keepPinnedWhileLoading(media) {
    media.addEventListener('load', () => {
      if (media.dataset.pinned === '1') scrollToBottom();
    });
    media.addEventListener('loadedmetadata', () => {
      if (media.dataset.pinned === '1') scrollToBottom();
    });
  }

  // ---------------------------------------------------------------- outgoing (customer) bubbles

  function buildOutgoing(record) {
    const msg = h('div', 'msg msg-out');
    msg.dir = 'auto';
    msg.dataset.id = record.id;
    msg.dataset.ts = String(record.at);
    if (record.afterSeq !== null && record.afterSeq !== undefined) msg.dataset.afterSeq = String(record.afterSeq);
    const bubble = h('div', 'bubble');
    if (record.reply) bubble.append(h('div', 'reply-chip', record.reply === 'list' ? 'List reply' : 'Button reply'));
    bubble.append(formatted('div', 'text', record.text));
    const meta = h('div', 'meta');
    meta.dir = 'ltr';
    meta.append(h('time', 'time', clockLabel(record.at)), h('span', 'ticks'));
    bubble.append(meta);
    msg.append(bubble);
    updateOutgoing(msg, record);
    state.outgoing.set(record.id, { record, el: msg });
    return msg;
  }

  /** Reflect the webhook's answer (or the bot's read receipt) on a customer bubble. */
  function updateOutgoing(msg, record) {
    const ticks = msg.querySelector('.ticks');
    msg.querySelector('.send-error')?.remove();
    msg.classList.toggle('failed', record.status === 'failed');
    msg.removeAttribute('title');
    ticks.className = 'ticks';
    if (record.status === 'pending') {
      ticks.textContent = '🕓';
      ticks.classList.add('pending');
    } else if (record.status === 'failed') {
      ticks.textContent = '';
      const bang = h('span', 'send-error', '!');
      bang.title = record.error || 'webhook failed';
      msg.title = bang.title;
      msg.prepend(bang);
    } else {
      ticks.textContent = record.read ? '✓✓' : '✓';
      ticks.classList.toggle('read', Boolean(record.read));
    }
  }

  /** pywa's mark_as_read goes to /messages too; show it as blue ticks on our bubble. */
  function markOutgoingRead(messageId) {
    const known = state.outgoing.get(messageId);
    if (!known || known.record.read) return;
    known.record.read = true;
    updateOutgoing(known.el, known.record);
  }

  // ---------------------------------------------------------------- sending (customer -> bot)

  function webhookBody(value) {
    return {
      object: 'whatsapp_business_account',
      entry: [{
        id: '0',
        changes: [{
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: {
              display_phone_number: config.display_phone_number,
              phone_number_id: config.phone_number_id,
            },
            ...value,
          },
        }],
      }],
    };
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /**
   * "sha256=<hex>" for exactly these bytes. WebCrypto exists only in secure
   * contexts (localhost or https); elsewhere, e.g. a phone on the LAN, the
   * backend signs for us.
   */
  async function signature(bytes, bodyText) {
    if (window.isSecureContext && window.crypto && crypto.subtle) {
      const key = await crypto.subtle.importKey(
        'raw', encoder.encode(config.app_secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'],
      );
      return `sha256=${hex(await crypto.subtle.sign('HMAC', key, bytes))}`;
    }
    const res = await fetch(config.sign_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: bodyText,
    });
    if (!res.ok) throw new Error(`sign endpoint answered ${res.status}`);
    return (await res.json()).signature;
  }

  /** Serialize once, sign and send those same bytes. Resolves to the fetch Response. */
  async function postSigned(payload) {
    const bodyText = JSON.stringify(payload);
    const bytes = encoder.encode(bodyText);
    const sig = await signature(bytes, bodyText);
    return fetch(config.webhook_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': sig },
      body: bytes,
    });
  }

  /**
   * Show the customer's message at once, then deliver it through the webhook.
   * `fields` are the message-specific keys (type, text/interactive, context).
   */
  async function sendAsCustomer(fields, shownText, replyKind) {
    const customer = state.current;
    const message = {
      from: customer.wa_id,
      id: `wamid.sandbox.${randomHex(12)}`,
      timestamp: nowSeconds(),
      ...fields,
    };
    const record = {
      id: message.id,
      at: Date.now(),
      afterSeq: state.maxSeq,
      text: shownText,
      status: 'pending',
      reply: replyKind || null,
    };
    storeSent(customer.wa_id, record);
    const el = buildOutgoing(record);
    append(el);
    afterRender(true);

    try {
      const res = await postSigned(webhookBody({
        contacts: [{ profile: { name: customer.name }, wa_id: customer.wa_id }],
        messages: [message],
      }));
      record.status = res.ok ? 'sent' : 'failed';
      record.error = res.ok ? null : `webhook answered HTTP ${res.status}`;
    } catch (err) {
      record.status = 'failed';
      record.error = `webhook not reached: ${err.message}`;
    }
    storeSent(customer.wa_id, record);
    if (el.isConnected) updateOutgoing(el, record);
    pollSoon();
  }

  function sendText(text) {
    return sendAsCustomer({ type: 'text', text: { body: text } }, text);
  }

  function sendButtonReply(reply, botWamid) {
    return sendAsCustomer({
      context: { from: config.display_phone_number, id: botWamid || '' },
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: String(reply.id ?? ''), title: String(reply.title ?? '') } },
    }, String(reply.title ?? ''), 'button');
  }

  function sendListReply(row, botWamid) {
    const listReply = { id: String(row.id ?? ''), title: String(row.title ?? '') };
    if (row.description) listReply.description = String(row.description);
    return sendAsCustomer({
      context: { from: config.display_phone_number, id: botWamid || '' },
      type: 'interactive',
      interactive: { type: 'list_reply', list_reply: listReply },
    }, listReply.title, 'list');
  }

  // ---------------------------------------------------------------- read receipts

  /** Like a phone with the chat open: one signed "read" status per bot message. */
  function maybeMarkRead(rec) {
    const { wamid, status } = rec.entry;
    if (!rec.el || !wamid || state.markedRead.has(wamid)) return;
    if (document.visibilityState !== 'visible') return;
    if (status !== 'sent' && status !== 'delivered') return;
    state.markedRead.add(wamid);
    const body = webhookBody({
      statuses: [{ id: wamid, status: 'read', timestamp: nowSeconds(), recipient_id: state.current.wa_id }],
    });
    postSigned(body)
      .then((res) => {
        if (!res.ok) console.warn(`read receipt for ${wamid}: webhook answered HTTP ${res.status}`);
      })
      .catch((err) => console.warn(`read receipt for ${wamid} not sent: ${err.message}`));
  }

  // ---------------------------------------------------------------- receiving (bot -> customer)

  function pollSoon() {
    if (state.polling) {
      state.pollAgain = true;
      return;
    }
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(poll, 0);
  }

  async function poll() {
    clearTimeout(state.pollTimer);
    state.polling = true;
    const epoch = state.epoch;
    try {
      const url = new URL(config.feed_url, window.location.href);
      url.searchParams.set('customer', state.current.wa_id);
      const res = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`feed answered HTTP ${res.status}`);
      const data = await res.json();
      if (epoch === state.epoch) {
        applyFeed(Array.isArray(data.messages) ? data.messages : []);
        setPresence(true);
      }
    } catch (err) {
      if (epoch === state.epoch) setPresence(false, err.message);
    } finally {
      state.polling = false;
      const delay = state.pollAgain ? 0 : POLL_MS;
      state.pollAgain = false;
      state.pollTimer = setTimeout(poll, delay);
    }
  }

  function setPresence(ok, why) {
    ui.presence.textContent = ok ? 'online' : 'connecting…';
    ui.presence.classList.toggle('offline', !ok);
    ui.presence.title = ok ? '' : why || '';
  }

  /** Add new feed entries by seq; refresh the status of known ones. */
  function applyFeed(entries) {
    const stick = !state.feedLoaded || isNearBottom();
    const fresh = [];
    for (const entry of entries) {
      if (!entry || entry.seq === undefined || entry.seq === null) continue;
      const key = String(entry.seq);
      if (Number.isFinite(Number(entry.seq))) state.maxSeq = Math.max(state.maxSeq ?? -Infinity, Number(entry.seq));
      const known = state.bot.get(key);
      if (known) {
        if (known.el && (known.entry.status !== entry.status || known.entry.error !== entry.error)) {
          known.entry = entry;
          renderStatus(known);
        }
        maybeMarkRead(known);
        continue;
      }
      const payload = entry.payload || {};
      if (!payload.type && payload.status === 'read') {
        // Not a message: the bot marking the customer's message read (maybe with typing dots).
        markOutgoingRead(payload.message_id);
        state.bot.set(key, { entry, el: null });
        continue;
      }
      const rec = { entry, el: null, statusEl: null };
      rec.el = buildBotMessage(rec);
      state.bot.set(key, rec);
      fresh.push(rec);
    }
    for (const rec of fresh) {
      if (state.feedLoaded) append(rec.el);
      else insertByTime(rec.el);
      for (const media of rec.el.querySelectorAll('img, video')) media.dataset.pinned = stick ? '1' : '0';
    }
    const firstLoad = !state.feedLoaded;
    state.feedLoaded = true;
    if (fresh.length || firstLoad) {
      afterRender(stick);
      if (!stick && fresh.length) ui.jump.hidden = false;
    }
    for (const rec of fresh) maybeMarkRead(rec);
  }

  function buildBotMessage(rec) {
    const { entry } = rec;
    const at = parseTime(entry.at);
    const msg = h('div', 'msg msg-in');
    msg.dir = 'auto';
    msg.dataset.seq = String(entry.seq);
    msg.dataset.ts = String(at);
    if (entry.wamid) msg.dataset.wamid = entry.wamid;

    const bubble = h('div', 'bubble');
    let rendered;
    try {
      rendered = renderPayload(entry.payload || {}, entry.wamid, entry.summary);
    } catch (err) {
      // A payload we did not foresee must not stop the rest of the chat from rendering.
      console.error('could not render payload', entry.payload, err);
      rendered = { parts: [formatted('div', 'unknown', entry.summary || '[unrenderable message]')], actions: null };
    }
    const quote = quoteFor(entry.payload);
    if (quote) bubble.append(quote);
    bubble.append(...rendered.parts);
    const meta = h('div', 'meta');
    meta.dir = 'ltr';
    meta.append(h('time', 'time', clockLabel(at)));
    bubble.append(meta);
    if (rendered.actions) bubble.append(rendered.actions);
    msg.append(bubble);

    rec.statusEl = h('div', 'status');
    msg.append(rec.statusEl);
    renderStatus(rec);
    for (const media of msg.querySelectorAll('img, video')) keepPinnedWhileLoading(media);
    return msg;
  }

  /** A bot reply to a specific customer message shows it quoted, like WhatsApp. */
  function quoteFor(payload) {
    const quotedId = payload && payload.context && payload.context.message_id;
    const known = quotedId && state.outgoing.get(quotedId);
    if (!known) return null;
    const quote = h('div', 'quote');
    quote.append(h('div', 'quote-who', 'You'), formatted('div', 'quote-text', known.record.text));
    return quote;
  }

  /**
   * A customer never sees ticks on the messages they receive, so a reply shows nothing but a
   * failure (the bot could not send it); data-status still tells tests and curious eyes where it is.
   */
  function renderStatus(rec) {
    const { status, error } = rec.entry;
    const el = rec.statusEl;
    el.dataset.status = status || 'unknown';
    // "dead" means the bot gave up retrying; data-status tells the two apart.
    el.textContent = status === 'failed' || status === 'dead' ? `⚠ failed: ${error || 'no reason given'}` : '';
  }

  // ---------------------------------------------------------------- payload rendering

  /**
   * Cloud API send payload -> {parts: bubble content nodes, actions: node under
   * the text (buttons, links) or null}.
   */
  function renderPayload(payload, wamid, summary) {
    const type = payload.type;
    switch (type) {
      case 'text':
        return { parts: [formatted('div', 'text', payload.text && payload.text.body)], actions: null };
      case 'interactive':
        return renderInteractive(payload.interactive || {}, wamid, summary);
      case 'image':
      case 'video':
      case 'audio':
      case 'sticker':
      case 'document':
        return { parts: mediaParts(type, payload[type] || {}), actions: null };
      case 'template':
        return { parts: templateParts(payload.template || {}), actions: null };
      case 'location':
        return { parts: locationParts(payload.location || {}), actions: null };
      case 'reaction':
        return { parts: [h('div', 'unknown', `[reaction ${(payload.reaction && payload.reaction.emoji) || 'removed'}]`)], actions: null };
      default: // the server's one-line summary (bot/whatsapp/message_types) of a type this page cannot draw
        return { parts: [formatted('div', 'unknown', summary || `[${type || 'unknown'}]`)], actions: null };
    }
  }

  function mediaParts(kind, media) {
    const parts = [mediaNode(kind, media)];
    if (media.caption) parts.push(formatted('div', 'caption', media.caption));
    return parts;
  }

  function mediaNode(kind, media) {
    const url = safeUrl(media.link);
    if (kind === 'document') {
      const tile = h(url ? 'a' : 'div', 'doc-tile');
      if (url) {
        tile.href = url;
        tile.target = '_blank';
        tile.rel = 'noopener noreferrer';
      }
      const name = h('span', 'doc-name', media.filename || 'Document');
      name.dir = 'auto';
      tile.append(h('span', 'doc-icon', '📄'), name);
      return tile;
    }
    if (!url) return h('div', 'unknown', `[${kind}${media.id ? ` ${media.id}` : ''}]`);
    if (kind === 'image' || kind === 'sticker') {
      const img = h('img', kind === 'sticker' ? 'media sticker' : 'media');
      img.src = url;
      img.alt = media.caption || kind;
      img.loading = 'lazy';
      return img;
    }
    const player = h(kind, 'media');
    player.controls = true;
    player.preload = 'metadata';
    player.src = url;
    return player;
  }

  function templateParts(template) {
    const language = (template.language && template.language.code) || '?';
    const parts = [h('div', 'template-name', `Template: ${template.name || '?'} (${language})`)];
    const body = (template.components || []).find((c) => c && c.type === 'body');
    const values = ((body && body.parameters) || [])
      .map((p) => p.text ?? (p.currency && p.currency.fallback_value) ?? (p.date_time && p.date_time.fallback_value) ?? `[${p.type}]`);
    if (values.length) parts.push(formatted('div', 'text', values.join(' · ')));
    return parts;
  }

  function locationParts(loc) {
    const card = h('div', 'location');
    const title = h('div', 'location-name', `📍 ${loc.name || 'Location'}`);
    title.dir = 'auto';
    card.append(title);
    if (loc.address) {
      const address = h('div', 'location-address', loc.address);
      address.dir = 'auto';
      card.append(address);
    }
    card.append(h('div', 'location-coords', `${loc.latitude}, ${loc.longitude}`));
    return [card];
  }

  function headerParts(header) {
    if (!header) return [];
    if (header.type === 'text') {
      const node = h('div', 'ia-header', header.text);
      node.dir = 'auto';
      return [node];
    }
    if (['image', 'video', 'document'].includes(header.type)) return [mediaNode(header.type, header[header.type] || {})];
    return [];
  }

  /** header / body / footer, shared by every interactive kind. */
  function interactiveText(ia) {
    const parts = headerParts(ia.header);
    if (ia.body && ia.body.text) parts.push(formatted('div', 'text', ia.body.text));
    if (ia.footer && ia.footer.text) parts.push(formatted('div', 'footer', ia.footer.text));
    return parts;
  }

  function renderInteractive(ia, wamid, summary) {
    const parts = interactiveText(ia);
    const action = ia.action || {};
    let actions = null;
    switch (ia.type) {
      case 'button':
        actions = replyButtons(action.buttons || [], wamid);
        break;
      case 'list':
        actions = listOpenButton(ia, wamid);
        break;
      case 'cta_url':
        actions = ctaLink(action.parameters || {});
        break;
      case 'product':
        parts.push(card('🛍️ Product', [`Item ${action.product_retailer_id || '?'}`, `Catalog ${action.catalog_id || '?'}`]));
        actions = inertAction('View');
        break;
      case 'product_list':
        parts.push(card('🛍️ Products', (action.sections || []).map((s) => {
          const ids = (s.product_items || []).map((p) => p.product_retailer_id).join(', ');
          return `${s.title || 'Section'}: ${ids}`;
        })));
        actions = inertAction('View items');
        break;
      case 'catalog_message': {
        const thumb = action.parameters && action.parameters.thumbnail_product_retailer_id;
        parts.push(card('🛍️ View catalog', thumb ? [`Cover item ${thumb}`] : []));
        actions = inertAction('View catalog');
        break;
      }
      default:
        parts.push(formatted('div', 'unknown', summary || `[interactive ${ia.type || '?'}]`));
    }
    return { parts, actions };
  }

  function replyButtons(buttons, wamid) {
    const box = h('div', 'actions');
    for (const button of buttons) {
      const reply = button.reply || {};
      const node = h('button', 'reply-button', reply.title ?? '');
      node.type = 'button';
      node.dir = 'auto';
      node.dataset.id = String(reply.id ?? '');
      node.addEventListener('click', () => sendButtonReply(reply, wamid));
      box.append(node);
    }
    return box;
  }

  function listOpenButton(ia, wamid) {
    const box = h('div', 'actions');
    const label = (ia.action && ia.action.button) || 'Options';
    const node = h('button', 'list-open');
    node.type = 'button';
    const text = h('span', null, label);
    text.dir = 'auto';
    node.append(listIcon(), text);
    node.addEventListener('click', () => openSheet(label, ia.action.sections || [], wamid, node));
    box.append(node);
    return box;
  }

  function ctaLink(params) {
    const box = h('div', 'actions');
    const url = safeUrl(params.url);
    const link = h(url ? 'a' : 'span', 'cta-link', `↗ ${params.display_text || params.url || 'Open link'}`);
    if (url) {
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.title = url;
    }
    box.append(link);
    return box;
  }

  /** The catalog isn't available in the sandbox; the button shows what the customer sees. */
  function inertAction(label) {
    const box = h('div', 'actions');
    const node = h('span', 'inert-action', label);
    node.title = 'Catalogs open inside WhatsApp; the sandbox only shows what was sent.';
    box.append(node);
    return box;
  }

  function card(title, lines) {
    const node = h('div', 'card');
    node.append(h('div', 'card-title', title));
    for (const line of lines) {
      const row = h('div', 'card-line', line);
      row.dir = 'auto';
      node.append(row);
    }
    return node;
  }

  // ---------------------------------------------------------------- list sheet

  function openSheet(title, sections, wamid, opener) {
    state.sheetOpener = opener;
    ui.sheetTitle.textContent = title;
    ui.sheetBody.replaceChildren();
    for (const section of sections) {
      const group = h('div', 'sheet-section');
      group.setAttribute('role', 'radiogroup');
      if (section.title) {
        const heading = h('div', 'sheet-section-title', section.title);
        heading.dir = 'auto';
        group.append(heading);
      }
      for (const row of section.rows || []) group.append(listRow(row, wamid));
      ui.sheetBody.append(group);
    }
    ui.sheet.hidden = false;
    (ui.sheetBody.querySelector('.list-row') || ui.sheetClose).focus();
  }

  function listRow(row, wamid) {
    const node = h('button', 'list-row');
    node.type = 'button';
    node.setAttribute('role', 'radio');
    node.setAttribute('aria-checked', 'false');
    node.dataset.id = String(row.id ?? '');
    const text = h('span', 'list-row-text');
    const title = h('span', 'list-row-title', row.title ?? '');
    title.dir = 'auto';
    text.append(title);
    if (row.description) {
      const desc = h('span', 'list-row-desc', row.description);
      desc.dir = 'auto';
      text.append(desc);
    }
    node.append(text, h('span', 'radio'));
    node.addEventListener('click', () => {
      node.setAttribute('aria-checked', 'true');
      closeSheet();
      sendListReply(row, wamid);
    });
    return node;
  }

  function closeSheet() {
    if (ui.sheet.hidden) return;
    ui.sheet.hidden = true;
    ui.sheetBody.replaceChildren();
    if (state.sheetOpener && state.sheetOpener.isConnected) state.sheetOpener.focus();
    state.sheetOpener = null;
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    ui.composerForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = ui.composer.value.trim();
      if (!text) return;
      ui.composer.value = '';
      ui.composer.focus();
      sendText(text);
    });

    ui.addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const error = addCustomer(ui.addName.value, ui.addWaId.value);
      ui.addError.textContent = error || '';
      ui.addError.hidden = !error;
      if (!error) {
        ui.addForm.reset();
        setAddFormOpen(false);
      }
    });

    ui.addToggle.addEventListener('click', () => setAddFormOpen(!ui.sidebar.classList.contains('adding')));
    ui.select.addEventListener('change', () => selectCustomer(ui.select.value));

    ui.sheetClose.addEventListener('click', closeSheet);
    ui.sheet.addEventListener('click', (event) => {
      if (event.target === ui.sheet) closeSheet(); // a tap on the dimmed backdrop
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeSheet();
    });

    ui.messages.addEventListener('scroll', () => {
      if (isNearBottom()) ui.jump.hidden = true;
    });
    ui.jump.addEventListener('click', scrollToBottom);

    // Messages that arrived while the tab was hidden are "read" once it is seen.
    document.addEventListener('visibilitychange', () => {
      for (const rec of state.bot.values()) maybeMarkRead(rec);
    });
  }

  /** Narrow screens only: the add form folds behind the "+" button. */
  function setAddFormOpen(open) {
    ui.sidebar.classList.toggle('adding', open);
    ui.addToggle.setAttribute('aria-expanded', String(open));
    if (open) ui.addName.focus();
  }

  function start() {
    ui.shopAvatar.textContent = initials(config.shop_name);
    ui.shopAvatar.style.background = avatarColour(config.shop_name || 'shop');
    loadCustomers();
    wire();
    const saved = load('current', null);
    selectCustomer(state.customers.some((c) => c.wa_id === saved) ? saved : state.customers[0].wa_id);
  }

  start();
})();
