//! Every route of the server with who may see what it answers. The router is built from this one
//! table, so a route cannot exist without saying who it is for, and the leak test walks the table
//! (`route_table`) to ask every route as every kind of caller.

use super::{
    AppState, FEATURE_BODY_LIMIT, IMPORT_BODY_LIMIT, analysis, areas, auth, export, groups, imports,
    indicators, karte_page, network, ogc, overlays, population, sheets, sites, tiles,
};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post, put};

/// Who may see what a route answers (and, for writes, who may call it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone, signed in or not: public data, and support maps only as suppressed aggregates.
    Everyone,
    /// Everyone, answered by who asks: the public 地区カルテ, and for staff of the area the
    /// 地域情報シート (staff-only figures and notes). Never kept by a shared cache.
    EveryoneByRole,
    /// The signed-in account itself (its own tokens, its own groups).
    Myself,
    /// Staff and coordinators (within their areas): site edits.
    SiteEditors,
    /// Staff not limited to some wards: imports.
    Importers,
    /// Admins: accounts and their audit.
    Admins,
    /// Staff and admins whose areas include the area: the 地域情報シート's notes and issues.
    AreaStaff,
    /// Residents and coordinators: starting a group.
    GroupFounders,
    /// A group's members.
    GroupMembers,
    /// A group's editors and owners.
    GroupEditors,
    /// A group's owners.
    GroupOwners,
}

/// One route: method, path (axum syntax) and audience.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteInfo {
    #[serde(serialize_with = "method_name")]
    pub method: Method,
    pub path: String,
    pub audience: Audience,
}

fn method_name<S: serde::Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

/// Every route.
fn table() -> Vec<(RouteInfo, MethodRouter<AppState>)> {
    use Audience::*;
    let r = |method: Method, path: &str, audience: Audience, handler: MethodRouter<AppState>| {
        (RouteInfo { method, path: path.to_owned(), audience }, handler)
    };
    let page =
        super::web::routes().into_iter().map(|(path, handler)| r(Method::GET, &path, Everyone, handler));
    let import_limit = DefaultBodyLimit::max(IMPORT_BODY_LIMIT);
    vec![
        r(Method::GET, "/health", Everyone, get(super::health)),
        r(Method::GET, "/karte/{id}", EveryoneByRole, get(karte_page::page)),
        r(Method::GET, "/tiles/{file}", Everyone, get(tiles::tilejson)),
        r(Method::GET, "/styles/{file}", Everyone, get(super::styles::style)),
        r(Method::GET, "/tiles/{set}/{z}/{x}/{file}", Everyone, get(tiles::tile)),
        r(Method::GET, "/api/meta", Everyone, get(super::meta)),
        r(Method::GET, "/api/openapi.json", Everyone, get(super::openapi::document)),
        r(Method::GET, "/ogc", Everyone, get(ogc::landing)),
        r(Method::GET, "/ogc/api", Everyone, get(super::openapi::document_30)),
        r(Method::GET, "/ogc/conformance", Everyone, get(ogc::conformance)),
        r(Method::GET, "/ogc/collections", Everyone, get(ogc::collections)),
        r(Method::GET, "/ogc/collections/{collection}", Everyone, get(ogc::one_collection)),
        r(Method::GET, "/ogc/collections/{collection}/items", Everyone, get(ogc::items)),
        r(Method::GET, "/ogc/collections/{collection}/items/{fid}", Everyone, get(ogc::item)),
        r(Method::GET, "/api/areas", Everyone, get(areas::list)),
        r(Method::GET, "/api/areas/{id}", Everyone, get(areas::one)),
        r(Method::GET, "/api/sites", Everyone, get(sites::list)),
        r(Method::POST, "/api/sites", SiteEditors, post(sites::create)),
        r(Method::GET, "/api/sites/{id}", Everyone, get(sites::one)),
        r(Method::PUT, "/api/sites/{id}", SiteEditors, put(sites::replace)),
        r(Method::DELETE, "/api/sites/{id}", SiteEditors, delete(sites::remove)),
        r(Method::GET, "/api/population", Everyone, get(population::list)),
        r(Method::GET, "/api/population/cells", Everyone, get(population::cells)),
        r(Method::GET, "/api/network", Everyone, get(network::summary)),
        r(Method::GET, "/api/sites/{id}/catchment", Everyone, get(network::site)),
        r(Method::GET, "/api/catchments", Everyone, get(network::of_kind)),
        r(Method::GET, "/api/reach", Everyone, get(network::reach)),
        r(Method::GET, "/api/coverage", Everyone, get(analysis::coverage_table)),
        r(Method::GET, "/api/gaps", Everyone, get(analysis::gaps)),
        r(Method::GET, "/api/karte", Everyone, get(analysis::karte_table)),
        r(Method::GET, "/api/karte/{id}", EveryoneByRole, get(analysis::karte)),
        r(Method::GET, "/api/indicators", EveryoneByRole, get(indicators::table)),
        r(Method::GET, "/api/karte/{id}/sheet", AreaStaff, get(sheets::sheet)),
        r(Method::POST, "/api/karte/{id}/notes", AreaStaff, post(sheets::add_note)),
        r(Method::DELETE, "/api/karte/{id}/notes/{note}", AreaStaff, delete(sheets::delete_note)),
        r(Method::POST, "/api/karte/{id}/issues", AreaStaff, post(sheets::add_issue)),
        r(Method::PUT, "/api/karte/{id}/issues/{issue}", AreaStaff, put(sheets::replace_issue)),
        r(Method::DELETE, "/api/karte/{id}/issues/{issue}", AreaStaff, delete(sheets::delete_issue)),
        r(Method::GET, "/api/suggest", Everyone, get(analysis::suggest)),
        r(Method::POST, "/api/suggest", Everyone, post(analysis::suggest)),
        r(Method::GET, "/api/export/analysis.gpkg", Everyone, get(analysis::geopackage)),
        r(Method::GET, "/api/export/{file}", Everyone, get(export::download)),
        r(Method::POST, "/api/import/{layer}", Importers, post(imports::upload).layer(import_limit)),
        r(Method::GET, "/api/support-overlays", Everyone, get(overlays::overlays)),
        r(Method::POST, "/api/login", Everyone, post(auth::login)),
        r(Method::POST, "/api/logout", Myself, post(auth::logout)),
        r(Method::GET, "/api/me", Myself, get(auth::me)),
        r(Method::GET, "/api/me/tokens", Myself, get(auth::tokens)),
        r(Method::POST, "/api/me/tokens", Myself, post(auth::create_token)),
        r(Method::DELETE, "/api/me/tokens/{id}", Myself, delete(auth::revoke_token)),
        r(Method::GET, "/api/admin/users", Admins, get(auth::users)),
        r(Method::GET, "/api/admin/audit", Admins, get(auth::account_audit)),
        r(Method::GET, "/api/groups", Myself, get(groups::mine)),
        r(Method::POST, "/api/groups", GroupFounders, post(groups::create)),
        r(Method::GET, "/api/groups/{id}/members", GroupMembers, get(groups::members)),
        r(Method::POST, "/api/groups/{id}/members", GroupOwners, post(groups::add_member)),
        r(Method::DELETE, "/api/groups/{id}/members", GroupOwners, delete(groups::remove_member)),
        r(Method::GET, "/api/groups/{id}/features", GroupMembers, get(groups::features)),
        r(Method::POST, "/api/groups/{id}/features", GroupEditors, post(groups::add_feature)),
        r(Method::GET, "/api/groups/{id}/features/{fid}", GroupMembers, get(groups::feature)),
        r(Method::PUT, "/api/groups/{id}/features/{fid}", GroupEditors, put(groups::replace_feature)),
        r(Method::DELETE, "/api/groups/{id}/features/{fid}", GroupEditors, delete(groups::delete_feature)),
        r(Method::POST, "/api/groups/{id}/features/{fid}/publish", GroupOwners, post(groups::publish)),
        r(Method::GET, "/api/groups/{id}/editions", GroupMembers, get(groups::editions)),
        r(Method::POST, "/api/groups/{id}/editions", GroupOwners, post(groups::new_edition)),
        r(Method::GET, "/api/groups/{id}/audit", GroupOwners, get(groups::audit)),
    ]
    .into_iter()
    .chain(page)
    .collect()
}

/// Every route with its audience.
pub fn route_table() -> Vec<RouteInfo> {
    table().into_iter().map(|(info, _)| info).collect()
}

/// The router of [`table`], bodies limited to one feature unless a route says otherwise. Answers
/// that are not public reads (a group's map, an account, a sign-in, a page that depends on who asks)
/// tell every cache not to keep them, nor to answer one caller with another's.
pub(super) fn router() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |router, (info, handler)| {
            let public_read = info.audience == Audience::Everyone && info.method == Method::GET;
            let handler =
                if public_read { handler } else { handler.layer(middleware::map_response(no_store)) };
            router.route(&info.path, handler)
        })
        .layer(DefaultBodyLimit::max(FEATURE_BODY_LIMIT))
}

async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("authorization, cookie"));
    response
}
