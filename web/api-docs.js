// The API's document, shown by Swagger UI. No online validator: the server may have no internet.
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#api",
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false,
});
