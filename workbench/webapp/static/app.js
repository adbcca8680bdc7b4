// Copy buttons. navigator.clipboard needs a secure context (127.0.0.1 is one); the textarea
// fallback covers a plain-HTTP deployment behind another name.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const source = document.getElementById(button.dataset.target);
  if (!source) return;
  const text = source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  const label = button.textContent;
  button.textContent = "Copied ✓";
  button.dataset.copied = "1";
  setTimeout(() => { button.textContent = label; }, 1500);
});

// Generation takes seconds (a trained model on a CPU: tens of seconds): show a running indicator
// with the time spent, and stop double submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id !== "brief-form" && form.id !== "regenerate-form") return;
  const button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; button.textContent = "Generating…"; }
  const progress = form.querySelector(".progress");
  if (!progress) return;
  progress.hidden = false;
  const elapsed = progress.querySelector("[data-elapsed]");
  const started = Date.now();
  setInterval(() => {
    if (elapsed) elapsed.textContent = String(Math.round((Date.now() - started) / 1000));
  }, 1000);
});

// An uploaded brief replaces the form: its fields are then not required.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (input.id !== "brief-file") return;
  const form = input.form;
  const uploading = input.files && input.files.length > 0;
  form.querySelectorAll("[data-field] input, [data-field] select, [data-field] textarea")
    .forEach((field) => {
      if (!("wasRequired" in field.dataset)) field.dataset.wasRequired = field.required ? "1" : "";
      field.required = !uploading && field.dataset.wasRequired === "1";
    });
});

// A candidate that copies a past ad is marked best only after the marketer confirms it.
document.addEventListener("submit", (event) => {
  const button = event.submitter || event.target.querySelector("button[type=submit]");
  if (!button || !button.dataset.confirm) return;
  if (!window.confirm(button.dataset.confirm)) event.preventDefault();
}, true);
