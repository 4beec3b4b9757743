// huoke console, messaging pages: an SMS text's length and segment count as the server
// counts them (the same rule the send uses), asked again a moment after each keystroke.
// Without script the count is shown when the form comes back and on the task's page.
(function () {
  "use strict";
  function watch(area) {
    var url = area.getAttribute("data-length-url");
    var target = document.getElementById(area.getAttribute("data-length-target"));
    var form = area.form;
    if (!url || !target || !form) return;
    var timer = null;
    var ask = function () {
      var params = new URLSearchParams();
      params.set("text", area.value);
      var signature = form.querySelector("[name='signature_id']");
      if (signature) params.set("signature_id", signature.value);
      fetch(url + "?" + params.toString(), {
        headers: { "HX-Request": "true" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html === null) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.firstElementChild;
        if (fresh) { target.replaceWith(fresh); target = fresh; }
      });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(ask, 250); };
    area.addEventListener("input", later);
    form.addEventListener("change", later);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-length-url]").forEach(watch);
  });
})();
// Copy buttons beside DNS records: shown only where the clipboard can be written.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) return;
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          button.textContent = "\u2713 " + label;
          setTimeout(function () { button.textContent = label; }, 1500);
        });
      });
    });
  });
})();
// A task's audience: only the field of the kind chosen (group, conditions, lead ids).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-audience]").forEach(function (box) {
      var show = function () {
        var chosen = box.querySelector("input[name='audience_kind']:checked");
        box.querySelectorAll("[data-audience-kind]").forEach(function (part) {
          part.hidden = chosen !== null && part.getAttribute("data-audience-kind") !== chosen.value;
        });
      };
      box.addEventListener("change", show);
      show();
    });
  });
})();
// A running task's page: the progress part is polled (console.js); when the task's
// state changes (scheduled → sending → sent), the whole page is read again, so that its
// actions, times and report match the new state.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var progress = document.getElementById("task-progress");
    var state = document.getElementById("task-state");
    if (!progress || !state || !progress.hasAttribute("hx-get")) return;
    var initial = state.getAttribute("data-state");
    var observer = new MutationObserver(function () {
      var now = document.getElementById("task-state");
      if (now && now.getAttribute("data-state") !== initial) {
        observer.disconnect();
        window.location.reload();
      }
    });
    observer.observe(progress.parentNode, { childList: true, subtree: true });
  });
})();
