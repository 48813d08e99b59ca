// The upload page: each chosen or dropped file gets a row with a preview made in the browser,
// is checked here (type, size), hashed (SHA-256, for the server to say when the pet has it
// already), asks for an upload ticket, goes straight to storage (S3, or the local endpoint)
// with its own progress bar, is completed, and is followed until its renditions are ready.
// A refused file says why in one sentence; one that failed on the way can be retried; a file
// the pet already has waits for its uploader to choose "Upload anyway" or "Skip". Files go a
// few at a time, and when the server says "too many this minute" (429) every file waits out
// its Retry-After before asking again, so hundreds of photos can be dropped at once. While
// files are still being read or sent, leaving the page asks first.
(function () {
  "use strict";

  var root = document.getElementById("uploader");
  if (!root) {
    return;
  }
  var csrfToken = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var input = root.querySelector("input[type=file]");
  var dropzone = root.querySelector(".dropzone");
  var list = root.querySelector(".uploads");
  var maxBytes = parseInt(root.getAttribute("data-max-bytes"), 10);
  var accepted = root.getAttribute("data-accepted").split(",");
  // Missing outside a secure context (plain http on another host than localhost): no hash, so
  // no duplicate warning, and the upload goes on.
  var subtle = window.crypto && window.crypto.subtle;
  var ZERO_ID = "00000000-0000-0000-0000-000000000000";
  var POLL_MS = 1500;
  var SIMULTANEOUS = 3; // files between being hashed and completed, at once
  var MB = 1024 * 1024;
  var queue = [];
  var inFlight = 0;
  var resumeAt = 0; // after a 429, no ticket is asked for before this time (ms)
  var rows = 0;
  var busy = 0; // files still being hashed or sent: leaving would lose them
  var TYPES_BY_EXTENSION = { heic: "image/heic", heif: "image/heif", jpg: "image/jpeg",
    jpeg: "image/jpeg", png: "image/png", webp: "image/webp", gif: "image/gif" };
  // Refusals the file itself earns: asking again gives the same answer, so no Retry.
  var FINAL_STATUSES = [400, 404, 413, 415];

  // What the page says, each a sentence that tells what to do.
  var SAY = {
    type: "This file isn't a photo we can take: use JPEG, PNG, WebP, HEIC or GIF.",
    empty: "This file is empty: choose the photo itself.",
    unreadable: "This file can no longer be read: choose it again.",
    droppedBefore: "The connection dropped before this photo was sent. Retry?",
    droppedSending: "The connection dropped while sending this photo. Retry?",
    droppedFinishing: "The connection dropped while finishing this photo. Retry?",
    skipped: "Skipped: nothing was stored.",
    sameFileTwice: "This is the same file as one above, already on its way."
  };

  function megabytes(size) {
    var whole = Math.round(size / MB);
    // A file just over the limit would read as the limit itself: a decimal tells them apart.
    var plain = whole * MB === size || whole * MB > maxBytes;
    return (plain ? whole : (size / MB).toFixed(1)) + " MB";
  }

  function tooLarge(size) {
    return "This file is " + megabytes(size) + "; photos can be at most " +
      megabytes(maxBytes) + ".";
  }

  function trouble(status, where) {
    return where + " had a problem (error " + status + "). Retry?";
  }

  // A processing failure's reason ("the image is damaged or truncated") in a sentence.
  function processingFailed(reason) {
    if (/^[A-Z].*[.!?]$/.test(reason || "")) {
      return reason;
    }
    return "This photo couldn't be processed" + (reason ? ": " + reason : "") + ".";
  }

  function failure(message, retry) {
    var error = new Error(message);
    error.retry = retry;
    return error;
  }

  function urlFor(attribute, photoId) {
    return root.getAttribute(attribute).replace(ZERO_ID, photoId);
  }

  function extensionOf(file) {
    var parts = file.name.split(".");
    return parts.length > 1 ? parts.pop().toLowerCase() : "";
  }

  function contentType(file) {
    if (file.type) {
      return file.type;
    }
    return TYPES_BY_EXTENSION[extensionOf(file)] || "application/octet-stream";
  }

  // Why this file cannot go, known before asking the server; "" when it may.
  function refusalOf(file) {
    if (accepted.indexOf(contentType(file)) === -1) {
      return SAY.type;
    }
    if (file.size === 0) {
      return SAY.empty;
    }
    if (file.size > maxBytes) {
      return tooLarge(file.size);
    }
    return "";
  }

  // The server's answer; a refusal throws with its status, its body and its own sentence, a
  // dropped connection with ``offline``.
  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken,
        Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || trouble(response.status, "The server"));
          error.status = response.status;
          error.data = data;
          error.retryAfter = parseInt(response.headers.get("Retry-After"), 10);
          throw error;
        }
        return data;
      });
    }, function () {
      var error = new Error("offline");
      error.offline = true;
      throw error;
    });
  }

  function pause(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  // --- Leaving while files are on their way ---------------------------------------------------

  function askBeforeLeaving(event) {
    event.preventDefault();
    event.returnValue = true; // browsers that predate preventDefault() here
  }

  function setBusy(item, on) {
    if (item.busy === on) {
      return;
    }
    item.busy = on;
    busy += on ? 1 : -1;
    if (on && busy === 1) {
      window.addEventListener("beforeunload", askBeforeLeaving);
    } else if (!on && busy === 0) {
      window.removeEventListener("beforeunload", askBeforeLeaving);
    }
  }

  // --- A file's row ---------------------------------------------------------------------------

  function Row(item) {
    var file = item.file;
    rows += 1;
    this.item = item;
    this.element = document.createElement("li");
    this.element.className = "upload";
    this.name = document.createElement("span");
    this.name.className = "name";
    this.name.id = "upload-" + rows;
    this.name.textContent = file.name;
    this.progress = document.createElement("progress");
    this.progress.max = 100;
    this.progress.value = 0;
    this.progress.setAttribute("aria-label", "Sending " + file.name);
    var outcome = document.createElement("div");
    outcome.className = "outcome";
    this.status = document.createElement("span");
    this.status.className = "status";
    this.actions = document.createElement("span");
    this.actions.className = "upload-actions";
    outcome.append(this.status, this.actions);
    this.preview = this.makePreview(file);
    this.element.append(this.preview, this.name, this.progress, outcome);
    list.appendChild(this.element);
  }

  // A small picture of the file, decoded by the browser from the file itself; its object URL
  // is let go once the picture is loaded (or fails). What the browser cannot decode (HEIC in
  // most) shows the file's extension instead.
  Row.prototype.makePreview = function (file) {
    if (refusalOf(file) === SAY.type) {
      return this.placeholder(file);
    }
    var row = this;
    var image = document.createElement("img");
    var url = URL.createObjectURL(file);
    image.className = "upload-preview";
    image.width = 48;
    image.height = 48;
    image.alt = "";
    image.decoding = "async";
    image.loading = "lazy"; // before src: hundreds of rows decode only those near the screen
    this.previewUrl = url;
    image.addEventListener("load", function () { row.forgetPreview(); });
    image.addEventListener("error", function () {
      row.forgetPreview();
      if (row.preview === image) {
        row.replacePreview(row.placeholder(file));
      }
    });
    image.src = url;
    return image;
  };

  Row.prototype.placeholder = function (file) {
    var box = document.createElement("span");
    box.className = "upload-preview placeholder";
    box.setAttribute("aria-hidden", "true");
    box.textContent = extensionOf(file).slice(0, 4).toUpperCase() || "FILE";
    return box;
  };

  Row.prototype.forgetPreview = function () {
    if (this.previewUrl) {
      URL.revokeObjectURL(this.previewUrl);
      this.previewUrl = null;
    }
  };

  Row.prototype.replacePreview = function (element) {
    this.forgetPreview();
    this.element.replaceChild(element, this.preview);
    this.preview = element;
  };

  // The row's state (data-state) and its sentence; any earlier choices are taken away.
  Row.prototype.say = function (state, text) {
    this.element.setAttribute("data-state", state);
    this.status.textContent = text;
    this.actions.textContent = "";
  };

  Row.prototype.button = function (text, className, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = className;
    button.textContent = text;
    button.setAttribute("aria-describedby", this.name.id); // which file: several say "Skip"
    button.addEventListener("click", onClick);
    this.actions.appendChild(button);
    return button;
  };

  // After its buttons go, focus stays on the row rather than falling to the page's top.
  Row.prototype.keepFocus = function () {
    this.element.tabIndex = -1;
    this.element.focus();
  };

  // A refusal: a ``retry`` runs the file's whole flow again, with a new ticket.
  Row.prototype.refuse = function (error) {
    var row = this;
    if (!error.retry) {
      row.say("refused", error.message);
      return;
    }
    row.say("failed", error.message);
    row.button("Retry", "small", function () {
      row.keepFocus();
      enqueue(row.item);
    });
  };

  // "Already in Biscuit's photos. See it." and the choice.
  Row.prototype.duplicate = function (data) {
    var row = this;
    row.say("duplicate", data.error + (data.photo_page ? " " : ""));
    if (data.photo_page) {
      var link = document.createElement("a");
      link.href = data.photo_page;
      link.target = "_blank"; // the other files carry on here
      link.rel = "noopener";
      link.textContent = "See it";
      var where = document.createElement("span");
      where.className = "visually-hidden";
      where.textContent = " (opens in a new tab)";
      link.appendChild(where);
      row.status.append(link, ".");
    }
    row.button("Upload anyway", "small", function () {
      row.item.allowDuplicate = true;
      row.keepFocus();
      enqueue(row.item);
    });
    row.button("Skip", "small secondary", function () {
      row.say("skipped", SAY.skipped);
      row.keepFocus();
    });
  };

  // The finished photo's thumb, at its plain address: the page's signed cookies open it.
  Row.prototype.show = function (photo) {
    var thumb = photo.images && photo.images.thumb;
    if (!thumb) {
      return;
    }
    var image = document.createElement("img");
    image.className = "upload-preview upload-thumb";
    image.src = thumb.url;
    image.width = 48;
    image.height = 48;
    image.alt = "";
    this.replacePreview(image);
  };

  // --- A file's flow --------------------------------------------------------------------------

  function hexOf(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (byte) {
      return ("0" + byte.toString(16)).slice(-2);
    }).join("");
  }

  // The file's SHA-256, once per file; null when this browser cannot make it here.
  function hashOf(item) {
    if (!subtle || item.hash !== undefined) {
      return Promise.resolve(item.hash || null);
    }
    item.row.say("reading", "Checking…");
    return item.file.arrayBuffer().then(function (buffer) {
      return subtle.digest("SHA-256", buffer).then(hexOf, function () { return null; });
    }, function () {
      throw failure(SAY.unreadable, false);
    }).then(function (hash) {
      item.hash = hash;
      return hash;
    });
  }

  function waitingFor(row) {
    var seconds = Math.ceil((resumeAt - Date.now()) / 1000);
    row.say("waiting", "Waiting… (too many uploads this minute; trying again in " + seconds + " s)");
  }

  // A ticket for the file; a 429 holds back every file until its Retry-After has passed, and
  // a 409 naming a photo says the pet has this file already.
  function ticketFor(item) {
    var row = item.row;
    var wait = resumeAt - Date.now();
    if (wait > 0) {
      waitingFor(row);
    }
    return pause(Math.max(wait, 0)).then(function () {
      row.say("asking", "Asking…");
      var request = { filename: item.file.name, content_type: contentType(item.file),
        size: item.file.size };
      if (item.hash) {
        request.content_hash = item.hash;
      }
      if (item.allowDuplicate) {
        request.duplicate = "allow";
      }
      return api("POST", root.getAttribute("data-tickets"), request);
    }).catch(function (error) {
      if (error.status === 429) {
        var seconds = error.retryAfter > 0 ? error.retryAfter : 10;
        resumeAt = Math.max(resumeAt, Date.now() + seconds * 1000);
        return ticketFor(item);
      }
      if (error.status === 409 && error.data.duplicate_of) {
        error.duplicate = error.data;
        throw error;
      }
      if (error.offline) {
        throw failure(SAY.droppedBefore, true);
      }
      // A 413 over the quota, a 415 and the like: the server's sentence, and no retry.
      throw failure(error.message, FINAL_STATUSES.indexOf(error.status) === -1);
    });
  }

  function storageRefusal(request) {
    try {
      var error = JSON.parse(request.responseText).error;
      if (error) {
        return error;
      }
    } catch (ignored) {
      // S3 answers in XML: its code means nothing to people.
    }
    return trouble(request.status, "Storage");
  }

  function send(ticket, file, row) {
    return new Promise(function (resolve, reject) {
      var form = new FormData();
      Object.keys(ticket.upload.fields).forEach(function (name) {
        form.append(name, ticket.upload.fields[name]);
      });
      form.append("file", file); // last, as S3 requires
      var request = new XMLHttpRequest();
      request.open("POST", ticket.upload.url);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          row.progress.value = Math.round((event.loaded / event.total) * 100);
          row.say("uploading", "Uploading " + row.progress.value + "%");
        }
      });
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 300) {
          row.progress.value = 100;
          resolve();
        } else {
          reject(failure(storageRefusal(request), true));
        }
      });
      request.addEventListener("error", function () {
        reject(failure(SAY.droppedSending, true));
      });
      request.send(form);
    });
  }

  function complete(ticket, row) {
    row.say("processing", "Processing…");
    return api("POST", urlFor("data-complete", ticket.photo)).catch(function (error) {
      throw failure(error.offline ? SAY.droppedFinishing : error.message, true);
    });
  }

  // Until the photo is ready or failed; a dropped connection only makes it look again later.
  function follow(photoId, row, misses) {
    return api("GET", urlFor("data-status", photoId)).then(function (photo) {
      if (photo.state === "ready") {
        row.say("done", "Done");
        row.show(photo);
        return photo;
      }
      if (photo.state === "failed") {
        // The server tries again itself when it was its fault: no second copy from here.
        throw failure(processingFailed(photo.error), false);
      }
      row.say("processing", "Processing…");
      return pause(POLL_MS).then(function () { return follow(photoId, row, 0); });
    }, function (error) {
      if (!error.offline && !(error.status >= 500)) {
        throw failure(error.message, false);
      }
      return pause(POLL_MS * Math.min((misses || 0) + 2, 20)).then(function () {
        return follow(photoId, row, (misses || 0) + 1);
      });
    });
  }

  // The same file twice in one drop: the server knows the first only once it is processing,
  // so the page compares its own files' hashes (each claimed by the first row that has it).
  var claimed = {};

  function claim(item) {
    var first = item.hash && claimed[item.hash];
    if (first && first !== item && !item.allowDuplicate) {
      var error = new Error(SAY.sameFileTwice);
      error.duplicate = { error: SAY.sameFileTwice, photo_page: null };
      throw error;
    }
    if (item.hash && !first) {
      claimed[item.hash] = item;
    }
  }

  function unclaim(item) {
    if (item.hash && claimed[item.hash] === item) {
      delete claimed[item.hash];
    }
  }

  // Hash, ticket, upload and completion hold one of the SIMULTANEOUS places; following does
  // not (nor does it keep the page from being left: the server has the file by then).
  function upload(item) {
    var row = item.row;
    return hashOf(item).then(function () {
      claim(item);
      return ticketFor(item);
    }).then(function (ticket) {
      row.say("uploading", "Uploading 0%");
      return send(ticket, item.file, row).then(function () {
        return complete(ticket, row);
      }).then(function () {
        setBusy(item, false);
        follow(ticket.photo, row).catch(function (error) { row.refuse(error); });
      });
    }).catch(function (error) {
      setBusy(item, false);
      row.progress.value = 0;
      unclaim(item); // not sent: a later copy may go
      if (error.duplicate) {
        row.duplicate(error.duplicate);
      } else {
        row.refuse(error);
      }
    });
  }

  function next() {
    while (inFlight < SIMULTANEOUS && queue.length) {
      inFlight += 1;
      upload(queue.shift()).then(function () {
        inFlight -= 1;
        next();
      });
    }
  }

  function enqueue(item) {
    setBusy(item, true);
    item.row.say("queued", "Waiting…");
    queue.push(item);
    next();
  }

  function uploadAll(files) {
    Array.prototype.forEach.call(files, function (file) {
      var item = { file: file, busy: false, allowDuplicate: false };
      item.row = new Row(item);
      var refusal = refusalOf(file);
      if (refusal) {
        item.row.refuse(failure(refusal, false)); // nothing to send: the file's own fault
      } else {
        enqueue(item);
      }
    });
  }

  function takeChosen() {
    uploadAll(input.files);
    input.value = "";
  }
  input.addEventListener("change", takeChosen);
  if (input.files && input.files.length) {
    takeChosen(); // chosen before this script ran (a slow connection)
  }
  ["dragenter", "dragover"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    dropzone.addEventListener(name, function () { dropzone.classList.remove("over"); });
  });
  dropzone.addEventListener("drop", function (event) {
    event.preventDefault();
    uploadAll(event.dataTransfer.files);
  });
})();
