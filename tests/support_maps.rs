//! 支え合いマップ: accounts, groups and their private maps, overlays — and the leak matrix that asks
//! every route of the router as every kind of caller whether a private marker comes out.

mod common;

use common::{Reply, TOKEN, request};
use sasaeai::app::{AccountSettings, AppOptions, Principal};
use sasaeai::http::{AppState, Audience, ServerOptions, route_table};
use sasaeai::private::Role;
use sasaeai_tiles::TileId;
use serde_json::{Value, json};

/// Written into group A's private features; must never come out except to group A's members.
const MARKER: &str = "MARK9q7zK";

/// A staff-only figure (高齢者虐待事例件数) of area 1: must never come out except to staff and admins.
/// A number no served file holds by chance (Swagger UI's bundle holds 7654321).
const STAFF_FIGURE: &str = "9182736";

/// A staff note on area 1's 地域情報シート: the same audience as the staff-only figure.
const STAFF_NOTE: &str = "STAFFNOTE5x";

/// The person's note, which erasing must remove from the file itself.
const ERASED: &str = "ERASEME42";

const PASSWORD: &str = "a long enough password";

struct Town {
    _dir: tempfile::TempDir,
    s: AppState,
    tokens: std::collections::HashMap<&'static str, String>,
}

impl Town {
    fn new(accounts: AccountSettings) -> Town {
        let (dir, store) = common::demo_store();
        let app = AppOptions { accounts, ..AppOptions::default() };
        let options = ServerOptions { staff_token: Some(TOKEN.into()), app, ..ServerOptions::default() };
        let s = AppState::with_options(store, options).unwrap();
        let op = Principal::operator();
        let mut tokens = std::collections::HashMap::new();
        for (name, role) in [
            ("alice", Role::Resident),
            ("bob", Role::Resident),
            ("carol", Role::Coordinator),
            ("sam", Role::Staff),
            ("ada", Role::Admin),
        ] {
            s.app.add_user(&op, name, role, &[], PASSWORD).unwrap();
            tokens.insert(name, s.app.create_token(&op, Some(name), "test").unwrap().1);
        }
        Town { _dir: dir, s, tokens }
    }

    async fn call(&self, who: Option<&str>, method: &str, uri: &str, body: Value) -> Reply {
        let bearer = who.map(|w| format!("Bearer {}", self.tokens[w]));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(b) = &bearer {
            headers.push(("authorization", b));
        }
        let body = if body.is_null() { String::new() } else { body.to_string() };
        request(&self.s, method, uri, &headers, body).await
    }

    /// A point inside the first 町丁 of the demo town.
    fn chome(&self) -> (i64, f64, f64) {
        use geo::InteriorPoint;
        let index = self.s.app.store.read();
        let area = index.areas_in(Some(sasaeai::model::AreaLevel::Chome), None)[0].clone();
        let p = area.geometry.interior_point().unwrap();
        (area.id.0, p.x(), p.y())
    }
}

fn point(kind: &str, lon: f64, lat: f64, props: Value) -> Value {
    let mut properties = props;
    properties["type"] = json!(kind);
    json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] }, "properties": properties })
}

/// Group A (alice) with a person, a helper, a link, a place and a trouble, all carrying the marker;
/// group B (bob) empty. Returns (group A, group B, the person's id).
async fn two_groups(t: &Town) -> (i64, i64, i64) {
    let (area, lon, lat) = t.chome();
    let a = t.call(Some("alice"), "POST", "/api/groups", json!({ "name": "A町会", "area_id": area })).await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let a = a.json()["id"].as_i64().unwrap();
    let b =
        t.call(Some("bob"), "POST", "/api/groups", json!({ "name": "B町会", "area_id": area })).await.json()
            ["id"]
            .as_i64()
            .unwrap();
    let add = |f: Value| async move {
        let r = t.call(Some("alice"), "POST", &format!("/api/groups/{a}/features"), f).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()["id"].as_i64().unwrap()
    };
    let person =
        add(point("person", lon, lat, json!({ "label": MARKER, "tags": ["ひとり暮らし"], "note": ERASED })))
            .await;
    let helper =
        add(point("helper", lon + 0.0005, lat, json!({ "label": MARKER, "tags": ["民生委員"] }))).await;
    add(json!({ "type": "Feature", "geometry": null, "properties": { "type": "link", "from": helper, "to": person, "kind": "見守り", "note": MARKER } })).await;
    add(point("place", lon, lat + 0.0005, json!({ "label": MARKER, "tags": ["ベンチ"] }))).await;
    add(point("note", lon, lat - 0.0005, json!({ "category": "坂・階段", "note": MARKER }))).await;
    (a, b, person)
}

/// The URIs a route of the table is asked at, each with its tile zoom: at zooms 12 and 15 around
/// `at`, and for the OGC routes, of every collection in `collections`.
fn uris(path: &str, collections: &[String], group: i64, feature: i64, at: (f64, f64)) -> Vec<(u8, String)> {
    let none = [String::new()];
    let collections = if path.contains("{collection}") { collections } else { &none[..] };
    let mut all = Vec::new();
    for z in [12, 15] {
        for c in collections {
            let tile = TileId::containing(at.0, at.1, z);
            all.push((z, concrete(&path.replace("{collection}", c), group, feature, tile)));
        }
    }
    all
}

/// A concrete URI for a route of the table.
fn concrete(path: &str, group: i64, feature: i64, tile: TileId) -> String {
    path.replace("/tiles/{set}/{z}/{x}/{file}", &format!("/tiles/all/{tile}.mvt"))
        .replace("/tiles/{file}", "/tiles/all.json")
        .replace("/styles/{file}", "/styles/sasaeai.json")
        .replace("/api/export/{file}", "/api/export/sites.geojson")
        .replace("/api/import/{layer}", "/api/import/sites")
        .replace("/api/groups/{id}", &format!("/api/groups/{group}"))
        .replace("{fid}", &feature.to_string())
        .replace("{note}", "1")
        .replace("{issue}", "1")
        .replace("/api/me/tokens/{id}", "/api/me/tokens/999999")
        .replace("{id}", "1")
}

/// A reply's body, unzipped when it came gzipped.
fn plain_body(reply: &Reply) -> Vec<u8> {
    if reply.headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        use std::io::Read;
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&reply.body[..]).read_to_end(&mut plain).unwrap();
        return plain;
    }
    reply.body.clone()
}

fn contains(reply: &Reply, marker: &str) -> bool {
    let headers = format!("{:?}", reply.headers);
    let body = plain_body(reply);
    headers.contains(marker) || body.windows(marker.len()).any(|w| w == marker.as_bytes())
}

fn leaks(reply: &Reply) -> bool {
    contains(reply, MARKER)
}

/// Stores the staff-only [`STAFF_FIGURE`] for area 1, as the console would import it, and the
/// [`STAFF_NOTE`] on its sheet.
fn import_staff_figure(t: &Town) {
    let code = t.s.app.store.read().area(sasaeai::model::AreaId(1)).unwrap().code.clone().unwrap();
    let table = format!("コード,高齢者虐待事例件数\n{code},{STAFF_FIGURE}\n");
    let mut job = sasaeai::app::ImportJob::new(sasaeai::app::ImportLayer::Indicators, table.into_bytes());
    job.year = Some(2024);
    t.s.app.import(&Principal::operator(), job).unwrap();
    let note = sasaeai::private::NoteInput {
        field: "elderly".into(),
        kind: "observation".into(),
        text: STAFF_NOTE.into(),
    };
    t.s.app.add_note(&Principal::operator(), sasaeai::model::AreaId(1), note).unwrap();
}

#[tokio::test]
async fn leak_matrix_every_route_as_every_caller() {
    let t = Town::new(AccountSettings::default());
    let (a, _b, person) = two_groups(&t).await;
    import_staff_figure(&t);
    let (_, lon, lat) = t.chome();
    let callers = [None, Some("alice"), Some("bob"), Some("carol"), Some("sam"), Some("ada")];
    let routes = route_table();
    // Every OGC collection the server lists, the analyses' among them.
    let listed = t.call(None, "GET", "/ogc/collections", Value::Null).await.json();
    let collections: Vec<String> = listed["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(collections.iter().any(|c| c == "gaps"), "{collections:?}");
    let (mut asked, mut leaked, mut member_saw, mut staff_saw) = (0, Vec::new(), 0, 0);
    // Writes go last and never as alice, so her map stays whole while it is being read.
    let mut order: Vec<_> = routes.iter().collect();
    order.sort_by_key(|r| r.method != axum::http::Method::GET);
    for route in order {
        for (z, uri) in uris(&route.path, &collections, a, person, (lon, lat)) {
            // An import is also asked as a preview (at z 12), which answers with the file's rows.
            let uri = if route.path == "/api/import/{layer}" && z == 12 {
                format!("{uri}?dry_run=true")
            } else {
                uri
            };
            for who in callers {
                let is_member = who == Some("alice");
                if is_member && route.method != axum::http::Method::GET {
                    continue;
                }
                let body = match route.method.as_str() {
                    "GET" | "DELETE" => Value::Null,
                    _ => point("person", lon, lat, json!({ "label": "x", "name": "x", "kind": "cafe" })),
                };
                let reply = t.call(who, route.method.as_str(), &uri, body).await;
                asked += 1;
                assert!(reply.status.as_u16() < 500, "{} {uri} as {who:?}: {}", route.method, reply.status);
                let private_route = matches!(
                    route.audience,
                    Audience::GroupMembers | Audience::GroupEditors | Audience::GroupOwners
                );
                let by_role = route.audience == Audience::EveryoneByRole;
                if (private_route || by_role) && reply.status == 200 {
                    let cache = reply.headers.get("cache-control").map(|v| v.to_str().unwrap());
                    assert_eq!(cache, Some("private, no-store"), "{} {uri} may be cached", route.method);
                }
                if contains(&reply, STAFF_FIGURE) || contains(&reply, STAFF_NOTE) {
                    if matches!(who, Some("sam" | "ada")) {
                        staff_saw += 1;
                    } else {
                        leaked.push(format!("{} {uri} as {who:?}: the staff-only figure", route.method));
                    }
                }
                if leaks(&reply) {
                    if is_member && private_route {
                        member_saw += 1;
                    } else {
                        leaked.push(format!("{} {uri} as {who:?}", route.method));
                    }
                }
            }
        }
    }
    println!(
        "leak matrix: {} routes × 6 callers × 2 zooms = {asked} requests, {} leaks",
        routes.len(),
        leaked.len()
    );
    assert!(leaked.is_empty(), "private marker leaked: {leaked:#?}");
    assert!(member_saw > 0, "the group's own member must see its map");
    assert!(staff_saw > 0, "staff must see the staff-only figure on the 地域情報シート");
}

#[tokio::test]
async fn other_groups_get_the_404_of_nothing() {
    let t = Town::new(AccountSettings::default());
    let (a, b, person) = two_groups(&t).await;
    let t = &t;
    let as_bob = |uri: String| async move {
        let r = t.call(Some("bob"), "GET", &uri, Value::Null).await;
        (r.status.as_u16(), r.json()["detail"].as_str().unwrap_or_default().to_owned())
    };
    let foreign = as_bob(format!("/api/groups/{b}/features/{person}")).await;
    let missing = as_bob(format!("/api/groups/{b}/features/987654")).await;
    assert_eq!(foreign.0, 404);
    assert_eq!(
        (foreign.0, foreign.1.replace(&person.to_string(), "N")),
        (missing.0, missing.1.replace("987654", "N"))
    );
    let group = as_bob(format!("/api/groups/{a}/features")).await;
    let no_group = as_bob("/api/groups/987654/features".into()).await;
    assert_eq!(
        (group.0, group.1.replace(&a.to_string(), "N")),
        (no_group.0, no_group.1.replace("987654", "N"))
    );
    // Staff and admins are not members and cannot be made members.
    for who in ["sam", "ada", "carol"] {
        assert_eq!(
            t.call(Some(who), "GET", &format!("/api/groups/{a}/features"), Value::Null).await.status,
            404
        );
    }
    let r = t
        .call(
            Some("alice"),
            "POST",
            &format!("/api/groups/{a}/members"),
            json!({ "name": "sam", "role": "viewer" }),
        )
        .await;
    r.assert_problem(403, "only residents and coordinators");
    // A removed member loses access at once.
    t.call(Some("alice"), "POST", &format!("/api/groups/{a}/members"), json!({ "name": "bob" })).await;
    assert_eq!(
        t.call(Some("bob"), "GET", &format!("/api/groups/{a}/features"), Value::Null).await.status,
        200
    );
    t.call(Some("alice"), "DELETE", &format!("/api/groups/{a}/members?name=bob"), Value::Null).await;
    assert_eq!(
        t.call(Some("bob"), "GET", &format!("/api/groups/{a}/features"), Value::Null).await.status,
        404
    );
}

#[tokio::test]
async fn audit_has_one_row_per_read_and_write_and_never_the_content() {
    let t = Town::new(AccountSettings::default());
    let (a, _, person) = two_groups(&t).await;
    let log = |t: &Town| t.s.app.private.group_audit(a).unwrap();
    let before = log(&t).len();
    t.call(Some("alice"), "GET", &format!("/api/groups/{a}/features"), Value::Null).await;
    let rows = log(&t);
    assert_eq!(rows.len(), before + 1);
    assert_eq!(rows.last().unwrap().action, "feature.read");
    assert_eq!(rows.last().unwrap().actor, "alice");
    assert!(rows.last().unwrap().ids.contains(&person));
    // Erasing from every edition: the rows go, the log says only that it happened.
    t.call(Some("alice"), "POST", &format!("/api/groups/{a}/editions"), json!({ "edition": 2099 })).await;
    let r = t
        .call(
            Some("alice"),
            "DELETE",
            &format!("/api/groups/{a}/features/{person}?editions=all"),
            Value::Null,
        )
        .await;
    let erased = r.json()["erased"].as_array().unwrap().len();
    assert_eq!(erased, 4, "the person and its link, in both editions");
    let audit = t.call(Some("alice"), "GET", &format!("/api/groups/{a}/audit"), Value::Null).await;
    assert!(!leaks(&audit), "the audit log holds no content");
    let actions: Vec<String> = log(&t).iter().map(|r| r.action.clone()).collect();
    assert_eq!(
        actions[actions.len() - 3..],
        ["feature.read", "edition.create", "feature.delete"].map(String::from)
    );
    // The private file no longer holds the person's words, in either edition.
    let path = sasaeai::private::PrivateStore::path_beside(t.s.app.store.path().unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
    assert!(
        !bytes.windows(ERASED.len()).any(|w| w == ERASED.as_bytes()),
        "erased words are still in the file"
    );
    let left: Vec<Value> = t
        .call(Some("alice"), "GET", &format!("/api/groups/{a}/features"), Value::Null)
        .await
        .json()["features"]
        .as_array()
        .unwrap()
        .clone();
    assert!(left.iter().all(|f| f["id"] != person));
    assert!(path.exists());
    // Editors see the edition history.
    let editions =
        t.call(Some("alice"), "GET", &format!("/api/groups/{a}/editions"), Value::Null).await.json();
    assert_eq!(editions["editions"].as_array().unwrap().len(), 2);
}

/// Signs in with a password over the cookie path.
async fn login(t: &Town, name: &str, password: &str) -> Reply {
    let body = json!({ "name": name, "password": password }).to_string();
    request(&t.s, "POST", "/api/login", &[("content-type", "application/json")], body).await
}

fn cookie_of(reply: &Reply) -> String {
    let set = reply.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn sessions_csrf_expiry_logout_throttling_and_tokens() {
    // Idle sessions end after 5 s: long enough for the first steps on a busy CI core (1.5 s once
    // expired before the second request), short enough to wait out.
    let t = Town::new(AccountSettings { session_idle_minutes: 5.0 / 60.0, ..AccountSettings::default() });
    let ok = login(&t, "alice", PASSWORD).await;
    assert_eq!(ok.status, 200);
    let cookie = cookie_of(&ok);
    let csrf = ok.json()["csrf"].as_str().unwrap().to_owned();
    let (area, _, _) = t.chome();
    let group = json!({ "name": "C", "area_id": area }).to_string();
    let json_ct = ("content-type", "application/json");
    // A cookie write without the CSRF token is refused; with it, it works.
    let r = request(&t.s, "POST", "/api/groups", &[json_ct, ("cookie", &cookie)], group.clone()).await;
    r.assert_problem(403, "x-csrf-token");
    let r = request(
        &t.s,
        "POST",
        "/api/groups",
        &[json_ct, ("cookie", &cookie), ("x-csrf-token", &csrf)],
        group.clone(),
    )
    .await;
    assert_eq!(r.status, 201);
    let me = request(&t.s, "GET", "/api/me", &[("cookie", &cookie)], "").await.json();
    assert_eq!((me["name"].as_str(), me["csrf"].as_str()), (Some("alice"), Some(csrf.as_str())));
    // Idle expiry.
    std::thread::sleep(std::time::Duration::from_millis(5600));
    let me = request(&t.s, "GET", "/api/me", &[("cookie", &cookie)], "").await.json();
    assert_eq!(me["signed_in"], false);
    // Logout ends the session.
    let again = login(&t, "alice", PASSWORD).await;
    let (cookie, csrf) = (cookie_of(&again), again.json()["csrf"].as_str().unwrap().to_owned());
    let out = request(&t.s, "POST", "/api/logout", &[("cookie", &cookie), ("x-csrf-token", &csrf)], "").await;
    assert_eq!(out.status, 204);
    let me = request(&t.s, "GET", "/api/me", &[("cookie", &cookie)], "").await.json();
    assert_eq!(me["signed_in"], false);
    // One message for a wrong name and a wrong password; throttled after five failures.
    let wrong_name = login(&t, "nobody", PASSWORD).await.assert_problem(401, "name or the password");
    let wrong_password =
        login(&t, "bob", "not the password").await.assert_problem(401, "name or the password");
    assert_eq!(wrong_name["detail"], wrong_password["detail"]);
    for _ in 0..4 {
        login(&t, "bob", "not the password").await;
    }
    let throttled = login(&t, "bob", PASSWORD).await;
    throttled.assert_problem(429, "too many");
    assert!(throttled.headers.contains_key("retry-after"));
    // A revoked token is refused.
    let mine = t.call(Some("carol"), "POST", "/api/me/tokens", json!({ "name": "script" })).await.json();
    let token = mine["token"].as_str().unwrap();
    let auth = format!("Bearer {token}");
    assert_eq!(
        request(&t.s, "GET", "/api/me", &[("authorization", &auth)], "").await.json()["name"],
        "carol"
    );
    let id = mine["id"].as_i64().unwrap();
    assert_eq!(
        t.call(Some("carol"), "DELETE", &format!("/api/me/tokens/{id}"), Value::Null).await.status,
        204
    );
    request(&t.s, "GET", "/api/me", &[("authorization", &auth)], "").await.assert_problem(401, "revoked");
    // Admins read account changes; nobody else does.
    assert_eq!(t.call(Some("ada"), "GET", "/api/admin/audit", Value::Null).await.status, 200);
    assert_eq!(t.call(Some("sam"), "GET", "/api/admin/audit", Value::Null).await.status, 403);
}

/// Many small groups on the demo town, deterministic.
async fn many_groups(t: &Town, groups: usize) -> Vec<(f64, f64, bool)> {
    use geo::InteriorPoint;
    let chome: Vec<_> = t.s.app.store.read().areas_in(Some(sasaeai::model::AreaLevel::Chome), None);
    let mut persons = Vec::new();
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for g in 0..groups {
        let area = &chome[next() % chome.len()];
        let center = area.geometry.interior_point().unwrap();
        let id = t
            .call(
                Some("alice"),
                "POST",
                "/api/groups",
                json!({ "name": format!("G{g}"), "area_id": area.id.0 }),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let helper = t
            .call(
                Some("alice"),
                "POST",
                &format!("/api/groups/{id}/features"),
                point("helper", center.x(), center.y(), json!({ "label": "h" })),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        for _ in 0..next() % 6 {
            let (dx, dy) = ((next() % 100) as f64 * 2e-6, (next() % 100) as f64 * 2e-6);
            let (lon, lat) = (center.x() + dx, center.y() + dy);
            let p = t
                .call(
                    Some("alice"),
                    "POST",
                    &format!("/api/groups/{id}/features"),
                    point("person", lon, lat, json!({ "label": "p", "tags": ["ひとり暮らし"] })),
                )
                .await
                .json()["id"]
                .as_i64()
                .unwrap();
            let linked = next() % 2 == 0;
            if linked {
                let link = json!({ "type": "Feature", "geometry": null, "properties": { "type": "link", "from": helper, "to": p, "kind": "声かけ" } });
                t.call(Some("alice"), "POST", &format!("/api/groups/{id}/features"), link).await;
            }
            persons.push((lon, lat, linked));
        }
    }
    persons
}

#[tokio::test]
async fn overlays_match_an_independent_recount_and_hide_small_counts() {
    use geo::Contains;
    let t = Town::new(AccountSettings::default());
    let persons = many_groups(&t, 40).await;
    let index = t.s.app.store.read();
    for level in ["chome", "district", "sphere", "ward"] {
        let table = common::get(&t.s, &format!("/api/support-overlays?level={level}")).await.json();
        let mut shown = std::collections::HashMap::new();
        for row in table["rows"].as_array().unwrap() {
            let id = row["area_id"].as_i64().unwrap();
            let area = index.area(sasaeai::model::AreaId(id)).unwrap();
            // Independent recount: point in polygon on the raw geometry.
            let inside: Vec<_> = persons
                .iter()
                .filter(|(x, y, _)| area.geometry.contains(&geo::point!(x: *x, y: *y)))
                .collect();
            let expected =
                [inside.len(), inside.iter().filter(|p| p.2).count(), inside.iter().filter(|p| !p.2).count()];
            for (metric, want) in ["persons", "persons_linked", "persons_isolated"].iter().zip(expected) {
                let v = &row["values"][metric];
                match v {
                    Value::Number(n) => {
                        assert_eq!(n.as_u64().unwrap() as usize, want, "{level} {id} {metric}")
                    }
                    Value::String(s) if s == "<3" => {
                        assert!((1..3).contains(&want), "{level} {id} {metric}: {want} shown <3")
                    }
                    Value::String(s) => assert_eq!(s, "x"),
                    other => panic!("{other}"),
                }
                assert!(!matches!(v.as_u64(), Some(1 | 2)), "{level} {id} {metric} shows {v}");
            }
            shown.insert(id, row["values"]["persons"].clone());
        }
        // Parent minus visible children never pins a hidden child.
        let parents: std::collections::HashSet<i64> =
            table["rows"].as_array().unwrap().iter().filter_map(|r| r["parent_id"].as_i64()).collect();
        for parent in parents {
            let Some(parent_area) = index.area(sasaeai::model::AreaId(parent)) else { continue };
            let children: Vec<&Value> = shown
                .iter()
                .filter(|(id, _)| {
                    index.area(sasaeai::model::AreaId(**id)).unwrap().parent == Some(parent_area.id)
                })
                .map(|(_, v)| v)
                .collect();
            let hidden_small = children.iter().filter(|v| v.as_str() == Some("<3")).count();
            let hidden_any = children.iter().filter(|v| v.is_string()).count();
            if hidden_any == 1 {
                let parent_shown =
                    common::get(&t.s, &format!("/api/support-overlays?level={}", parent_area.level.as_str()))
                        .await
                        .json()["rows"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|r| r["area_id"] == parent)
                        .unwrap()["values"]["persons"]
                        .clone();
                assert!(
                    parent_shown.is_string() || hidden_small == 0,
                    "a lone hidden child under a visible parent {parent}"
                );
            }
        }
    }
    let csv = common::get(&t.s, "/api/support-overlays?level=district&format=csv").await;
    assert!(csv.body.starts_with("\u{feff}".as_bytes()));
    drop(index);
    let etag = support_tile_and_karte_agree_with_the_table(&t).await;
    many_groups(&t, 3).await;
    assert_ne!(
        support_tile_and_karte_agree_with_the_table(&t).await,
        etag,
        "an edit refreshes the support tiles"
    );
}

/// The district choropleth's tile and each district's karte show the table's figures; returns the
/// tile's ETag.
async fn support_tile_and_karte_agree_with_the_table(t: &Town) -> String {
    use sasaeai_tiles::{BUFFER, check};
    let table = common::get(&t.s, "/api/support-overlays?level=district").await.json();
    let row = |id: &str| {
        table["rows"].as_array().unwrap().iter().find(|r| r["area_id"].as_i64() == id.parse().ok()).unwrap()
    };
    let (_, lon, lat) = t.chome();
    let tile_id = TileId::containing(lon, lat, 12);
    let tile = common::get(&t.s, &format!("/tiles/support/{tile_id}.mvt")).await;
    assert_eq!(tile.status, 200);
    let (layers, problems) = check::decode_and_check(&plain_body(&tile), BUFFER);
    assert!(problems.is_empty(), "{problems:?}");
    let districts = layers.iter().find(|l| l.name == "support_district").expect("a district layer");
    assert!(!districts.features.is_empty());
    for f in &districts.features {
        let prop = |k: &str| f.properties.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let values = &row(&prop("id").unwrap())["values"];
        for metric in ["persons", "persons_linked", "persons_isolated", "persons_beyond_walk"] {
            let want = &values[metric];
            let text = want.as_str().map(str::to_owned).unwrap_or_else(|| want.to_string());
            assert_eq!(prop(&format!("{metric}_text")), Some(format!("{text:?}")), "{metric}");
            assert_eq!(prop(metric), want.as_u64().map(|n| n.to_string()), "{metric}");
        }
        let karte = common::get(&t.s, &format!("/api/karte/{}", prop("id").unwrap())).await.json();
        assert_eq!(&karte["support_overlays"]["rows"][0]["values"], values, "the karte's figures");
    }
    tile.headers["etag"].to_str().unwrap().to_owned()
}

/// Regression: a secret in a log line is a leak. The real server, logging everything it can
/// (`RUST_LOG=trace`), is signed in to, refused, asked with a personal token, with a wrong token
/// and with a session; its log then holds none of the password, the tokens, the session or the
/// CSRF token.
#[test]
fn no_password_or_token_in_any_log_line() {
    let dir = tempfile::tempdir().unwrap();
    sasaeai::demo::write_files(dir.path()).unwrap();
    common::add_user(dir.path(), "alice", "resident", PASSWORD);
    let geodata = ["--geodata".as_ref(), dir.path().as_os_str()];
    let args: Vec<&std::ffi::OsStr> =
        ["token".as_ref(), "create".as_ref(), "alice".as_ref()].into_iter().chain(geodata).collect();
    let token = common::cli(&args, "").trim().to_owned();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = common::Server::start_logging(&geodata, &[("RUST_LOG", "trace".as_ref())], log);
    let agent =
        ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).build());
    let url = |path: &str| format!("{}{path}", server.base);
    let login = |password: &str| {
        agent
            .post(&url("/api/login"))
            .header("content-type", "application/json")
            .send(json!({ "name": "alice", "password": password }).to_string())
    };
    let wrong = format!("{PASSWORD} but wrong");
    assert_eq!(login(&wrong).unwrap().status(), 401);
    let mut signed_in = login(PASSWORD).unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf =
        serde_json::from_str::<Value>(&signed_in.body_mut().read_to_string().unwrap()).unwrap()["csrf"]
            .as_str()
            .unwrap()
            .to_owned();
    let with_session = agent
        .post(&url("/api/groups"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .send(json!({ "name": "ログ確認の会", "area_id": 1 }).to_string())
        .unwrap();
    assert!(with_session.status().is_success() || with_session.status() == 422, "{}", with_session.status());
    let bearer =
        agent.get(&url("/api/me")).header("authorization", &format!("Bearer {token}")).call().unwrap();
    assert_eq!(bearer.status(), 200);
    // The same token with its last hex digit changed (never to itself).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let refused = agent.get(&url("/api/groups")).header("authorization", &format!("Bearer {forged}")).call();
    assert_eq!(refused.unwrap().status(), 401);
    let bad_json = agent
        .post(&url("/api/login"))
        .header("content-type", "application/json")
        .send(format!(r#"{{"name": "alice", "password": "{PASSWORD}", "#));
    assert_eq!(bad_json.unwrap().status(), 400);
    drop(server);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.lines().count() > 10 && log.contains("/api/login"), "the server logged the requests:\n{log}");
    let session = cookie.split_once('=').unwrap().1;
    for (what, secret) in [
        ("password", PASSWORD),
        ("wrong password", &wrong),
        ("token", &token),
        ("forged token", &forged),
        ("session", session),
        ("CSRF token", &csrf),
    ] {
        let line = log.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "the {what} is in the log: {}", line.unwrap_or_default());
    }
    println!("{} log lines at trace level, no secret in any", log.lines().count());
}

/// An edition's map says, per feature, what is new or changed since the edition before, and lists
/// what it lost — computed by the server the same way as the counts of `/editions`.
#[tokio::test]
async fn an_edition_marks_what_changed_since_the_one_before() {
    let t = Town::new(AccountSettings::default());
    let (a, _, _) = two_groups(&t).await;
    let first = t_call_json(&t, &format!("/api/groups/{a}/features")).await;
    assert!(first["features"].as_array().unwrap().iter().all(|f| f["properties"]["change"].is_null()));
    assert_eq!(first["removed"], json!([]));
    let made =
        t.call(Some("alice"), "POST", &format!("/api/groups/{a}/editions"), json!({ "edition": 2099 })).await;
    assert_eq!(made.status, 201);
    let next = t_call_json(&t, &format!("/api/groups/{a}/features?edition=2099")).await;
    let first_of = |m: &Value, ftype: &str| {
        m["features"].as_array().unwrap().iter().find(|f| f["properties"]["type"] == ftype).cloned().unwrap()
    };
    let (helper, place) = (first_of(&next, "helper"), first_of(&next, "place"));
    let (_, lon, lat) = t.chome();
    let moved = point("helper", lon + 0.001, lat, json!({ "label": "新しい呼び名", "tags": ["民生委員"] }));
    let r = t.call(Some("alice"), "PUT", &format!("/api/groups/{a}/features/{}", helper["id"]), moved).await;
    assert_eq!(r.status, 200);
    let r = t
        .call(Some("alice"), "DELETE", &format!("/api/groups/{a}/features/{}", place["id"]), Value::Null)
        .await;
    assert_eq!(r.status, 200);
    let r = t
        .call(
            Some("alice"),
            "POST",
            &format!("/api/groups/{a}/features"),
            point("person", lon, lat, json!({ "label": "B" })),
        )
        .await;
    assert_eq!(r.status, 201);
    let next = t_call_json(&t, &format!("/api/groups/{a}/features?edition=2099")).await;
    let change = |ftype: &str, label: &str| {
        next["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["type"] == ftype && f["properties"]["label"] == label)
            .unwrap()["properties"]["change"]
            .clone()
    };
    assert_eq!(change("helper", "新しい呼び名"), json!("changed"));
    assert_eq!(change("person", "B"), json!("added"));
    assert_eq!(change("person", MARKER), Value::Null, "unchanged");
    let removed = next["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["properties"]["type"], "place");
    let editions = t_call_json(&t, &format!("/api/groups/{a}/editions")).await;
    let last = editions["editions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["added"].clone(), last["changed"].clone(), last["removed"].clone()),
        (json!(1), json!(1), json!(1))
    );
}

async fn t_call_json(t: &Town, uri: &str) -> Value {
    let r = t.call(Some("alice"), "GET", uri, Value::Null).await;
    assert_eq!(r.status, 200, "{uri}");
    r.json()
}
