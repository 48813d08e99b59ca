// The upload page: each chosen or dropped file asks for an upload ticket, goes straight to
// storage (S3, or the local endpoint) with its own progress bar, is completed, and is
// followed until its renditions are ready. A refused file says why; the others carry on.
// Files go a few at a time, and when the server says "too many this minute" (429) every file
// waits out its Retry-After before asking again, so hundreds of photos can be dropped at once.
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
  var ZERO_ID = "00000000-0000-0000-0000-000000000000";
  var POLL_MS = 1500;
  var SIMULTANEOUS = 3; // files between asking for a ticket and completing, at once
  var queue = [];
  var inFlight = 0;
  var resumeAt = 0; // after a 429, no ticket is asked for before this time (ms)
  var TYPES_BY_EXTENSION = { heic: "image/heic", heif: "image/heif", jpg: "image/jpeg",
    jpeg: "image/jpeg", png: "image/png", webp: "image/webp", gif: "image/gif" };

  function urlFor(attribute, photoId) {
    return root.getAttribute(attribute).replace(ZERO_ID, photoId);
  }

  function contentType(file) {
    if (file.type) {
      return file.type;
    }
    var extension = (file.name.split(".").pop() || "").toLowerCase();
    return TYPES_BY_EXTENSION[extension] || "application/octet-stream";
  }

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
          var error = new Error(data.error || "The server answered " + response.status + ".");
          error.status = response.status;
          error.retryAfter = parseInt(response.headers.get("Retry-After"), 10);
          throw error;
        }
        return data;
      });
    });
  }

  function pause(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  function Row(file) {
    this.element = document.createElement("li");
    this.element.className = "upload";
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    this.progress = document.createElement("progress");
    this.progress.max = 100;
    this.progress.value = 0;
    this.progress.setAttribute("aria-label", "Sending " + file.name);
    this.status = document.createElement("span");
    this.status.className = "status";
    this.element.append(name, this.progress, this.status);
    list.appendChild(this.element);
  }
  Row.prototype.say = function (state, text) {
    this.element.setAttribute("data-state", state);
    this.status.textContent = text;
  };

  // The finished photo's thumb, at its plain address: the page's signed cookies open it.
  Row.prototype.show = function (photo) {
    var thumb = photo.images && photo.images.thumb;
    if (!thumb) {
      return;
    }
    var image = document.createElement("img");
    image.className = "upload-thumb";
    image.src = thumb.url;
    image.width = 40;
    image.height = 40;
    image.alt = "";
    var name = this.element.querySelector(".name");
    name.insertBefore(image, name.firstChild);
  };

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
          reject(new Error(refusal(request) || "Storage refused the file (" + request.status + ")."));
        }
      });
      request.addEventListener("error", function () {
        reject(new Error("The upload was interrupted; check your connection and try again."));
      });
      request.send(form);
    });
  }

  function refusal(request) {
    try {
      return JSON.parse(request.responseText).error;
    } catch (error) {
      return "";
    }
  }

  function follow(photoId, row) {
    return api("GET", urlFor("data-status", photoId)).then(function (photo) {
      if (photo.state === "ready") {
        row.say("done", "Done");
        row.show(photo);
        return photo;
      }
      if (photo.state === "failed") {
        throw new Error(photo.error);
      }
      row.say("processing", "Processing…");
      return pause(POLL_MS).then(function () { return follow(photoId, row); });
    });
  }

  function waitingFor(row) {
    var seconds = Math.ceil((resumeAt - Date.now()) / 1000);
    row.say("waiting", "Waiting… (too many uploads this minute; trying again in " + seconds + " s)");
  }

  // A ticket for the file; a 429 holds back every file until its Retry-After has passed.
  function ticketFor(file, row) {
    var wait = resumeAt - Date.now();
    if (wait > 0) {
      waitingFor(row);
    }
    return pause(Math.max(wait, 0)).then(function () {
      row.say("asking", "Asking…");
      return api("POST", root.getAttribute("data-tickets"),
        { filename: file.name, content_type: contentType(file), size: file.size });
    }).catch(function (error) {
      if (error.status !== 429) {
        throw error; // a 413 (over the quota) and the rest: the row shows the message
      }
      var seconds = error.retryAfter > 0 ? error.retryAfter : 10;
      resumeAt = Math.max(resumeAt, Date.now() + seconds * 1000);
      return ticketFor(file, row);
    });
  }

  // Ticket, upload and completion hold one of the SIMULTANEOUS places; following does not.
  function upload(item) {
    var row = item.row;
    var refuse = function (error) { row.say("refused", error.message); };
    return ticketFor(item.file, row).then(function (ticket) {
      row.say("uploading", "Uploading 0%");
      return send(ticket, item.file, row).then(function () {
        row.say("processing", "Processing…");
        return api("POST", urlFor("data-complete", ticket.photo));
      }).then(function () {
        follow(ticket.photo, row).catch(refuse);
      });
    }).catch(refuse);
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

  function uploadAll(files) {
    Array.prototype.forEach.call(files, function (file) {
      var row = new Row(file);
      row.say("queued", "Waiting…");
      queue.push({ file: file, row: row });
    });
    next();
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
