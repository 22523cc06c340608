// The entry form's stopwatch. Plain JavaScript, no framework: it keeps elapsed time from the
// clock (not by counting ticks, which browsers throttle in background tabs), writes whole seconds
// into the hidden duration_seconds field so the server stores exactly what was timed, and on Stop
// fills the hours field (seconds / 3600, two decimals) for the person to see and check.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  function formatClock(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    return pad(h) + ":" + pad(m) + ":" + pad(seconds % 60);
  }

  function setUp(box) {
    var form = box.closest("form");
    var display = box.querySelector("[data-timer-display]");
    var hidden = box.querySelector("[data-timer-seconds]");
    var hours = form.querySelector("[name=hours]");
    var buttons = {
      start: box.querySelector("[data-timer-start]"),
      pause: box.querySelector("[data-timer-pause]"),
      resume: box.querySelector("[data-timer-resume]"),
      stop: box.querySelector("[data-timer-stop]")
    };
    var accumulated = 0;   // ms from finished running spells
    var startedAt = null;  // Date.now() of the running spell, null when paused or stopped
    var tick = null;

    function elapsedMs() { return accumulated + (startedAt === null ? 0 : Date.now() - startedAt); }
    function elapsedSeconds() { return Math.round(elapsedMs() / 1000); }
    function show() { display.textContent = formatClock(elapsedSeconds()); }

    // Enable exactly the buttons that make sense now, and keep keyboard focus on a live button
    // (a disabled button drops focus to the page, which strands keyboard users).
    function state(running, paused, focus) {
      buttons.start.disabled = running || paused;
      buttons.pause.disabled = !running;
      buttons.resume.disabled = !paused;
      buttons.stop.disabled = !(running || paused);
      if (focus) { focus.focus(); }
    }

    buttons.start.addEventListener("click", function () {
      accumulated = 0;
      startedAt = Date.now();
      hidden.value = "";
      tick = window.setInterval(show, 250);
      show();
      state(true, false, buttons.pause);
    });
    buttons.pause.addEventListener("click", function () {
      accumulated = elapsedMs();
      startedAt = null;
      window.clearInterval(tick);
      show();
      state(false, true, buttons.resume);
    });
    buttons.resume.addEventListener("click", function () {
      startedAt = Date.now();
      tick = window.setInterval(show, 250);
      state(true, false, buttons.pause);
    });
    buttons.stop.addEventListener("click", function () {
      accumulated = elapsedMs();
      startedAt = null;
      window.clearInterval(tick);
      var seconds = Math.max(accumulated > 0 ? 1 : 0, elapsedSeconds());
      display.textContent = formatClock(seconds);
      hidden.value = String(seconds);
      if (hours) { hours.value = (seconds / 3600).toFixed(2); }
      state(false, false, hours);
    });

    // After a refused save the form comes back with the timed seconds: show them again.
    if (hidden.value) { display.textContent = formatClock(parseInt(hidden.value, 10) || 0); }
  }

  function init() {
    document.querySelectorAll("[data-timer]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
