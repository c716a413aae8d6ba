// Reception check-in: send the card in the background, show only the answer, and keep the
// card field focused and empty for the next card (a USB reader types digits and Enter).
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  var result = document.getElementById("checkin-result");
  if (!form || !result || !window.fetch || !window.DOMParser) {
    return;
  }
  var input = form.querySelector("input[name=card]");
  var busy = false;
  var clearTimer = null;

  function refocus() {
    input.value = "";
    input.focus();
  }

  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var fresh = page.getElementById("checkin-result");
    var token = page.querySelector("#checkin-form input[name=csrf_token]");
    var fieldError = page.querySelector("#checkin-form .field-error");
    result.replaceChildren.apply(result, fresh ? Array.from(fresh.childNodes) : []);
    if (token) {
      form.querySelector("input[name=csrf_token]").value = token.value;
    }
    input.setAttribute("aria-invalid", fieldError ? "true" : "false");
    window.clearTimeout(clearTimer);
    // The answer stays long enough to read, then the screen is ready for the next person.
    clearTimer = window.setTimeout(function () { result.replaceChildren(); }, 20000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy || !input.value.trim()) {
      refocus();
      return;
    }
    busy = true;
    var body = new FormData(form);
    refocus();
    fetch(form.action || window.location.href, {
      method: "POST",
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      return response.text();
    }).then(show).catch(function () {
      // Fall back to an ordinary page load (it shows the server's message).
      window.location.reload();
    }).finally(function () {
      busy = false;
      input.focus();
    });
  });

  // On a tablet a stray tap elsewhere should not leave the reader typing into nothing.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("a, button, input, select, textarea, label")) {
      input.focus();
    }
  });
})();
