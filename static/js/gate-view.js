// What the gate shows when it decided on the phone (static/js/gate-offline.js): the result panel, the
// search results, the "checked in" message, the status line and the sync report, built from the page's
// own pieces (<template id="checkin-offline-result">, <template id="checkin-words">) so that they read,
// and are sized, as what the server sends (classes checkin-slot, checkin-car…: tests/e2e/test_gate_type.py).
(function () {
  "use strict";
  const root = document.getElementById("checkin");
  const words = document.getElementById("checkin-words");
  const panel = document.getElementById("checkin-offline-result");
  if (!root || !words || !panel) {
    return;
  }
  const region = document.getElementById("checkin-result-region");
  const searchResults = document.getElementById("checkin-search-results");
  const report = document.getElementById("gate-sync-report");
  const clock = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    timeZone: root.dataset.timeZone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  // The translated sentence ``key`` with each __NAME__ replaced by ``values.name``.
  function say(key, values) {
    const element = words.content.querySelector('[data-word="' + key + '"]');
    let text = element ? element.textContent.trim() : "";
    Object.entries(values || {}).forEach(function ([name, value]) {
      text = text.split("__" + name.toUpperCase() + "__").join(String(value));
    });
    return text;
  }

  function time(iso) {
    return iso ? clock.format(new Date(iso)) : "";
  }

  function carLabel(entry) {
    return ((entry.number ? "#" + entry.number : "") + " " + (entry.nickname || "")).trim() || entry.colour;
  }

  function fill(container, nodes) {
    container.replaceChildren.apply(container, nodes);
  }

  // The declaration's lines (templates/events/includes/gate_declaration_offline.html): signed for the current
  // version or not, the driver's and the passenger's, as the server's result says them; none when not needed.
  function declaration(section, entry) {
    const driverLine = section.querySelector('[data-part="declaration"]');
    const passengerLine = section.querySelector('[data-part="passenger-declaration"]');
    const state = entry && entry.declaration;
    if (!state) {
      driverLine.remove();
      passengerLine.remove();
      return;
    }
    const fillLine = function (line, signed, name) {
      const words = state.version === null ? line.dataset.unpublished : signed ? line.dataset.signed : line.dataset.unsigned;
      line.textContent = words.split("__NUMBER__").join(String(state.version)).split("__NAME__").join(name || "");
      line.classList.add(signed ? "text-success" : "text-danger");
    };
    fillLine(driverLine, state.version !== null && state.driver_signed, "");
    if (state.passenger && state.version !== null) {
      fillLine(passengerLine, state.passenger_signed, state.passenger);
    } else {
      passengerLine.remove();
    }
  }

  // The panel with what applies to ``entry`` (or only a refusal), and a line saying it was decided here.
  function render(list, entry, sessionName, refusal, already) {
    const section = panel.content.firstElementChild.cloneNode(true);
    const part = function (selector) { return section.querySelector(selector); };
    const drop = function (selector) { part(selector).remove(); };
    if (refusal) {
      part(".checkin-refusal").textContent = refusal;
    } else {
      drop(".checkin-refusal");
    }
    if (entry) {
      part(".checkin-session").textContent = sessionName;
      if (entry.slot) {
        part(".checkin-slot").textContent = say("slot", { slot: entry.slot });
      } else {
        drop(".checkin-slot");
      }
      const swatch = part(".swatch");
      swatch.style.background = entry.hex || "transparent";
      swatch.after(document.createTextNode(" " + entry.colour));
      const car = part('[data-part="car"]');
      if (entry.number) {
        const number = document.createElement("span");
        number.setAttribute("translate", "no");
        number.textContent = "#" + entry.number;
        car.append(number);
      }
      if (entry.nickname) {
        car.append(document.createTextNode(" " + say("nickname", { nickname: entry.nickname })));
      }
      if (entry.driver) {
        part('[data-part="driver"]').append(document.createTextNode(entry.driver));
      } else {
        drop('[data-part="driver"]');
      }
      declaration(section, entry);
      attention(part, drop, entry);
      if (already) {
        part(".checkin-already").textContent = already;
      } else {
        drop(".checkin-already");
      }
      if (refusal || already) {
        drop("form");
      } else {
        part("form").dataset.offlineEntry = String(entry.id);
      }
    } else {
      [".checkin-session", ".checkin-slot", ".checkin-already", "form"].forEach(drop);
      section.querySelectorAll("[data-part]").forEach(function (node) { node.remove(); });
    }
    part(".checkin-offline-note").textContent = list
      ? say("decidedHere", { time: time(list.downloaded_at) })
      : say("noList");
    fill(region, [section]);
  }

  // The organiser's attention note and the driver's emergency contact, as the list has them (events.gatelist's
  // gate_notes; templates/events/includes/gate_attention.html), or their pieces removed.
  function attention(part, drop, entry) {
    if (entry.attention) {
      part(".checkin-attention-note").textContent = entry.attention;
    } else {
      drop('[data-part="attention"]');
    }
    if (entry.emergency) {
      part(".checkin-emergency-name").textContent = entry.emergency.name;
      const phone = part(".checkin-emergency-phone");
      phone.textContent = entry.emergency.phone;
      phone.href = "tel:" + entry.emergency.tel;
    } else {
      drop('[data-part="emergency"]');
    }
  }

  window.GateView = {
    say: say,
    time: time,

    result: function (list, entry, session) {
      const values = { session: session.name };
      const refusals = { waitlisted: "waitlisted", cancelled: "cancelled", awaiting_payment: "awaiting", expired: "expired" };
      if (refusals[entry.status]) {
        render(list, entry, session.name, say(refusals[entry.status], values), "");
      } else if (list.here[entry.id]) {
        render(list, entry, session.name, "", say("alreadyHere", { time: time(list.here[entry.id]) }));
      } else if (entry.checked_in_at) {
        render(list, entry, session.name, "", say("already", { time: time(entry.checked_in_at) }));
      } else {
        render(list, entry, session.name, "", "");
      }
    },

    refuse: function (list, key, values) {
      render(list, null, "", say(key, values), "");
    },

    clearResults: function () {
      fill(searchResults, []);
    },

    // The search's entries as the server lists them, each a link to its result.
    results: function (list, entries, session) {
      fill(region, []);
      if (!entries.length) {
        const none = document.createElement("p");
        none.className = "mt-3";
        none.textContent = say("nothingFound");
        fill(searchResults, [none]);
        return;
      }
      const ul = document.createElement("ul");
      ul.className = "list-group mt-3 checkin-results";
      entries.forEach(function (entry) {
        const li = document.createElement("li");
        li.className = "list-group-item";
        const a = document.createElement("a");
        a.className = "d-block";
        a.href = "?entry=" + entry.id;
        if (entry.slot) {
          const slot = document.createElement("strong");
          slot.textContent = String(entry.slot);
          a.append(slot, " · ");
        }
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.setAttribute("aria-hidden", "true");
        swatch.style.background = entry.hex || "transparent";
        a.append(swatch, " " + carLabel(entry) + " · " + (entry.driver || "—"), document.createElement("br"));
        const small = document.createElement("small");
        const done = entry.checked_in_at || list.here[entry.id] ? ", " + say("checkedInShort") : "";
        small.textContent = session(entry).name + ": " + say("status_" + entry.status) + done;
        a.append(small);
        li.append(a);
        ul.append(li);
      });
      fill(searchResults, [ul]);
    },

    // As the server's redirect after a check-in: the message above, the panel empty for the next car.
    checkedIn: function (list, entry, session) {
      const old = document.getElementById("messages");
      if (old) {
        old.remove();
      }
      const messages = document.createElement("div");
      messages.id = "messages";
      messages.setAttribute("aria-live", "polite");
      const alert = document.createElement("div");
      alert.className = "alert alert-success checkin-queued";
      alert.setAttribute("role", "alert");
      const saved = document.createElement("span");
      saved.className = "d-block small";
      saved.textContent = say("queued");
      alert.append(say("checkedIn", { car: carLabel(entry), session: session.name }), saved);
      messages.append(alert);
      root.before(messages);
      fill(region, []);
    },

    // Scans the server did not simply record (a duplicate, a refusal), in its words, for the organiser.
    syncReport: function (items) {
      if (!items.length) {
        return;
      }
      const heading = document.createElement("p");
      heading.className = "fw-bold mb-1";
      heading.textContent = say("needsAttention");
      const ul = document.createElement("ul");
      ul.className = "mb-0";
      items.forEach(function (item) {
        const li = document.createElement("li");
        li.textContent = (item.entry ? carLabel(item.entry) + ": " : "") + item.message;
        ul.append(li);
      });
      fill(report, [heading, ul]);
      report.hidden = false;
    },

    syncFailed: function (status, error) {
      const p = document.createElement("p");
      p.className = "mb-0";
      p.textContent = status === 403 ? say("logInAgain") : error || say("syncFailed");
      fill(report, [p]);
      report.hidden = false;
    },

    // "List of 105 entries downloaded at 07:40 · 0 scans waiting · last synced 07:41"
    status: function (line, list, waiting) {
      if (!line) {
        return;
      }
      const parts = [];
      if (list) {
        const count = Object.keys(list.entries).length;
        parts.push(say("listDownloaded", { count: count, time: time(list.downloaded_at) }));
      } else {
        parts.push(say("noListYet"));
      }
      parts.push(waiting === 1 ? say("waitingOne") : say("waiting", { count: waiting }));
      if (list && list.synced_at) {
        parts.push(say("lastSynced", { time: time(list.synced_at) }));
      }
      line.textContent = parts.join(" · ");
    },
  };
})();
