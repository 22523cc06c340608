// The split form of a pre-bill line. Plain JavaScript, no framework, and only a convenience: the
// form works without it (Add a part and Remove post back, the server adds the total up). With
// it, rows are added and removed in the page, renumbered so Django's formset reads them in
// order, and the parts' hours are added up as they are typed against what the line bills.
(function () {
  "use strict";

  var form = document.getElementById("split-form");
  if (!form) {
    return;
  }
  var prefix = form.getAttribute("data-prefix");
  var rows = document.getElementById("split-rows");
  var template = document.getElementById("split-row-template");
  var totalForms = form.querySelector("[name='" + prefix + "-TOTAL_FORMS']");
  var lineMinutes = parseInt(form.getAttribute("data-line-minutes"), 10);
  var totalBox = document.getElementById("split-total");
  var shown = totalBox.querySelector("[data-split-total]");
  var status = totalBox.querySelector("[data-split-status]");
  var numbered = new RegExp(prefix + "-(\\d+|__prefix__)-");

  // Whole minutes of hours as typed, as the server reads them; NaN when not a number.
  function minutesOf(text) {
    var value = text.trim();
    if (value === "") {
      return 0;
    }
    if (!/^\d*\.?\d*$/.test(value) || value === ".") {
      return NaN;
    }
    return Math.round(parseFloat(value) * 60);
  }

  function hours(minutes) {
    return (minutes / 60).toFixed(2);
  }

  function update() {
    var sum = 0;
    rows.querySelectorAll("input[name$='-hours']").forEach(function (input) {
      sum += minutesOf(input.value);
    });
    if (isNaN(sum)) {
      shown.textContent = "?";
      status.textContent = "";
      totalBox.classList.add("split-off");
      return;
    }
    shown.textContent = hours(sum);
    if (sum === lineMinutes) {
      status.textContent = " (they add up)";
    } else if (sum < lineMinutes) {
      status.textContent = " (" + hours(lineMinutes - sum) + " h still to share out)";
    } else {
      status.textContent = " (" + hours(sum - lineMinutes) + " h too many)";
    }
    totalBox.classList.toggle("split-off", sum !== lineMinutes);
  }

  function renumber() {
    var list = rows.querySelectorAll("[data-split-row]");
    list.forEach(function (row, index) {
      row.querySelectorAll("[data-split-number]").forEach(function (span) {
        span.textContent = String(index + 1);
      });
      row.querySelectorAll("input, label, p").forEach(function (element) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
          var value = element.getAttribute(attribute);
          if (value) {
            element.setAttribute(attribute, value.replace(numbered, prefix + "-" + index + "-"));
          }
        });
      });
      var remove = row.querySelector("[data-split-remove]");
      remove.value = String(index);
      remove.setAttribute("aria-label", "Remove part " + (index + 1));
    });
    totalForms.value = String(list.length);
  }

  form.addEventListener("click", function (event) {
    var add = event.target.closest("[data-split-add]");
    var remove = event.target.closest("[data-split-remove]");
    if (add) {
      event.preventDefault();
      rows.appendChild(template.content.cloneNode(true));
      renumber();
      var added = rows.lastElementChild;
      added.querySelector("input[name$='-task_code']").value = form.getAttribute("data-task-code");
      added.querySelector("input[name$='-activity_code']").value =
        form.getAttribute("data-activity-code");
      added.querySelector("input[name$='-hours']").focus();
      update();
    } else if (remove) {
      event.preventDefault();
      remove.closest("[data-split-row]").remove();
      renumber();
      form.querySelector("[data-split-add]").focus();
      update();
    }
  });
  form.addEventListener("input", update);
  update();
})();
