// Layan agent workspace: keyboard navigation of the inbox and live updates over the agent
// WebSocket. The server renders everything; this file only moves focus and asks for fragments.
(function () {
  "use strict";

  function rows() { return Array.from(document.querySelectorAll("#rows tr.row")); }

  function current() { return document.querySelector("#rows tr.row.current"); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("current"); });
    if (row) {
      row.classList.add("current");
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.metaKey || event.ctrlKey || event.altKey) { return; }
    var list = rows();
    var here = current();
    var index = here ? list.indexOf(here) : -1;
    if (event.key === "j" && list.length) { select(list[Math.min(index + 1, list.length - 1)]); }
    else if (event.key === "k" && list.length) { select(list[Math.max(index - 1, 0)]); }
    else if ((event.key === "Enter" || event.key === "o") && here) { window.location = here.dataset.href; }
    else if (event.key === "x" && here) {
      var box = here.querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
    } else if (event.key === "r" && document.getElementById("reply-text")) {
      event.preventDefault();
      document.getElementById("reply-text").focus();
    } else if (event.key === "n" && document.getElementById("note-text")) {
      event.preventDefault();
      document.getElementById("note-text").focus();
    } else if (event.key === "e" && document.getElementById("solve-button")) {
      document.getElementById("solve-button").click();
    } else if (event.key === "/" && document.getElementById("q")) {
      event.preventDefault();
      document.getElementById("q").focus();
    } else { return; }
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("#rows tr.row");
    if (row && !event.target.closest("a, input, button, label")) { window.location = row.dataset.href; }
  });

  // Canned replies: "/" and a shortcut in the reply box offers saved answers, Enter or a click
  // puts the chosen one in place of "/shortcut" (already filled in for this conversation).
  var canned = { items: [], index: 0, start: -1 };

  function cannedList() { return document.getElementById("canned-list"); }

  function closeCanned() {
    var list = cannedList();
    if (list) { list.hidden = true; list.replaceChildren(); }
    canned.items = [];
    canned.start = -1;
  }

  function showCanned() {
    var list = cannedList();
    list.replaceChildren();
    canned.items.forEach(function (item, i) {
      var option = document.createElement("li");
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", i === canned.index ? "true" : "false");
      option.dataset.index = String(i);
      var key = document.createElement("strong");
      key.textContent = "/" + item.shortcut;
      option.append(key, " " + item.title);
      list.append(option);
    });
    list.hidden = canned.items.length === 0;
  }

  function insertCanned(item) {
    var box = document.getElementById("reply-text");
    var end = box.selectionStart;
    box.value = box.value.slice(0, canned.start) + item.text + box.value.slice(end);
    box.selectionStart = box.selectionEnd = canned.start + item.text.length;
    var thread = document.querySelector("[data-conversation-id]");
    // Counts the use (the API renders it once more; what was inserted is already filled in).
    fetch("/api/v1/canned-replies/" + item.id + "/render?conversation=" + thread.dataset.conversationId,
          { credentials: "same-origin" });
    closeCanned();
    box.focus();
  }

  var cannedTimer = null;
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box.id !== "reply-text" || !cannedList()) { return; }
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|\s)\/([\w-]*)$/.exec(before);
    if (!match) { closeCanned(); return; }
    canned.start = before.length - match[2].length - 1;
    clearTimeout(cannedTimer);
    cannedTimer = setTimeout(function () {
      var url = cannedList().dataset.url + "&q=" + encodeURIComponent(match[2]);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { canned.items = data.items || []; canned.index = 0; showCanned(); });
    }, 120);
  });

  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "reply-text" || !canned.items.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      canned.index = (canned.index + step + canned.items.length) % canned.items.length;
      showCanned();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      insertCanned(canned.items[canned.index]);
    } else if (event.key === "Escape") {
      closeCanned();
    }
  }, true);

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("#canned-list [role=option]");
    if (option) { event.preventDefault(); insertCanned(canned.items[Number(option.dataset.index)]); }
  });

  // SMS cost, as connectors/sms/segments.py counts it (the browser test holds the two equal):
  // GSM-7 when every character is in the GSM alphabet (the extension table costs two units),
  // else UCS-2 in UTF-16 code units; one SMS holds 160/70, each part of a longer one 153/67,
  // and a two-unit character never splits across parts.
  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "\f^{}\\[~]|€";

  function smsSegments(text) {
    var chars = Array.from(text);
    var gsm = chars.map(function (c) {
      if (GSM_BASIC.indexOf(c) !== -1) { return 1; }
      return GSM_EXTENSION.indexOf(c) !== -1 ? 2 : 0;
    });
    var isGsm = gsm.every(function (u) { return u > 0; });
    var sizes = isGsm ? gsm : chars.map(function (c) { return c.length; });  // 2 for a surrogate pair
    var single = isGsm ? 160 : 70;
    var part = isGsm ? 153 : 67;
    var units = sizes.reduce(function (a, b) { return a + b; }, 0);
    var result = { encoding: isGsm ? "GSM-7" : "UCS-2", characters: chars.length, units: units };
    if (units === 0) { result.segments = 0; result.remaining = single; return result; }
    if (units <= single) { result.segments = 1; result.remaining = single - units; return result; }
    var segments = 1;
    var used = 0;
    sizes.forEach(function (size) {
      if (used + size > part) { segments += 1; used = 0; }
      used += size;
    });
    result.segments = segments;
    result.remaining = part - used;
    return result;
  }
  window.layanSmsSegments = smsSegments;

  function showSmsCount() {
    var counter = document.getElementById("sms-counter");
    var box = document.getElementById("reply-text");
    if (!counter || !box) { return; }
    var count = smsSegments(box.value);
    counter.textContent = counter.dataset.template.replace("{characters}", count.characters)
      .replace("{segments}", count.segments).replace("{encoding}", count.encoding);
    counter.dataset.remaining = String(count.remaining);
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "reply-text") { showSmsCount(); }
  });
  document.addEventListener("DOMContentLoaded", showSmsCount);

  // Live: the server pushes ids; the page fetches what it shows again.
  var refreshTimer = null;
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      var inbox = document.querySelector("[data-live-url]");
      if (inbox && window.htmx) {
        window.htmx.ajax("GET", inbox.dataset.liveUrl, { target: "#rows", swap: "innerHTML" });
        document.body.dispatchEvent(new CustomEvent("layan:changed"));  // the view counts follow
      }
      var thread = document.querySelector("[data-thread-url]");
      if (thread && window.htmx) {
        window.htmx.ajax("GET", thread.dataset.threadUrl, { target: "#thread", swap: "innerHTML" });
      }
    }, 150);
  }

  // Who else is on this conversation right now: a colleague replying, the customer typing.
  var presenceTimers = {};
  function showPresence(id, text) {
    var box = document.getElementById(id);
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
    clearTimeout(presenceTimers[id]);
    presenceTimers[id] = setTimeout(function () { box.hidden = true; }, 6000);
  }

  function ephemeral(payload) {
    var thread = document.querySelector("[data-conversation-id]");
    if (!thread || payload.conversation_id !== Number(thread.dataset.conversationId)) {
      return payload.event === "AgentComposing" || payload.event === "CustomerTyping";
    }
    if (payload.event === "AgentComposing") {
      if (payload.agent_id !== myAgentId) {
        var template = document.getElementById("collision").dataset.template;
        showPresence("collision", template.replace("{name}", payload.agent_name));
      }
      return true;
    }
    if (payload.event === "CustomerTyping") {
      showPresence("customer-typing", document.getElementById("customer-typing").dataset.text);
      return true;
    }
    return false;
  }

  // A conversation assigned to me: a short sound and, if allowed, a desktop notification.
  function beep() {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch (error) { /* no audio: the notification still shows */ }
  }

  // A notification for this agent (an SLA warning, an emergency while on call): count it at once.
  function countNotification(payload) {
    if (payload.event !== "AgentNotified" || payload.agent_id !== myAgentId || myAgentId === null) { return; }
    var badge = document.querySelector("[data-unread-notifications]");
    if (!badge) { return; }
    var count = Number(badge.dataset.unreadNotifications || 0) + 1;
    badge.dataset.unreadNotifications = String(count);
    badge.textContent = String(count);
    badge.hidden = false;
    beep();
  }

  function notifyAssignment(payload) {
    if (payload.event !== "ConversationAssigned" || payload.assignee_id !== myAgentId || myAgentId === null) { return; }
    if (payload.by_agent_id === myAgentId) { return; }  // taken by themselves: nothing to tell
    var body = document.documentElement.dataset.assignedText || "";
    (window.layanNotifications = window.layanNotifications || []).push(payload.conversation_id);
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification("Layan", { body: body, tag: "assigned-" + payload.conversation_id });
    }
  }

  // Browsers let a page ask for notifications only after the person did something on it.
  document.addEventListener("click", function () {
    if ("Notification" in window && Notification.permission === "default") { Notification.requestPermission(); }
  }, { once: true });

  function concerns(payload) {
    var thread = document.querySelector("[data-conversation-id]");
    if (!thread) { return true; }
    var id = Number(thread.dataset.conversationId);
    return payload.conversation_id === id || payload.source_id === id || payload.target_id === id;
  }

  var delay = 500;
  var myAgentId = null;
  var socket = null;

  document.addEventListener("input", function (event) {
    var thread = document.querySelector("[data-conversation-id]");
    if (!thread || event.target.id !== "reply-text" || !socket || socket.readyState !== 1) { return; }
    // The server lets one through every two seconds; sending on every key is harmless.
    socket.send(JSON.stringify({ action: "composing", conversation_id: Number(thread.dataset.conversationId) }));
  });

  function connect() {
    if (!document.querySelector("[data-live-url], [data-thread-url]")) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/agent/");
    socket.onopen = function () { delay = 500; document.documentElement.dataset.live = "on"; };
    socket.onmessage = function (message) {
      var payload = JSON.parse(message.data);
      if (payload.event === "hello") { myAgentId = payload.agent_id; return; }
      notifyAssignment(payload);
      countNotification(payload);
      if (payload.event === "AgentNotified") { return; }
      if (payload.event && !ephemeral(payload) && concerns(payload)) { refresh(); }
    };
    socket.onclose = function () {
      document.documentElement.dataset.live = "off";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  document.addEventListener("DOMContentLoaded", connect);

  // The WhatsApp template picker: choosing a template asks for its {{n}} parameters and shows the
  // message as the customer will read it. The server checks everything again.
  function templatePicker() {
    var select = document.getElementById("template-select");
    var box = document.getElementById("template-parameters");
    var preview = document.getElementById("template-preview");
    if (!select || !box || !preview) { return; }
    function inputs() { return Array.from(box.querySelectorAll("input[name=template_parameter]")); }
    function render() {
      var option = select.selectedOptions[0];
      var values = inputs().map(function (i) { return i.value; });
      var body = option && option.dataset.body ? option.dataset.body : "";
      preview.textContent = body.replace(/\{\{\s*(\d+)\s*\}\}/g, function (whole, n) {
        var value = values[Number(n) - 1];
        return value ? value : whole;
      });
    }
    function build() {
      var option = select.selectedOptions[0];
      var count = option && option.dataset.parameters ? Number(option.dataset.parameters) : 0;
      var kept = inputs().map(function (i) { return i.value; });
      box.textContent = "";
      for (var n = 1; n <= count; n++) {
        var label = document.createElement("label");
        label.textContent = select.dataset.parameterLabel.replace("{n}", String(n));
        var input = document.createElement("input");
        input.name = "template_parameter";
        input.required = true;
        input.value = kept[n - 1] || "";
        input.addEventListener("input", render);
        label.appendChild(input);
        box.appendChild(label);
      }
      render();
    }
    select.addEventListener("change", build);
    build();
  }
  document.addEventListener("DOMContentLoaded", templatePicker);
})();

// Copy buttons (the inbox settings page's webhook URL): <button data-copy="#input-id">.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var field = document.querySelector(button.dataset.copy);
    if (!field) { return; }
    field.select();
    var done = function () { button.dataset.copied = "yes"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
  // Service-level countdowns: the server renders the time left; this keeps it ticking between
  // refreshes (hours:minutes, days first when longer), marks the last 30 minutes and the breach.
  function tickCountdowns() {
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("datetime")) - Date.now()) / 60000);
      var badge = el.closest(".sla");
      if (left <= 0) {
        el.textContent = el.dataset.breachedLabel || "!";
        if (badge) { badge.classList.add("sla-breached"); badge.classList.remove("sla-soon"); }
        return;
      }
      var days = Math.floor(left / 1440), hours = Math.floor((left % 1440) / 60), minutes = left % 60;
      el.textContent = (days ? days + "d " : "") + hours + ":" + (minutes < 10 ? "0" : "") + minutes;
      if (badge) { badge.classList.toggle("sla-soon", left <= 30); }
    });
  }
  tickCountdowns();
  window.setInterval(tickCountdowns, 30000);
  document.addEventListener("htmx:afterSwap", tickCountdowns);
})();
