// Every chart is an element with its Vega-Lite spec in data-vega (escaped JSON).
document.querySelectorAll("[data-vega]").forEach((el) => {
  vegaEmbed(el, JSON.parse(el.dataset.vega),
            {actions: false, renderer: "svg", loader: {target: "_self"}});
});
