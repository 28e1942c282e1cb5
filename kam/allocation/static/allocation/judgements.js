/* The judgements page: amounts are grouped by threes when a field is left (narrow
   no-break spaces, which the server reads back), and when the live sketch answers with the
   number to change, that input is marked at once, before anything is saved; so is the
   judgement that disagrees with the other four when there are five. */
(function () {
  "use strict";
  var GROUP = "\u202f";

  function grouped(value) {
    var raw = value.replace(/[\s,]/g, "");
    if (!/^-?\d+(\.\d+)?$/.test(raw)) { return value; }
    var parts = raw.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, GROUP);
    return parts.join(".");
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("table.judgements input.amount")) { return; }
    var value = grouped(input.value);
    if (value !== input.value) { input.value = value; }
  });

  /* With five judgements the sketch may name the one that disagrees with the other four:
     its note goes beside that cell, replacing any earlier one of the row. */
  function markDoubtful(row, target) {
    row.querySelectorAll("td.doubtful").forEach(function (cell) {
      cell.classList.remove("doubtful");
      var input = cell.querySelector("input");
      if (input) { input.removeAttribute("aria-describedby"); }
    });
    row.querySelectorAll(".cell-note").forEach(function (note) { note.remove(); });
    row.classList.remove("has-note");
    var warning = target.querySelector(".fit-warning[data-field]");
    if (!warning) { return; }
    var input = row.querySelector('input[name="' + warning.getAttribute("data-field") + '"]');
    if (!input) { return; }
    var cell = input.closest("td");
    var note = document.createElement("div");
    note.className = "cell-note";
    note.id = "note-" + input.id;
    note.setAttribute("data-testid", "judgement-note");
    note.textContent = warning.textContent;
    cell.classList.add("doubtful");
    row.classList.add("has-note");
    cell.appendChild(note);
    input.setAttribute("aria-describedby", note.id);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.id || target.id.indexOf("sketch-") !== 0) { return; }
    var row = target.closest("tr");
    if (!row) { return; }
    row.querySelectorAll("input.amount").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      input.closest("td").classList.remove("invalid");
    });
    markDoubtful(row, target);
    var error = target.querySelector(".sketch-error[data-field]");
    if (!error) { return; }
    var input = row.querySelector('input[name="' + error.getAttribute("data-field") + '"]');
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.closest("td").classList.add("invalid");
    }
  });
})();
