/* The back-office menu is a <details>: on a phone one line ("Menu") that opens on a tap, on a
   wider screen always open. Browsers with ::details-content do the wide case in CSS; for the
   others this keeps it open there. Without this script the menu still opens and closes. */
(function () {
  "use strict";

  var menu = document.querySelector("[data-nav-menu]");
  if (!menu || !window.matchMedia) { return; }
  if (window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) { return; }
  var wide = window.matchMedia("(min-width: 40.01rem)");

  function sync() { if (wide.matches) { menu.open = true; } }
  sync();
  if (wide.addEventListener) { wide.addEventListener("change", sync); }
})();
