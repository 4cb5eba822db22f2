// Search-as-you-type for the tag box: fills its <datalist> from the suggest API.
// Without JavaScript the form still works: /tags?q= lists the matching tags.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[data-suggest]");
  const list = input && document.getElementById(input.getAttribute("list"));
  if (!input || !list) return;
  let timer = 0;
  let asked = "";
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (q.length < 1 || q === asked) return;
      asked = q;
      const url = `${input.dataset.suggest}?${new URLSearchParams({ q, limit: "8" })}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || input.value.trim() !== q) return;
      const tags = await response.json();
      list.replaceChildren(
        ...tags.map((tag) => {
          const option = document.createElement("option");
          option.value = `#${tag.label}`;
          option.label = `${tag.kind} · ${tag.article_count}` +
            (tag.matched !== tag.label ? ` · ${tag.matched}` : "");
          return option;
        }),
      );
    }, 120);
  });
});
