// The ranked table: filter by name or ISO3 and by region, as the reader types.
const rows = document.querySelectorAll("#ranking tbody tr");
const search = document.getElementById("search");
const region = document.getElementById("region");
function filter() {
  const q = search.value.trim().toLowerCase();
  rows.forEach((tr) => {
    tr.hidden = (q !== "" && !tr.dataset.search.includes(q))
      || (region.value !== "" && tr.dataset.region !== region.value);
  });
}
search.addEventListener("input", filter);
region.addEventListener("change", filter);
