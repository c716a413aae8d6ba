// Reading a member card's QR code at the check-in desk, with the camera or from a photo.
// The browser's own BarcodeDetector where it has one, else jsQR (static/vendor, installed from
// npm). A decoded card number goes into the card field and the form is sent as if typed, so the
// server decides and checkin.js shows its answer. Frames never leave the browser.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  var panel = document.getElementById("checkin-scan");
  if (!form || !panel || !window.Promise || !document.createElement("canvas").getContext) {
    return;
  }
  var input = form.querySelector("input[name=card]");
  var video = document.getElementById("scan-video");
  var startButton = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var fileInput = document.getElementById("scan-file");
  var status = document.getElementById("scan-status");
  var messages = document.getElementById("scan-messages");
  var CARD = /^[0-9]{6,40}$/;
  var FRAME_MS = 150;
  var REPEAT_MS = 4000; // a card left in front of the camera is checked once, not again
  var IDLE_MS = 5 * 60 * 1000; // the camera goes off after five minutes without a card
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;
  var cameraPossible = false;
  var stream = null;
  var timer = null;
  var last = "";
  var lastAt = 0;
  var activeAt = 0;

  function say(key) {
    var text = key ? messages.content.querySelector('[data-key="' + key + '"]') : null;
    status.textContent = text ? text.textContent : "";
  }

  function decodeWithJsQR(source, width, height, maxSide, thorough) {
    var scale = Math.min(1, maxSide / Math.max(width, height));
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, {
      inversionAttempts: thorough ? "attemptBoth" : "dontInvert"
    });
    return code ? code.data : null;
  }

  // The text of the first QR code in the picture (a video, an image bitmap), or null.
  function decode(source, width, height, thorough) {
    if (detector) {
      return detector.detect(source).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    }
    return Promise.resolve(decodeWithJsQR(source, width, height, thorough ? 1200 : 640, thorough));
  }

  function found(text, deliberate) {
    var number = (text || "").replace(/\s+/g, "");
    if (!CARD.test(number)) {
      say("not-a-card");
      return;
    }
    var now = Date.now();
    activeAt = now;
    if (!deliberate && number === last && now - lastAt < REPEAT_MS) {
      lastAt = now; // still held up: checked once, until it has been away for a moment
      return;
    }
    last = number;
    lastAt = now;
    say("");
    input.value = number;
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.querySelector("button[type=submit]").click();
    }
  }

  function schedule() {
    if (stream) {
      timer = window.setTimeout(scanFrame, FRAME_MS);
    }
  }

  function scanFrame() {
    if (!stream) {
      return;
    }
    if (Date.now() - activeAt > IDLE_MS) {
      stop();
      return;
    }
    if (video.readyState < 2 || !video.videoWidth) {
      schedule();
      return;
    }
    decode(video, video.videoWidth, video.videoHeight, false)
      .then(function (text) {
        if (text) {
          found(text, false);
        }
      })
      .catch(function () {})
      .then(schedule);
  }

  function start() {
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        activeAt = Date.now();
        video.srcObject = media;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        panel.setAttribute("data-camera", "on");
        say("looking");
        return video.play();
      })
      .then(schedule)
      .catch(function () {
        stop();
        say("no-camera");
      });
  }

  function stop() {
    window.clearTimeout(timer);
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = !cameraPossible;
    panel.setAttribute("data-camera", "off");
    say("");
    input.focus();
  }

  function readPicture(file) {
    if (window.createImageBitmap) {
      return window.createImageBitmap(file).then(function (bitmap) {
        return { source: bitmap, width: bitmap.width, height: bitmap.height };
      });
    }
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        var image = new Image(); // a data: URL, which the CSP's img-src allows
        image.onload = function () {
          resolve({ source: image, width: image.naturalWidth, height: image.naturalHeight });
        };
        image.onerror = reject;
        image.src = reader.result;
      };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  function readFile() {
    var file = fileInput.files && fileInput.files[0];
    if (!file) {
      return;
    }
    readPicture(file)
      .then(function (picture) {
        return decode(picture.source, picture.width, picture.height, true);
      })
      .then(function (text) {
        if (text) {
          found(text, true);
        } else {
          say("no-code");
        }
      })
      .catch(function () { say("no-code"); })
      .then(function () {
        fileInput.value = "";
        input.focus();
      });
  }

  function init(native) {
    if (native) {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } else if (typeof window.jsQR !== "function") {
      return; // no decoder: the card field alone, as before
    }
    cameraPossible = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    panel.setAttribute("data-decoder", native ? "native" : "jsqr");
    startButton.hidden = !cameraPossible;
    panel.hidden = false;
    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", stop);
    fileInput.addEventListener("change", readFile);
    document.addEventListener("visibilitychange", function () {
      if (document.hidden && stream) {
        stop();
      }
    });
  }

  if (window.BarcodeDetector && window.BarcodeDetector.getSupportedFormats) {
    window.BarcodeDetector.getSupportedFormats()
      .then(function (formats) { init(formats.indexOf("qr_code") >= 0); })
      .catch(function () { init(false); });
  } else {
    init(false);
  }
})();
