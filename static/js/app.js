/* Behaviour every page shares, written here rather than in inline handlers (onchange="…",
   href="javascript:…") so that the Content-Security-Policy can forbid those. */
(function () {
  "use strict";
  // <select data-autosubmit> sends its form as soon as a value is chosen.
  document.addEventListener("change", (event) => {
    const field = event.target instanceof Element ? event.target.closest("[data-autosubmit]") : null;
    if (field && field.form) { field.form.submit(); }
  });
  // <a data-history-back href="…"> goes back a page when there is one, else follows its href.
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[data-history-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  // A table that scrolls sideways (.table-responsive) is reachable by keyboard, so it can be scrolled without a
  // mouse (axe: scrollable-region-focusable); also in what htmx swaps in.
  const focusableScrollers = (root) => {
    root.querySelectorAll(".table-responsive:not([tabindex])").forEach((box) => { box.tabIndex = 0; });
  };
  focusableScrollers(document);
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail && event.detail.target instanceof Element) { focusableScrollers(event.detail.target); }
  });
  // An element with data-scroll-into-view that htmx fills (the batch review's row panel, below the
  // table on a phone) is scrolled into sight when it lies outside the window.
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail && event.detail.target;
    if (!(target instanceof Element) || !target.hasAttribute("data-scroll-into-view")) { return; }
    const box = target.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight - 80) {
      target.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  });
})();
