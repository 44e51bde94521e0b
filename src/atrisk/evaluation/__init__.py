"""Back-tests (forecasts with their cut-offs) and pure scoring functions over them."""
