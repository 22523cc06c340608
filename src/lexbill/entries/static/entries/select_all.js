// "Select all" for the time list's bulk actions: one box in the header ticks every editable row
// on this page (locked, billed rows have no box), and shows a mixed state when only some are
// ticked. Rows swapped in by htmx (inline edits) are counted again on each change.
(function () {
  "use strict";

  function rowBoxes(all) {
    return Array.prototype.slice.call(
      document.querySelectorAll("input[type=checkbox][name=ids][form=" + all.getAttribute("data-select-all") + "]"));
  }

  function setUp(all) {
    function refresh() {
      var boxes = rowBoxes(all);
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
      all.disabled = boxes.length === 0;
    }
    all.addEventListener("change", function () {
      rowBoxes(all).forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
    document.addEventListener("change", function (event) {
      if (event.target !== all && event.target.name === "ids") { refresh(); }
    });
    document.body.addEventListener("htmx:afterSwap", refresh);
    refresh();
  }

  function init() {
    document.querySelectorAll("[data-select-all]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
