// The staff dashboard's live parts, in plain JavaScript: the waiting badge (with a sound when a
// new chat waits), the inbox table, and an open chat's header and transcript. Short polling
// keeps it simple behind any proxy and with sync gunicorn workers.
(function () {
  "use strict";
  var POLL_MS = 3000;

  function get(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
      if (r.status === 401) { window.location.reload(); throw new Error("logged out"); }
      return r;
    });
  }

  var audio = null;
  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.18);
    } catch (e) { /* no sound until the page has been clicked once: browsers' rule */ }
  }

  // Browser notifications, once staff allow them: a new waiting chat, a reply in a chat of mine.
  function notify(title, body, url) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var note = new Notification(title, {body: body, tag: title});
      note.onclick = function () { window.focus(); window.location.href = url; };
    } catch (e) { /* some browsers allow notifications only from a service worker */ }
  }

  function offerNotifications() {
    var button = document.getElementById("notify-button");
    if (!button || !("Notification" in window) || Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }

  var lastWaiting = null, lastMine = null;
  function pollBadge() {
    var url = document.body.dataset.poll, badge = document.getElementById("waiting-badge");
    if (!url || !badge) return;
    get(url).then(function (r) { return r.json(); }).then(function (counts) {
      badge.textContent = counts.waiting; badge.dataset.count = counts.waiting;
      badge.hidden = counts.waiting === 0;
      document.querySelectorAll("[data-count-for]").forEach(function (el) {
        el.textContent = counts[el.dataset.countFor];
      });
      document.title = document.title.replace(/^\(\d+\) /, "");
      if (counts.waiting) document.title = "(" + counts.waiting + ") " + document.title;
      if (lastWaiting !== null && counts.waiting > lastWaiting) {
        chime();
        notify("A customer is waiting for a person", counts.waiting + " waiting now", "/staff/inbox");
      }
      if (lastMine !== null && counts.mine_waiting > lastMine) {
        notify("A customer answered you", "A chat of yours has a new message", "/staff/inbox?view=mine");
      }
      lastWaiting = counts.waiting; lastMine = counts.mine_waiting;
    }).catch(function () {});
  }

  function pollInbox() {
    var box = document.querySelector("[data-rows]"), body = document.getElementById("inbox-rows");
    if (!box || !body) return;
    get(box.dataset.rows).then(function (r) { return r.text(); }).then(function (html) {
      if (body.dataset.html !== html) {
        var chosen = body.querySelector(".chat-row.chosen");  // keep the j/k choice across refreshes
        body.innerHTML = html; body.dataset.html = html;
        var again = chosen && body.querySelector('.chat-row[data-customer="' + chosen.dataset.customer + '"]');
        if (again) again.classList.add("chosen");
      }
    }).catch(function () {});
  }

  var chatVersion = null;
  function pollChat() {
    var page = document.querySelector("[data-live]");
    if (!page) return;
    get(page.dataset.live).then(function (r) { return r.json(); }).then(function (live) {
      if (live.version === chatVersion) return;
      // The first answer is drawn too: the customer may have written between the page's drawing and
      // this refresh, and taking it for the drawn state hid that message until the next change.
      chatVersion = live.version;
      document.getElementById("chat-header").innerHTML = live.header;
      var transcript = document.getElementById("transcript");
      var atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
      transcript.innerHTML = live.transcript;
      if (atBottom) transcript.scrollTop = transcript.scrollHeight;
      fetchDocuments(transcript);
      var takeOver = document.getElementById("take-over");
      if (takeOver) takeOver.closest("form").hidden = live.mine;
    }).catch(function () {});
  }

  // Keyboard shortcuts (? lists them). Typing in a field is never taken for one.
  function onKey(event) {
    var target = event.target, tag = (target.tagName || "").toLowerCase();
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var help = document.getElementById("shortcuts"), page = document.querySelector(".chat-page");
    var rows = Array.prototype.slice.call(document.querySelectorAll("#inbox-rows .chat-row"));
    var chosen = rows.findIndex(function (row) { return row.classList.contains("chosen"); });
    function choose(i) {
      rows.forEach(function (row) { row.classList.remove("chosen"); });
      if (rows[i]) { rows[i].classList.add("chosen"); rows[i].scrollIntoView({block: "nearest"}); }
    }
    var key = event.key, handled = true;
    if (key === "?") { help.hidden = !help.hidden; }
    else if (key === "Escape" && help && !help.hidden) { help.hidden = true; }
    else if ((key === "j" || key === "k") && rows.length) {
      choose(Math.max(0, Math.min(rows.length - 1, chosen + (key === "j" ? 1 : -1))));
    } else if ((key === "j" || key === "k") && page && page.dataset[key === "j" ? "next" : "prev"]) {
      openChat(page.dataset[key === "j" ? "next" : "prev"], true);
    } else if (key === "Enter" && chosen >= 0) {
      window.location.href = rows[chosen].querySelector("a.who").href;
    } else if (key === "r" && document.getElementById("reply-text")) {
      document.getElementById("reply-text").focus();
    } else if (key === "e" && document.getElementById("hand-back")) {
      document.getElementById("hand-back").click();
    } else if (key === "/") {
      var search = document.querySelector("input[type=search]");
      if (search) search.focus(); else window.location.href = "/staff/inbox?view=all#search";
    } else { handled = false; }
    if (handled) event.preventDefault();
  }

  // A customer's document is fetched from WhatsApp on first view; asking for it here (HEAD, once)
  // keeps it, so the live refresh can show its size before anyone downloads it.
  var sized = {};
  function fetchDocuments(root) {
    root.querySelectorAll("a.file[data-size-unknown]").forEach(function (link) {
      if (sized[link.href]) return;
      sized[link.href] = true;
      fetch(link.href, {method: "HEAD", credentials: "same-origin"}).then(pollChat)
        .catch(function () {});
    });
  }

  // What an open chat needs once its HTML is in the page (on load, and after switching chats).
  function bindChat(root) {
    var transcript = root.querySelector("#transcript");
    if (transcript) transcript.scrollTop = transcript.scrollHeight;
    fetchDocuments(root);
    var canned = root.querySelector("#canned"), reply = root.querySelector("#reply-text");
    if (canned && reply) canned.addEventListener("change", function () {
      if (canned.value) { reply.value = canned.value; reply.focus(); canned.value = ""; }
    });
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  // Switching chats without a page load: the chat list pane, j/k and the browser's back button
  // swap the open chat in place (any failure falls back to an ordinary page load).
  function openChat(href, push) {
    fetch(href, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var next = page.querySelector(".chat-page"), current = document.querySelector(".chat-page");
      if (!next || !current) { window.location.href = href; return; }
      current.replaceWith(next);
      document.title = page.title;
      chatVersion = null;
      if (push) window.history.pushState({chat: href}, "", href);
      bindChat(next);
      pollChat();
    }).catch(function () { window.location.href = href; });
  }

  document.addEventListener("keydown", onKey);  // at once: a key pressed while the page loads still counts

  document.addEventListener("DOMContentLoaded", function () {
    bindChat(document);
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a.pane-chat");
      if (!link || event.button || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      openChat(link.href, true);
    });
    window.addEventListener("popstate", function () {
      if (document.querySelector(".chat-page")) openChat(window.location.href, false);
    });
    document.addEventListener("click", function () { if (!audio) { try { audio = new AudioContext(); } catch (e) {} } }, {once: true});
    if (window.location.hash === "#search") {
      var search = document.querySelector("input[type=search]");
      if (search) search.focus();
    }
    offerNotifications(); pollBadge(); pollChat();
    setInterval(function () { pollBadge(); pollInbox(); pollChat(); }, POLL_MS);
  });
})();
