// Keyboard-first labeling: a number key presses the class button with that shortcut, and
// every label carries how long the annotator looked at the item.
(function () {
  let shownAt = performance.now();

  document.addEventListener("keydown", function (event) {
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select")) return;
    const button = document.querySelector('#item-panel button[data-key="' + event.key + '"]');
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.parameters.duration_ms !== undefined) {
      event.detail.parameters.duration_ms = Math.round(performance.now() - shownAt);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "item-panel" || event.target.id === "item-panel") shownAt = performance.now();
  });

  // Show the server's error message on a 4xx instead of silently ignoring the response.
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
