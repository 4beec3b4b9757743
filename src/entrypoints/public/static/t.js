/* huoke tracking snippet (/t.js). Install on every page, before </body>:
 *   <script>window.huoke=window.huoke||function(){(huoke.q=huoke.q||[]).push(arguments)}</script>
 *   <script async src="https://HUOKE/t.js" data-key="WRITE_KEY" data-honour-dnt></script>
 * then huoke('identify', userId, traits) and huoke('track', name, properties).
 * Sends Segment-format messages to /v1/batch on the host the script came from. */
(function (window, document) {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-key][src*='t.js']");
  if (!script || window.__huoke_loaded) return;
  window.__huoke_loaded = true;
  var key = script.getAttribute("data-key") || "";
  var endpoint = new URL("/v1/batch", script.src).href;
  var honourDnt = script.hasAttribute("data-honour-dnt");
  if (!key || (honourDnt && (navigator.doNotTrack === "1" || window.doNotTrack === "1"))) {
    window.huoke = function () {}; // nothing is sent for a visitor who asked not to be tracked
    return;
  }
  var COOKIE = "huoke_aid";
  var YEAR = 365 * 24 * 3600;
  var userId = null;
  var shownAt = Date.now();
  var viewId = null; // the last page view's message id

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 3) | 8).toString(16);
    });
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  // The anonymous id lives in a first-party cookie of the customer's own site.
  var anonymousId = readCookie(COOKIE);
  if (!anonymousId) anonymousId = uuid();
  document.cookie = COOKIE + "=" + encodeURIComponent(anonymousId) + "; Max-Age=" + YEAR +
    "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");

  function campaign() {
    var names = { utm_source: "source", utm_medium: "medium", utm_campaign: "name",
                  utm_term: "term", utm_content: "content" };
    var found = {};
    var params = new URLSearchParams(location.search);
    for (var param in names) {
      var value = params.get(param);
      if (value) found[names[param]] = value.slice(0, 200);
    }
    return found;
  }

  function page() {
    return { url: location.href, path: location.pathname, search: location.search,
             referrer: document.referrer, title: document.title };
  }

  function context() {
    var found = { page: page(), userAgent: navigator.userAgent, locale: navigator.language,
                  library: { name: "huoke.js", version: "1" },
                  screen: { width: screen.width, height: screen.height } };
    var utm = campaign();
    for (var any in utm) { found.campaign = utm; break; }
    try { found.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}
    return found;
  }

  function message(type, fields) {
    var msg = { type: type, messageId: uuid(), anonymousId: anonymousId,
                timestamp: new Date().toISOString(), channel: "browser", context: context() };
    if (userId) msg.userId = userId;
    for (var name in fields) msg[name] = fields[name];
    return msg;
  }

  var queue = [];
  var timer = null;

  function body(messages) {
    return JSON.stringify({ batch: messages, writeKey: key, sentAt: new Date().toISOString() });
  }

  function flush(leaving) {
    clearTimeout(timer);
    timer = null;
    if (!queue.length) return;
    var messages = queue;
    queue = [];
    // text/plain: a "simple" request, no preflight; sendBeacon survives the page closing.
    var blob = new Blob([body(messages)], { type: "text/plain" });
    if (leaving && navigator.sendBeacon && navigator.sendBeacon(endpoint, blob)) return;
    fetch(endpoint, { method: "POST", body: blob, keepalive: true, credentials: "omit",
                      mode: "cors" }).catch(function () {});
  }

  function send(msg) {
    queue.push(msg);
    if (!timer) timer = setTimeout(flush, 200); // calls made together go in one request
  }

  var api = {
    page: function (name, properties) {
      var props = page();
      for (var p in properties || {}) props[p] = properties[p];
      var msg = message("page", { name: name || document.title, properties: props });
      viewId = msg.messageId;
      send(msg);
    },
    identify: function (id, traits) {
      if (id && typeof id === "object") { traits = id; id = null; }
      if (id) userId = String(id);
      send(message("identify", { traits: traits || {} }));
    },
    track: function (event, properties) {
      if (!event) return;
      send(message("track", { event: String(event), properties: properties || {} }));
    },
    flush: function () { flush(false); }
  };

  function call(args) {
    var method = api[args[0]];
    if (method) method.apply(null, Array.prototype.slice.call(args, 1));
  }

  // Calls made before the script arrived wait in the stub's queue, in order.
  var waiting = (window.huoke && window.huoke.q) || [];
  window.huoke = function () { call(arguments); };
  window.huoke.anonymousId = function () { return anonymousId; };
  var pageQueued = false;
  for (var i = 0; i < waiting.length; i++) if (waiting[i][0] === "page") pageQueued = true;
  for (var j = 0; j < waiting.length; j++) call(waiting[j]);
  if (!pageQueued) api.page(); // the page view itself, unless the site sent its own

  // Dwell time: how long the page was visible, sent when it is hidden or left (the
  // total so far, with the page view's message id: the largest per view is the dwell).
  var visibleFor = 0;
  var hidden = false;
  function hide() {
    if (hidden) return;
    hidden = true;
    visibleFor += Date.now() - shownAt;
    if (viewId) {
      var props = page();
      props.dwell_ms = visibleFor;
      props.view_id = viewId;
      queue.push(message("page", { name: document.title, properties: props }));
    }
    flush(true);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") return hide();
    hidden = false;
    shownAt = Date.now();
  });
  window.addEventListener("pagehide", hide);
})(window, document);
