// The ranked table: filter by name or ISO3 and by region as the reader types, and sort by
// risk, by how sure a top-10 or top-30 place is, or by the rise since the previous run.
const body = document.querySelector("#ranking tbody");
const rows = Array.from(body.querySelectorAll("tr"));
const search = document.getElementById("search");
const region = document.getElementById("region");
const sort = document.getElementById("sort");
function filter() {
  const q = search.value.trim().toLowerCase();
  rows.forEach((tr) => {
    tr.hidden = (q !== "" && !tr.dataset.search.includes(q))
      || (region.value !== "" && tr.dataset.region !== region.value);
  });
}
function order() {
  const key = sort.value;
  const value = (tr) => Number(tr.dataset[key]);
  // Rank ascending; every other key descending, ties kept in rank order.
  const sorted = rows.slice().sort((a, b) => key === "rank" ? value(a) - value(b)
    : value(b) - value(a) || Number(a.dataset.rank) - Number(b.dataset.rank));
  sorted.forEach((tr) => body.appendChild(tr));
}
search.addEventListener("input", filter);
region.addEventListener("change", filter);
sort.addEventListener("change", order);
