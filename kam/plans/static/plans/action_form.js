/* The action form of a plan: shows the owner field of the chosen side only (ours: a user;
   theirs: a contact of the customer). */
(function () {
  "use strict";
  function show() {
    var radios = document.querySelectorAll('input[name="owner_side"]');
    if (!radios.length) { return; }
    var checked = document.querySelector('input[name="owner_side"]:checked');
    var side = (checked && checked.value) || "ours";
    [["owner_user", "ours"], ["owner_contact", "theirs"]].forEach(function (pair) {
      var input = document.querySelector('[name="' + pair[0] + '"]');
      if (!input) { return; }
      var label = input.id ? document.querySelector('label[for="' + input.id + '"]') : null;
      var visible = side === pair[1];
      input.style.display = visible ? "" : "none";
      if (label) { label.style.display = visible ? "" : "none"; }
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.name === "owner_side") { show(); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
