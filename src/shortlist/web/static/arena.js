// shortlist arena voting page: a blind battle, both answers streamed at once (Server-Sent Events over fetch),
// four votes usable once both answers have started and locked after one, names revealed after the vote.
// Everything that comes from a model or a person (prompts, answers, names, tags) is written with textContent,
// never as HTML.
(function () {
  "use strict";

  var root = document.getElementById("arena-vote");
  if (!root) { return; }
  var api = root.getAttribute("data-api");
  var tag = root.getAttribute("data-tag") || "";
  var voteButtons = Array.prototype.slice.call(document.querySelectorAll("button.vote"));
  var KEYS = {"1": "a", "a": "a", "2": "b", "b": "b", "3": "tie", "t": "tie", "4": "both_bad", "x": "both_bad"};
  var LABELS = {a: "A is better", b: "B is better", tie: "a tie", both_bad: "both are bad"};
  var state = {battle: null, votable: false, voted: false, voting: false, stream: null, busy: false};

  function byId(id) { return document.getElementById(id); }

  function el(tagName, cls, text) {
    var node = document.createElement(tagName);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function say(text, kind) {
    var node = byId("arena-status");
    node.textContent = text || "";
    node.className = "arena-status" + (kind ? " " + kind : "");
  }

  function request(method, path, body) {
    var options = {method: method, credentials: "same-origin", headers: {Accept: "application/json"}};
    if (method === "POST") {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(api + path, options).then(function (response) {
      return response.json().catch(function () { return {error: "HTTP " + response.status}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || ("HTTP " + response.status));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // --- rendering -------------------------------------------------------------------------------------

  function describe(answer) {
    if (answer.status === "pending") { return "waiting for the model…"; }
    if (answer.status === "running") { return "answering…"; }
    if (answer.status === "failed") { return "failed: " + (answer.error || "the model did not answer"); }
    var parts = [];
    if (answer.status === "stopped") { parts.push("stopped"); }
    if (answer.completion_tokens) { parts.push(answer.completion_tokens + " tokens"); }
    if (answer.ttft_s !== null && answer.ttft_s !== undefined) { parts.push("first token " + answer.ttft_s.toFixed(2) + " s"); }
    if (answer.tokens_per_s) { parts.push(answer.tokens_per_s.toFixed(1) + " tok/s"); }
    if (answer.finish_reason === "length") { parts.push("cut at the token limit"); }
    if (answer.flagged) { parts.push("names a model (flagged)"); }
    return parts.join(" · ");
  }

  function fillAnswer(node, answer) {
    node.textContent = "";
    node.setAttribute("data-status", answer.status);
    node.appendChild(el("div", "answer-text", answer.text || ""));
    node.appendChild(el("div", "answer-meta muted small", describe(answer)));
  }

  function showNames(modelA, modelB) {
    byId("name-a").textContent = modelA ? ": " + modelA : "";
    byId("name-b").textContent = modelB ? ": " + modelB : "";
  }

  function render(battle) {
    state.battle = battle;
    state.voted = battle.status !== "open";
    state.votable = battle.votable;
    root.setAttribute("data-battle", String(battle.id));
    byId("battle-prompt").hidden = false;
    byId("battle-tags").textContent = battle.tags.length ? "· " + battle.tags.join(", ") : "";
    var context = byId("battle-context");
    context.textContent = "";
    battle.context.forEach(function (m) { context.appendChild(el("div", "context-msg", m.role + ": " + m.content)); });
    byId("battle-user").textContent = battle.turns.length ? battle.turns[0].user : "";
    ["a", "b"].forEach(function (side) {
      var conversation = byId("conv-" + side);
      conversation.textContent = "";
      battle.turns.forEach(function (turn, i) {
        if (i > 0) { conversation.appendChild(el("div", "user-text", turn.user)); }
        var answer = el("div", "answer");
        answer.id = "answer-" + side + "-" + turn.index;
        fillAnswer(answer, turn[side]);
        conversation.appendChild(answer);
      });
    });
    showNames(battle.revealed && battle.revealed.model_a, battle.revealed && battle.revealed.model_b);
    voteButtons.forEach(function (b) { b.classList.toggle("chosen", b.getAttribute("data-outcome") === battle.outcome); });
    if (battle.unfinished) { say("An answer failed: this battle cannot be voted on. Regenerate it or start a new round.", "bad"); }
    controls();
  }

  function controls() {
    var battle = state.battle;
    var open = !!battle && battle.status === "open" && !state.voted;
    var streaming = !!state.stream;
    voteButtons.forEach(function (b) { b.disabled = !(open && state.votable && !state.voting); });
    byId("send-followup").disabled = !(open && !streaming && state.votable && !state.voting);
    byId("regenerate").disabled = !(open && !streaming && !state.voting);
    byId("skip").disabled = !(open && !state.voting);
    var phase = !battle ? "none" : state.voted ? "voted" : open && state.votable ? "votable" :
      streaming ? "streaming" : "waiting";
    root.setAttribute("data-state", phase);
  }

  // --- streaming ---------------------------------------------------------------------------------------

  function onEvent(battleId, turn, event) {
    if (!state.battle || state.battle.id !== battleId) { return; }
    if (event.kind === "failed") { say(event.error, "bad"); return; }
    if (event.kind === "end") {
      state.votable = event.votable;
      controls();
      return;
    }
    var node = byId("answer-" + event.side + "-" + turn);
    if (!node) { return; }
    if (event.kind === "start") {
      node.setAttribute("data-status", "running");
      node.querySelector(".answer-text").textContent = "";
      node.querySelector(".answer-meta").textContent = "answering…";
    } else if (event.kind === "delta") {
      node.querySelector(".answer-text").appendChild(document.createTextNode(event.text));
    } else if (event.answer) {
      fillAnswer(node, event.answer);
    }
    state.votable = event.votable;
    if (event.unfinished) { say("An answer failed: this battle cannot be voted on. Regenerate it or start a new round.", "bad"); }
    controls();
  }

  function stream() {
    var battle = state.battle;
    if (!battle) { return; }
    if (state.stream) { state.stream.abort(); }
    var controller = new AbortController();
    state.stream = controller;
    var battleId = battle.id;
    var turn = battle.turns[battle.turns.length - 1].index;
    controls();
    fetch(api + "/battles/" + battleId + "/stream", {
      method: "POST", credentials: "same-origin", signal: controller.signal, body: "{}",
      headers: {"Content-Type": "application/json", Accept: "text/event-stream"}
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          throw new Error(data.error || ("HTTP " + response.status));
        });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (result) {
          if (result.done) { return; }
          buffer += decoder.decode(result.value, {stream: true});
          var chunks = buffer.split("\n\n");
          buffer = chunks.pop();
          chunks.forEach(function (chunk) {
            chunk.split("\n").forEach(function (line) {
              if (line.indexOf("data: ") === 0) { onEvent(battleId, turn, JSON.parse(line.slice(6))); }
            });
          });
          return pump();
        });
      }
      return pump();
    }).then(function () {
      if (state.stream === controller) { state.stream = null; refresh(battleId); }
    }).catch(function (error) {
      if (state.stream !== controller) { return; }
      state.stream = null;
      if (error.name !== "AbortError") { say(error.message, "bad"); }
      controls();
    });
  }

  function refresh(battleId) {
    request("GET", "/battles/" + battleId).then(function (battle) {
      if (state.battle && state.battle.id === battleId) { render(battle); }
    }).catch(function (error) { say(error.message, "bad"); });
  }

  function begin(battle) {
    state.voting = false;
    say("");
    render(battle);
    if (battle.needs_generation) { stream(); }
  }

  // --- actions -------------------------------------------------------------------------------------

  function vote(outcome) {
    var battle = state.battle;
    if (!battle || state.voted || state.voting || !state.votable) { return; }
    state.voting = true;
    controls();
    var key = randomKey();
    var battleId = battle.id;
    var attempt = 0;
    function send() {
      attempt += 1;
      return request("POST", "/battles/" + battleId + "/vote", {outcome: outcome, idempotency_key: key})
        .catch(function (error) {
          // a lost answer or a server error: the same key makes the retry safe (never counted twice)
          if ((error.status === undefined || error.status >= 500) && attempt < 5) {
            return new Promise(function (resolve) { window.setTimeout(resolve, 300 * attempt); }).then(send);
          }
          throw error;
        });
    }
    send().then(function (ack) {
      state.voting = false;
      if (!state.battle || state.battle.id !== battleId) { return; }
      state.voted = true;
      state.battle.status = "voted";
      state.battle.outcome = ack.outcome;
      showNames(ack.model_a, ack.model_b);
      voteButtons.forEach(function (b) { b.classList.toggle("chosen", b.getAttribute("data-outcome") === ack.outcome); });
      root.setAttribute("data-voted", ack.outcome);
      say("Thanks for voting (" + LABELS[ack.outcome] + "). A was " + ack.model_a + ", B was " + ack.model_b +
          ". Press N for a new round.", "good");
      controls();
    }).catch(function (error) {
      state.voting = false;
      say(error.message, "bad");
      if (error.status === 409) { refresh(battleId); }
      controls();
    });
  }

  function newRound() {
    if (state.busy) { return; }
    if (state.stream) { state.stream.abort(); state.stream = null; }
    state.busy = true;
    say("Drawing a new battle…");
    request("POST", "/battles", tag ? {tag: tag} : {}).then(function (battle) {
      state.busy = false;
      begin(battle);
    }).catch(function (error) {
      state.busy = false;
      say(error.message, "bad");
      controls();
    });
  }

  function act(path, body) {
    var battle = state.battle;
    if (!battle || state.busy) { return; }
    state.busy = true;
    request("POST", "/battles/" + battle.id + path, body).then(function (view) {
      state.busy = false;
      begin(view);
    }).catch(function (error) {
      state.busy = false;
      say(error.message, "bad");
      controls();
    });
  }

  voteButtons.forEach(function (b) {
    b.addEventListener("click", function () { vote(b.getAttribute("data-outcome")); });
  });
  byId("new-round").addEventListener("click", newRound);
  byId("regenerate").addEventListener("click", function () { act("/regenerate", {}); });
  byId("skip").addEventListener("click", function () {
    var battle = state.battle;
    if (!battle || state.busy) { return; }
    if (state.stream) { state.stream.abort(); state.stream = null; }
    request("POST", "/battles/" + battle.id + "/skip", {}).then(newRound)
      .catch(function (error) { say(error.message, "bad"); });
  });
  byId("continue-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = byId("followup").value;
    if (!text.trim()) { return; }
    byId("followup").value = "";
    act("/continue", {message: text});
  });
  byId("prompt-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = byId("own-prompt").value;
    if (!text.trim() || state.busy) { return; }
    if (state.stream) { state.stream.abort(); state.stream = null; }
    state.busy = true;
    say("Asking two contestants…");
    request("POST", "/battles", {prompt: text}).then(function (battle) {
      state.busy = false;
      byId("own-prompt").value = "";
      begin(battle);
    }).catch(function (error) {
      state.busy = false;
      say(error.message, "bad");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT" ||
                   target.isContentEditable)) { return; }
    var key = (event.key || "").toLowerCase();
    if (KEYS[key]) {
      event.preventDefault();
      vote(KEYS[key]);
    } else if (key === "n") {
      event.preventDefault();
      newRound();
    }
  });

  controls();
  newRound();
}());
