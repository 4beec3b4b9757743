// huoke console: a few lines of our own that speak htmx's request headers (HX-Request,
// HX-Target), so Litestar's HTMX support answers with fragments. Every page also works
// without script: forms post, links navigate (ADR 0012).
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function swap(targetSelector, html) {
    var target = document.querySelector(targetSelector);
    if (!target) return;
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    if (!fresh) return;
    target.replaceWith(fresh);
    enhance(fresh);
  }
  function request(url, element, method, body) {
    var targetSelector = element.getAttribute("hx-target") || "";
    var headers = { "HX-Request": "true", "X-CSRF-Token": csrf() };
    if (targetSelector.charAt(0) === "#") headers["HX-Target"] = targetSelector.slice(1);
    return fetch(url, { method: method || "GET", headers: headers, body: body, credentials: "same-origin" })
      .then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) { window.location.href = redirect; return null; }
        return response.text().then(function (html) {
          if (response.status === 286) element.setAttribute("data-stopped", "true");
          if (targetSelector) swap(targetSelector, html);
          if (element.getAttribute("hx-push-url") === "true" && method !== "POST") {
            history.pushState({}, "", url);
          }
          return response;
        });
      });
  }
  function queryOf(form) {
    var params = new URLSearchParams(new FormData(form));
    var action = form.getAttribute("hx-get") || form.action;
    return action.split("?")[0] + (params.toString() ? "?" + params.toString() : "");
  }
  function enhance(root) {
    root.querySelectorAll("form[hx-get]").forEach(function (form) {
      var submit = function (event) { if (event) event.preventDefault(); request(queryOf(form), form); };
      form.addEventListener("submit", submit);
      if ((form.getAttribute("hx-trigger") || "").indexOf("change") >= 0) {
        form.addEventListener("change", function () { submit(); });
      }
    });
    root.querySelectorAll("a[hx-get]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        request(link.getAttribute("hx-get"), link);
      });
    });
    root.querySelectorAll("[hx-trigger^='every']").forEach(function (element) {
      var seconds = parseFloat((element.getAttribute("hx-trigger").match(/every\s+([\d.]+)s/) || [0, 2])[1]);
      var timer = setInterval(function () {
        if (!document.body.contains(element) || element.getAttribute("data-stopped")) {
          clearInterval(timer); return;
        }
        request(element.getAttribute("hx-get"), element);
      }, seconds * 1000);
    });
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      var form = box.closest("form");
      var count = function () {
        var n = form.querySelectorAll('input[name="ids[]"]:checked').length;
        var out = form.querySelector("[data-selected-count] output");
        if (out) out.textContent = String(n);
      };
      box.addEventListener("change", function () {
        form.querySelectorAll('input[name="ids[]"]').forEach(function (item) { item.checked = box.checked; });
        count();
      });
      form.addEventListener("change", count);
    });
    root.querySelectorAll("[data-submit-on-change]").forEach(function (control) {
      control.addEventListener("change", function () { control.form.submit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
})();
