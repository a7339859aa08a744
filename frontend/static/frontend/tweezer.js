// Shared by every page: show the server's error message on a 4xx instead of silently ignoring
// the response. The annotator's page has its own controller (annotate.js).
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "4..", swap: true, error: true },
        { code: "...", swap: false, error: true },
      ];
    }
  });
})();
