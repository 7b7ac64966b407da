/* Drag-and-drop onto a drop zone fills the file input; htmx reports the upload's progress. */
(function () {
  "use strict";
  document.querySelectorAll("[data-dropzone]").forEach((zone) => {
    const input = document.getElementById(zone.dataset.dropzone);
    const label = document.querySelector(`[data-filename="${zone.dataset.dropzone}"]`);
    const show = () => {
      const file = input.files[0];
      label.textContent = file ? `${file.name} · ${(file.size / 1048576).toFixed(2)} MB` : "";
    };
    ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragover");
    }));
    ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dragover")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
    input.addEventListener("change", show);
  });
  const form = document.getElementById("uploadForm");
  const bar = document.getElementById("uploadProgress");
  if (form && bar) {
    form.addEventListener("htmx:xhr:progress", (event) => {
      if (!event.detail.lengthComputable) { return; }
      bar.classList.remove("d-none");
      bar.firstElementChild.style.width = `${Math.round((event.detail.loaded / event.detail.total) * 100)}%`;
    });
    // A list refused before it is kept comes back as the page with its reason: show that reason here.
    form.addEventListener("htmx:responseError", (event) => {
      const page = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
      const reason = page.getElementById("uploadError");
      const here = document.getElementById("uploadError");
      if (reason && here) {
        here.replaceWith(reason);
        bar.classList.add("d-none");
      }
    });
  }
})();
