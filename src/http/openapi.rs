//! The API's contract: an OpenAPI 3.1 document generated from the handlers' own annotations and
//! query types, served at `/api/openapi.json`; the page `/api/docs` shows it to people (Swagger UI
//! from the pinned npm package, built into the binary like MapLibre).
//!
//! Who may call each operation comes from the route table, not from the annotations: the document
//! adds the sign-in requirement and the 401/403 answers to every operation whose audience is not
//! everyone, so the contract cannot say a route is open when the server guards it. Every
//! operation's `default` answer is a problem document (`application/problem+json`).
//!
//! Who may see it: everyone (it describes routes, never data).

pub mod schema;

use super::routes::{Audience, route_table};
use super::{analysis, areas, auth, export, groups, imports, indicators, network, ogc, overlays};
use super::{population, sheets, sites, styles, tiles};
use crate::model::{AreaLevel, SiteKind};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::LazyLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, Response as OaResponse, ResponseBuilder, Schema,
};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sasaeai",
        description = "地域包括ケアの地図と分析: areas, sites, population, walking catchments, coverage, gaps, \
                       地区カルテ, support maps (支え合いマップ) and vector tiles. Coordinates are WGS 84 \
                       longitude/latitude (EPSG:4326) unless an operation says otherwise.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        super::health, super::meta,
        areas::list, areas::one,
        sites::list, sites::create, sites::one, sites::replace, sites::remove,
        population::list, population::cells,
        network::summary, network::site, network::of_kind, network::reach,
        analysis::coverage_table, analysis::gaps, analysis::karte_table, analysis::karte,
        analysis::suggest,
        indicators::table,
        sheets::sheet, sheets::add_note, sheets::delete_note, sheets::add_issue, sheets::replace_issue,
        sheets::delete_issue,
        export::download, analysis::geopackage, imports::upload, overlays::overlays,
        auth::login, auth::logout, auth::me, auth::tokens, auth::create_token, auth::revoke_token,
        auth::users, auth::account_audit,
        groups::mine, groups::create, groups::members, groups::add_member, groups::remove_member,
        groups::features, groups::add_feature, groups::feature, groups::replace_feature,
        groups::delete_feature, groups::publish, groups::editions, groups::new_edition, groups::audit,
        tiles::tilejson, tiles::tile, styles::style,
        ogc::landing, ogc::conformance, ogc::collections, ogc::one_collection, ogc::items, ogc::item,
        document, document_30,
    ),
    components(schemas(schema::Problem, schema::RecordProblem, SiteKind, AreaLevel)),
    modifiers(&Guards),
    tags(
        (name = "data", description = "Areas, sites and population: the public layers"),
        (name = "analysis", description = "Walking catchments, coverage, gaps, suggestions, 地区カルテ"),
        (name = "staff", description = "地域情報シート and imports: staff of the area"),
        (name = "accounts", description = "Sign-in, tokens, accounts"),
        (name = "support maps", description = "支え合いマップ: a group's own map, for its members only"),
        (name = "maps", description = "Vector tiles, TileJSON and MapLibre styles"),
        (name = "ogc", description = "OGC API – Features for QGIS and GDAL"),
        (name = "meta", description = "The server, its data set and this document"),
    )
)]
struct ApiDoc;

/// The document, built once.
static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| ApiDoc::openapi().to_json().expect("the OpenAPI document serialises"));

/// The same document in OpenAPI 3.0, which OGC API – Features names as its API definition.
static DOCUMENT_30: LazyLock<String> = LazyLock::new(|| {
    let document = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
    to_openapi_30(document).to_string()
});

/// The OpenAPI document of every API route.
pub fn openapi() -> Document {
    ApiDoc::openapi()
}

/// Adds to every operation what the route table says about who may call it, and the problem
/// document every error is.
struct Guards;

impl Modify for Guards {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::auth::SESSION_COOKIE))),
        );
        for route in route_table() {
            let Some(item) = doc.paths.paths.get_mut(&route.path) else { continue };
            let operation = match route.method.as_str() {
                "GET" => item.get.as_mut(),
                "POST" => item.post.as_mut(),
                "PUT" => item.put.as_mut(),
                "DELETE" => item.delete.as_mut(),
                _ => None,
            };
            if let Some(operation) = operation {
                operation.operation_id = Some(operation_id(route.method.as_str(), &route.path));
                guard(operation, route.audience);
            }
        }
    }
}

/// A name for the operation, unique as OpenAPI requires (handlers of different routes share names
/// such as `list`): its method and path, `get_api_sites_id_catchment`.
fn operation_id(method: &str, path: &str) -> String {
    let words = path.split(['/', '.', '-']).map(|w| w.trim_matches(['{', '}'])).filter(|w| !w.is_empty());
    std::iter::once(method.to_ascii_lowercase()).chain(words.map(str::to_owned)).collect::<Vec<_>>().join("_")
}

/// The sign-in requirement and answers of `audience`, and the default problem answer.
fn guard(operation: &mut Operation, audience: Audience) {
    let answers = &mut operation.responses.responses;
    answers.insert("default".into(), RefOr::T(problem("A problem: what was wrong and where")));
    let signed_in = !matches!(audience, Audience::Everyone | Audience::EveryoneByRole);
    if signed_in {
        use utoipa::openapi::security::SecurityRequirement;
        operation.security = Some(vec![
            SecurityRequirement::new("token", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
        answers.insert("401".into(), RefOr::T(problem("Not signed in")));
        answers.insert("403".into(), RefOr::T(problem(forbidden(audience))));
    }
    let who = format!("\n\nWho may call it: {}.", audience_text(audience));
    operation.description = Some(operation.description.take().unwrap_or_default() + &who);
}

fn problem(description: &str) -> OaResponse {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
        )
        .build()
}

fn forbidden(audience: Audience) -> &'static str {
    match audience {
        Audience::Admins => "Not an admin",
        Audience::Importers => "Not staff for the whole city",
        _ => "Signed in, but not allowed this",
    }
}

fn audience_text(audience: Audience) -> &'static str {
    match audience {
        Audience::Everyone => "everyone, signed in or not",
        Audience::EveryoneByRole => "everyone; staff of the area also see its staff-only parts",
        Audience::Myself => "the signed-in account, for itself",
        Audience::SiteEditors => "staff, and coordinators within their areas",
        Audience::Importers => "staff not limited to some wards",
        Audience::Admins => "admins",
        Audience::AreaStaff => "staff and admins whose areas include the area",
        Audience::GroupFounders => "residents and coordinators",
        Audience::GroupMembers => "the group's members",
        Audience::GroupEditors => "the group's editors and owners",
        Audience::GroupOwners => "the group's owners",
    }
}

/// A site kind, as the API names it (`/api/meta` gives each its label).
impl PartialSchema for SiteKind {
    fn schema() -> RefOr<Schema> {
        names(SiteKind::ALL.iter().map(|k| k.as_str()))
    }
}

impl ToSchema for SiteKind {}

/// An area level, as the API names it.
impl PartialSchema for AreaLevel {
    fn schema() -> RefOr<Schema> {
        names(AreaLevel::ALL.iter().map(|l| l.as_str()))
    }
}

impl ToSchema for AreaLevel {}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> RefOr<Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).into()
}

/// `GET /ogc/api`: this document in OpenAPI 3.0, the OGC API's `service-desc`.
#[utoipa::path(get, path = "/ogc/api", tag = "ogc",
    responses((status = 200, description = "The OpenAPI 3.0 document", content_type = "application/vnd.oai.openapi+json;version=3.0")))]
pub async fn document_30() -> Response {
    ([(header::CONTENT_TYPE, super::ogc::OAS30)], DOCUMENT_30.as_str()).into_response()
}

/// The 3.1 `document` written in OpenAPI 3.0: a type that may be null is its type and `nullable`,
/// a reference with a description is wrapped in `allOf`, and `propertyNames` (3.1's only) is
/// dropped — the constructs the generator writes that 3.0 lacks.
fn to_openapi_30(mut document: Value) -> Value {
    document["openapi"] = json!("3.0.3");
    if let Some(components) = document.get_mut("components") {
        schemas_to_30(components);
    }
    if let Some(paths) = document.get_mut("paths") {
        schemas_to_30(paths);
    }
    document
}

/// Rewrites every schema within `value` (see [`to_openapi_30`]).
fn schemas_to_30(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.remove("propertyNames");
            nullable_type(object);
            nullable_one_of(object);
            if object.contains_key("$ref") && object.len() > 1 {
                let reference = object.remove("$ref").expect("checked");
                object.insert("allOf".into(), json!([{ "$ref": reference }]));
            }
            object.values_mut().for_each(schemas_to_30);
        }
        Value::Array(items) => items.iter_mut().for_each(schemas_to_30),
        _ => {}
    }
}

/// `"type": ["string", "null"]` → `"type": "string", "nullable": true`.
fn nullable_type(object: &mut serde_json::Map<String, Value>) {
    let Some(Value::Array(types)) = object.get("type") else { return };
    let others: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    let nullable = others.len() < types.len();
    match <[Value; 1]>::try_from(others) {
        Ok([one]) => object.insert("type".into(), one),
        Err(_) => object.remove("type"),
    };
    if nullable {
        object.insert("nullable".into(), json!(true));
    }
}

/// `"oneOf": [{"type": "null"}, S]` → `"allOf": [S], "nullable": true`.
fn nullable_one_of(object: &mut serde_json::Map<String, Value>) {
    let Some(Value::Array(choices)) = object.get("oneOf") else { return };
    let null = json!({ "type": "null" });
    if let [a, b] = &choices[..]
        && (*a == null || *b == null)
    {
        let other = if *a == null { b.clone() } else { a.clone() };
        object.remove("oneOf");
        object.insert("allOf".into(), json!([other]));
        object.insert("nullable".into(), json!(true));
    }
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.as_str()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// What a person's browser opens, not an API: the pages, their files, the printable karte.
    fn is_page(path: &str) -> bool {
        super::super::web::routes().iter().any(|(page, _)| page == path) || path == "/karte/{id}"
    }

    #[test]
    fn the_document_names_every_api_route_of_the_table_and_no_other() {
        let doc = openapi();
        let mut documented = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in
                [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("DELETE", &item.delete)]
            {
                if op.is_some() {
                    documented.insert((method.to_owned(), path.clone()));
                }
            }
        }
        let routed: BTreeSet<_> = route_table()
            .into_iter()
            .filter(|r| !is_page(&r.path))
            .map(|r| (r.method.as_str().to_owned(), r.path))
            .collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn the_3_0_document_has_no_construct_of_3_1_left() {
        let document = to_openapi_30(serde_json::to_value(openapi()).unwrap());
        assert_eq!(document["openapi"], "3.0.3");
        let text = document.to_string();
        for construct in [r#""type":["#, r#"{"type":"null"}"#, "propertyNames"] {
            assert!(!text.contains(construct), "{construct} is left");
        }
        let row = &document["components"]["schemas"]["CoverageRow"]["properties"];
        assert_eq!(row["covered65"]["type"], "integer");
        assert_eq!(row["covered65"]["nullable"], true);
        let city = &document["components"]["schemas"]["CoverageTable"]["properties"]["city"];
        assert_eq!(city["allOf"][0]["$ref"], "#/components/schemas/CoverageRow");
    }

    #[test]
    fn guarded_routes_say_who_may_call_them_and_open_ones_ask_no_sign_in() {
        let doc = openapi();
        for route in route_table().into_iter().filter(|r| !is_page(&r.path)) {
            let item = &doc.paths.paths[&route.path];
            let op = match route.method.as_str() {
                "GET" => &item.get,
                "POST" => &item.post,
                "PUT" => &item.put,
                _ => &item.delete,
            }
            .as_ref()
            .unwrap();
            let open = matches!(route.audience, Audience::Everyone | Audience::EveryoneByRole);
            assert_eq!(op.security.is_none(), open, "{} {}", route.method, route.path);
            assert_eq!(op.responses.responses.contains_key("401"), !open, "{} {}", route.method, route.path);
            assert!(op.responses.responses.contains_key("default"));
            let said = op.description.as_deref().unwrap_or_default();
            assert!(said.contains(audience_text(route.audience)), "{} {}: {said}", route.method, route.path);
        }
    }
}
