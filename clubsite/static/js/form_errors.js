/* A form shown again with errors: move the focus to the summary at its top, so a phone's reader
   starts at the list of what to correct instead of at the top of the page; a link in the summary
   focuses its input. Without this script the summary and its links are still there. */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var input = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!input) { return; }
    event.preventDefault();
    input.focus();
    input.scrollIntoView({ block: "center" });
  });
})();
