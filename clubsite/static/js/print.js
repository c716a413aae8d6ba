// A "Print" button (data-print) opens the browser's print dialog; the page's print styles
// leave only the document on the sheet.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
