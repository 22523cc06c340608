// The entry form's stopwatch. Plain JavaScript, no framework: it keeps elapsed time from the
// clock (not by counting ticks, which browsers throttle in background tabs), writes whole seconds
// into the hidden duration_seconds field so the server stores exactly what was timed, and on Stop
// fills the hours field (seconds / 3600, two decimals) for the person to see and check.
// The timer's state lives in localStorage under the signed-in user's key, so a reload, a closed
// tab or a second form page picks up the same running (or paused) timer; saving the entry
// clears it. Submitting while the timer runs stops it first, so the time timed is what is saved.
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
    var storageKey = "lexbill.timer." + (box.getAttribute("data-timer-user") || "anonymous");

    function remember(status) {
      try {
        if (status === null) {
          window.localStorage.removeItem(storageKey);
        } else {
          window.localStorage.setItem(storageKey, JSON.stringify(
            {status: status, accumulated: accumulated, startedAt: startedAt}));
        }
      } catch (e) { /* storage disabled: the timer still works for this page */ }
    }

    function recalled() {
      try {
        var saved = JSON.parse(window.localStorage.getItem(storageKey) || "null");
        if (saved && (saved.status === "running" || saved.status === "paused")) { return saved; }
      } catch (e) { /* unreadable: start afresh */ }
      return null;
    }

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

    function run(focus) {
      tick = window.setInterval(show, 250);
      show();
      state(true, false, focus);
      remember("running");
    }
    function pause(focus) {
      accumulated = elapsedMs();
      startedAt = null;
      window.clearInterval(tick);
      show();
      state(false, true, focus);
      remember("paused");
    }
    function stop(focus) {
      accumulated = elapsedMs();
      startedAt = null;
      window.clearInterval(tick);
      var seconds = Math.max(accumulated > 0 ? 1 : 0, elapsedSeconds());
      display.textContent = formatClock(seconds);
      hidden.value = String(seconds);
      if (hours) { hours.value = (seconds / 3600).toFixed(2); }
      state(false, false, focus);
      remember(null);
    }

    buttons.start.addEventListener("click", function () {
      accumulated = 0;
      startedAt = Date.now();
      hidden.value = "";
      run(buttons.pause);
    });
    buttons.pause.addEventListener("click", function () { pause(buttons.resume); });
    buttons.resume.addEventListener("click", function () {
      startedAt = Date.now();
      run(buttons.pause);
    });
    buttons.stop.addEventListener("click", function () { stop(hours); });
    form.addEventListener("submit", function () {
      if (!buttons.stop.disabled) { stop(null); }
    });

    var saved = recalled();
    if (hidden.value) {
      // After a refused save the form comes back with the timed seconds: show them again.
      display.textContent = formatClock(parseInt(hidden.value, 10) || 0);
    } else if (saved) {
      accumulated = Number(saved.accumulated) || 0;
      if (saved.status === "running" && saved.startedAt) {
        startedAt = Number(saved.startedAt);
        run(null);
      } else {
        pause(null);
      }
    }
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
