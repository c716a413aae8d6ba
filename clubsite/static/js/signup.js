/* Member forms (public sign-up, back office "add member"): show exactly the inputs the chosen
   purposes need, in place. Without this script the same form works in two steps; the server
   accepts only the chosen purposes' fields either way. No inline code: the CSP forbids it. */
(function () {
  "use strict";

  function setup(form) {
    var plans = JSON.parse(form.getAttribute("data-field-plans") || "{}");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[data-plan-choice]"));
    var consentBox = form.querySelector("input[name=consent_newsletter]");

    function chosen() {
      return boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }).sort();
    }

    function showField(wrap, spec) {
      var input = wrap.querySelector("input, select, textarea");
      var hint = wrap.querySelector("[data-hint]");
      var marker = wrap.querySelector("[data-optional-marker]");
      wrap.hidden = !spec;
      wrap.setAttribute("data-need", spec ? spec.need : "");
      if (input) { input.required = !!spec && spec.need === "required"; }
      if (hint) {
        hint.textContent = spec ? spec.hint : "";
        hint.hidden = !(spec && spec.hint);
      }
      if (marker) { marker.hidden = !spec || spec.need === "required"; }
    }

    function update() {
      var selected = chosen();
      var plan = plans[selected.join("+")] || {};
      form.querySelectorAll("[data-field]").forEach(function (wrap) {
        showField(wrap, plan[wrap.getAttribute("data-field")]);
      });
      form.querySelectorAll("[data-shown-for]").forEach(function (el) {
        el.hidden = selected.indexOf(el.getAttribute("data-shown-for")) === -1;
      });
      // The age confirmation matters only with the consent: shown once that box is ticked.
      form.querySelectorAll("[data-age-box]").forEach(function (el) {
        el.hidden = el.hidden || !(consentBox && consentBox.checked);
      });
      form.querySelectorAll("[data-submit]").forEach(function (button) {
        button.hidden = selected.length === 0;
      });
    }

    // The "continue" step is for browsers without script; here the form redraws itself.
    form.querySelectorAll("[data-no-script]").forEach(function (button) { button.remove(); });
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    if (consentBox) { consentBox.addEventListener("change", update); }
    update();
  }

  document.querySelectorAll("form[data-field-plans]").forEach(setup);
})();
