/* kam: the scoring grid and the scheme editor. Vanilla JS, no dependencies.
 *
 * Scoring grid (table.js-grid): arrow keys move between score inputs, Enter moves down
 * (Shift+Enter up), "c" opens the cell's comment; invalid values turn red with a message;
 * a row is saved through htmx when focus leaves it after a change; the Save button posts
 * the whole page. Scheme editor (fieldset.criteria-editor): add and remove criterion rows
 * and keep a running weight total per axis ("85 of 100").
 */
(function () {
  "use strict";
  var gettext = typeof window.gettext === "function" ? window.gettext : function (s) { return s; };
  var fmt = typeof window.interpolate === "function" ? window.interpolate : function (s, a, named) {
    return s.replace(/%\((\w+)\)s/g, function (_, k) { return named ? a[k] : ""; });
  };

  /* ---------------- scoring grid ---------------- */

  function rowsOf(table) { return Array.prototype.slice.call(table.querySelectorAll("tbody tr.grid-row")); }
  function scoresOf(row) { return Array.prototype.slice.call(row.querySelectorAll("input.score:not([disabled])")); }

  function checkScore(input) {
    var v = input.value.trim();
    var raw = input.validity && input.validity.badInput;
    var ok = !raw && (v === "" || (/^\d{1,2}$/.test(v) && +v >= 1 && +v <= 10));
    input.classList.toggle("invalid", !ok);
    input.setCustomValidity(ok ? "" : gettext("A score is a whole number from 1 to 10."));
    return ok;
  }

  function say(message) {
    var box = document.getElementById("grid-message");
    if (box) { box.textContent = message; }
  }

  function move(table, input, dRow, dCol) {
    var row = input.closest("tr.grid-row");
    var rows = rowsOf(table);
    var r = rows.indexOf(row);
    var c = scoresOf(row).indexOf(input);
    var targetRow = rows[r + dRow];
    if (!targetRow) { return; }
    var cells = scoresOf(targetRow);
    var target = cells[Math.max(0, Math.min(cells.length - 1, c + dCol))];
    if (dRow === 0 && (c + dCol < 0 || c + dCol >= cells.length)) {
      // Past the end of a row: wrap to the next or previous row.
      var next = rows[r + (dCol > 0 ? 1 : -1)];
      if (!next) { return; }
      cells = scoresOf(next);
      target = dCol > 0 ? cells[0] : cells[cells.length - 1];
    }
    if (target) { target.focus(); target.select(); }
  }

  function commentFor(button) { return document.getElementById(button.getAttribute("data-comment")); }

  function openComment(cell) {
    var button = cell.querySelector("button.cmt");
    var comment = button && commentFor(button);
    if (!comment || comment.disabled) { return; }
    comment.hidden = false;
    comment.focus();
  }

  function closeComment(comment) {
    var cell = comment.closest("td");
    var button = cell.querySelector("button.cmt");
    button.classList.toggle("has-comment", comment.value.trim() !== "");
    button.title = comment.value.trim() || gettext("Add a comment (key c)");
    if (comment.value.trim() === "") { comment.hidden = true; }
    var score = cell.querySelector("input.score");
    if (score) { score.focus(); }
  }

  function markDirty(row) { if (row) { row.classList.add("row-dirty"); row.classList.remove("row-saved"); } }

  function initGrid(form) {
    var table = form.querySelector("table.js-grid");
    if (!table) { return; }
    var autosave = form.getAttribute("data-autosave") === "1" && window.htmx;

    table.addEventListener("keydown", function (e) {
      var el = e.target;
      if (el.matches("input.comment")) {
        if (e.key === "Enter" || e.key === "Escape") { e.preventDefault(); closeComment(el); }
        return;
      }
      if (!el.matches("input.score") || e.altKey || e.ctrlKey || e.metaKey) { return; }
      switch (e.key) {
        case "Enter": e.preventDefault(); move(table, el, e.shiftKey ? -1 : 1, 0); break;
        case "ArrowDown": e.preventDefault(); move(table, el, 1, 0); break;
        case "ArrowUp": e.preventDefault(); move(table, el, -1, 0); break;
        case "ArrowRight": e.preventDefault(); move(table, el, 0, 1); break;
        case "ArrowLeft": e.preventDefault(); move(table, el, 0, -1); break;
        case "c": case "C": e.preventDefault(); openComment(el.closest("td")); break;
        default: break;
      }
    });

    table.addEventListener("click", function (e) {
      var button = e.target.closest("button.cmt");
      if (!button) { return; }
      var comment = commentFor(button);
      if (comment.hidden) { comment.hidden = false; comment.focus(); } else { closeComment(comment); }
    });

    table.addEventListener("input", function (e) {
      var el = e.target;
      if (el.matches("input.score")) {
        if (!checkScore(el)) { say(el.validationMessage); } else { say(""); }
      }
      markDirty(el.closest("tr.grid-row"));
    });
    table.addEventListener("change", function (e) { markDirty(e.target.closest("tr.grid-row")); });

    table.addEventListener("focusout", function (e) {
      var row = e.target.closest("tr.grid-row");
      if (!row || !autosave || !row.classList.contains("row-dirty")) { return; }
      if (e.relatedTarget && row.contains(e.relatedTarget)) { return; }
      var bad = scoresOf(row).filter(function (i) { return !checkScore(i); });
      if (bad.length) { return; }
      row.classList.remove("row-dirty");
      window.htmx.trigger(row, "kam-row-save");
    });

    form.addEventListener("submit", function (e) {
      var bad = Array.prototype.slice.call(table.querySelectorAll("input.score")).filter(function (i) {
        return !checkScore(i);
      });
      if (bad.length) {
        e.preventDefault();
        say(fmt(gettext("%(n)s cells hold a value that is not a whole number from 1 to 10; nothing was saved."),
                { n: bad.length }, true));
        bad[0].focus();
      }
    });

    document.body.addEventListener("htmx:responseError", function (e) {
      var xhr = e.detail.xhr;
      say(xhr.status === 409 ? gettext("This review is closed; its scores can no longer change.")
        : xhr.status === 403 ? gettext("You are not a rater in this review.")
        : gettext("The row could not be saved; use the Save button."));
      var row = e.detail.elt;
      if (row && row.classList) { row.classList.add("row-dirty"); }
    });
    document.body.addEventListener("htmx:sendError", function () {
      say(gettext("No connection: the row was not saved. Save the page when you are back online."));
    });
  }

  /* ---------------- scheme editor ---------------- */

  function initEditor(fieldset) {
    var tbody = fieldset.querySelector(".js-rows");
    var template = fieldset.querySelector("template.js-row-template");
    var totalBox = fieldset.querySelector(".weight-total");
    var total = fieldset.querySelector(".js-total");
    var hint = fieldset.querySelector(".js-total-hint");

    function update() {
      var sum = 0;
      fieldset.querySelectorAll("input.js-weight").forEach(function (i) {
        var v = i.value.trim();
        if (/^\d+$/.test(v)) { sum += +v; }
      });
      total.textContent = sum;
      totalBox.classList.toggle("ok", sum === 100);
      totalBox.classList.toggle("off", sum !== 100);
      hint.textContent = sum === 100 ? "" : sum < 100
        ? fmt(gettext("(add %(n)s)"), { n: 100 - sum }, true)
        : fmt(gettext("(remove %(n)s)"), { n: sum - 100 }, true);
    }

    fieldset.querySelector(".js-add-row").addEventListener("click", function () {
      var clone = template.content.cloneNode(true);
      var first = clone.querySelector("input, textarea");
      tbody.appendChild(clone);
      var rows = tbody.querySelectorAll("tr.criterion-row");
      var added = rows[rows.length - 1];
      (added.querySelector("input[name$='-name']") || first).focus();
      update();
    });
    tbody.addEventListener("click", function (e) {
      var button = e.target.closest(".js-remove-row");
      if (!button) { return; }
      var row = button.closest("tr");
      var errors = row.nextElementSibling;
      if (errors && errors.classList.contains("row-errors")) { errors.remove(); }
      row.remove();
      update();
    });
    fieldset.addEventListener("input", function (e) { if (e.target.matches("input.js-weight")) { update(); } });
    update();
  }

  function init() {
    document.querySelectorAll("form.js-grid-form").forEach(initGrid);
    document.querySelectorAll("fieldset.criteria-editor").forEach(initEditor);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
