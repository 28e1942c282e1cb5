/* Small behaviours of every page, bound by data attributes (the Content-Security-Policy
   allows no inline script and no on…= handler attributes; docs/operations.md):
   - data-confirm="question" on a form (asked on submit) or a submit button (on click);
   - data-autosubmit on a select: choosing an option submits its form;
   - data-select-on-focus on a read-only input: focusing or clicking selects its text;
   - data-copy-from="id" on a button: copies that input's value, then shows data-copied;
   - an htmx answer marked Kam-Error (the one error fragment, kam/web/page_errors.py) is
     swapped into its target although its status is 4xx, so the message shows there. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var button = target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var copy = target.closest("[data-copy-from]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy-from"));
      if (source && navigator.clipboard) { navigator.clipboard.writeText(source.value); }
      if (copy.dataset.copied) { copy.textContent = copy.dataset.copied; }
    }
    var select = target.closest("input[data-select-on-focus]");
    if (select) { select.select(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")
        && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-focus")) {
      target.select();
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")
        && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("Kam-Error")) { event.detail.shouldSwap = true; }
  });
})();
