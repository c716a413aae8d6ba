// Hall bookings: show only the member or the visitor part of the form, make Enter do what the
// field suggests, show the print buttons, and ask before cancelling. The pages work without it.
(function () {
  "use strict";

  function showChosenParty(form) {
    var checked = form.querySelector("[data-who-choice]:checked");
    var who = checked ? checked.value : "member";
    form.querySelectorAll("[data-who]").forEach(function (part) {
      part.hidden = part.getAttribute("data-who") !== who;
    });
  }

  var form = document.getElementById("booking-form");
  if (form) {
    form.querySelectorAll("[data-who-choice]").forEach(function (radio) {
      radio.addEventListener("change", function () { showChosenParty(form); });
    });
    showChosenParty(form);
    // Enter in the search box searches (a card reader types the number and Enter);
    // Enter anywhere else books, instead of the form's first button (Search).
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.tagName !== "INPUT") { return; }
      var type = event.target.type;
      if (type === "radio" || type === "checkbox" || type === "submit") { return; }
      event.preventDefault();
      var button = event.target.id === "query" ? "member-search" : "book-submit";
      document.getElementById(button).click();
    });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
