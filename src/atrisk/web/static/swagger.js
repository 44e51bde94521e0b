// The API's interactive documentation, from the OpenAPI description this server publishes.
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
                             layout: "BaseLayout", deepLinking: true,
                             presets: [SwaggerUIBundle.presets.apis,
                                       SwaggerUIBundle.SwaggerUIStandalonePreset]});
