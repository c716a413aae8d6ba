/* Keeps the 72-hour breach clocks (.countdown[data-deadline]) ticking between page loads.
   The server renders the text and the overdue state; this only refreshes them. */
(function () {
  "use strict";

  function render(el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    if (isNaN(deadline)) {
      return;
    }
    var diff = deadline - Date.now();
    var overdue = diff < 0;
    var minutes = Math.floor(Math.abs(diff) / 60000);
    var template = el.getAttribute(overdue ? "data-text-overdue" : "data-text-left");
    if (!template) {
      return;
    }
    el.textContent = template
      .replace("{h}", String(Math.floor(minutes / 60)))
      .replace("{m}", String(minutes % 60));
    el.classList.toggle("countdown-overdue", overdue);
  }

  function tick() {
    var clocks = document.querySelectorAll(".countdown[data-deadline]");
    for (var i = 0; i < clocks.length; i += 1) {
      render(clocks[i]);
    }
  }

  tick();
  window.setInterval(tick, 30000);
})();
