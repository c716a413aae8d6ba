// Live progress of a newsletter being sent: polls the JSON endpoint once a second and updates
// the bar and the numbers; stops when the newsletter is sent or cancelled.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var rateLine = box.querySelector("[data-progress-rate]");
  var badge = document.querySelector("[data-status-badge]");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return values[name] === undefined ? match : String(values[name]);
    });
  }

  function duration(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function show(p) {
    bar.value = p.percent;
    bar.textContent = p.percent + "%";
    text.textContent = fill(box.getAttribute("data-label-text"), p);
    if (p.status === "sending" && p.rate > 0 && p.seconds_left !== null) {
      rateLine.textContent = fill(box.getAttribute("data-label-rate"),
        { rate: p.rate, left: duration(p.seconds_left) });
    } else {
      rateLine.textContent = "";
    }
    ["recipients", "sent", "failed", "cancelled", "remaining", "unsubscribed"].forEach(function (name) {
      var cell = box.querySelector('[data-field="' + name + '"]');
      if (cell) { cell.textContent = p[name]; }
    });
    var label = box.getAttribute("data-label-" + p.status);
    if (badge && label) { badge.textContent = label; }
    box.setAttribute("data-status", p.status);
    var actions = box.querySelector(".form-actions");
    if (actions && (p.status === "sent" || p.status === "cancelled")) { actions.hidden = true; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (p) {
        if (!p) { setTimeout(poll, 5000); return; }
        show(p);
        if (p.status === "sending" || p.status === "paused") { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  poll();
})();
