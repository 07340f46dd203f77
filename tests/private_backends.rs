//! The private store suite, run against both backends: a SQLite file and the tenant's tables in
//! PostgreSQL (a throwaway cluster of the test's own). Accounts, tokens, sessions, groups and their
//! support maps across editions, the staff sheets, indicator figures, site participants and the
//! audit log — the same statements on both, the same answers expected. Then what only a shared
//! database has: two instances sharing sign-ins, towns kept apart also by row-level security alone,
//! and copies between the backends with every id kept.

mod common;

use sasaeai::model::indicators::{IndicatorFigure, IndicatorValue, SiteParticipants};
use sasaeai::model::support::FeatureType;
use sasaeai::model::{AreaId, SiteId};
use sasaeai::private::postgres::{PgPrivate, VERSION_POLL};
use sasaeai::private::{
    AuditEntry, FeatureInput, GroupRole, IssueInput, NoteInput, PrivateError, PrivateStore, Role, TargetRow,
};
use sasaeai::store::Tenant;

#[derive(Clone, Copy)]
enum Kind {
    Sqlite,
    Postgres,
}

/// An empty private store of `kind`, what keeps it alive, and how to open it again; `None` when
/// PostgreSQL is not installed (outside CI).
struct Fresh {
    dir: tempfile::TempDir,
    url: Option<String>,
}

impl Fresh {
    fn new(kind: Kind) -> Option<Fresh> {
        let url = match kind {
            Kind::Sqlite => None,
            Kind::Postgres => Some(common::postgres::cluster()?.database()),
        };
        Some(Fresh { dir: tempfile::tempdir().unwrap(), url })
    }

    fn open(&self) -> PrivateStore {
        self.open_as("141305")
    }

    fn open_as(&self, tenant: &str) -> PrivateStore {
        match &self.url {
            None => PrivateStore::open(&self.dir.path().join(format!("{tenant}.private.sqlite"))).unwrap(),
            Some(url) => {
                PrivateStore::over(Box::new(PgPrivate::connect(url, Tenant::new(tenant).unwrap()).unwrap()))
            }
        }
    }
}

fn audit(action: &'static str) -> AuditEntry {
    AuditEntry::new("tester", action, None, Vec::new(), Some("127.0.0.1".into()))
}

fn point(ftype: FeatureType, label: &str, lon: f64, lat: f64) -> FeatureInput {
    FeatureInput {
        ftype,
        lon_lat: Some((lon, lat)),
        label: label.into(),
        tags: vec!["見守り".into()],
        note: "火曜に声かけ".into(),
        ends: None,
    }
}

fn link(a: i64, b: i64) -> FeatureInput {
    FeatureInput {
        ftype: FeatureType::Link,
        lon_lat: None,
        label: String::new(),
        tags: vec![],
        note: String::new(),
        ends: Some((a, b)),
    }
}

fn accounts_tokens_and_sessions(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let store = fresh.open();
    let staff = store.add_user("tanaka", Role::Staff, &[3, 4], "$argon2id$x", &audit("user.add")).unwrap();
    assert_eq!((staff.role, staff.scope.clone(), staff.disabled), (Role::Staff, vec![3, 4], false));
    let again = store.add_user("tanaka", Role::Resident, &[], "h", &audit("user.add"));
    assert!(matches!(again, Err(PrivateError::Exists(_))), "{again:?}");

    let token = store.add_token(staff.id, "qgis", &[7; 32], &audit("token.add")).unwrap();
    assert_eq!(store.token_user(&[7; 32]).unwrap().unwrap().name, "tanaka");
    assert!(store.token_user(&[8; 32]).unwrap().is_none());
    store.add_session(staff.id, &[1; 32], "csrf-1", 0, &audit("session.start")).unwrap();
    let (session, user) = store.session(&[1; 32]).unwrap().unwrap();
    assert_eq!((session.csrf.as_str(), user.id), ("csrf-1", staff.id));
    store.touch_session(session.id, session.seen + 60).unwrap();
    assert_eq!(store.session(&[1; 32]).unwrap().unwrap().0.seen, session.seen + 60);

    // Disabling ends the sessions and revokes the tokens.
    let disabled = store.change_user("tanaka", None, Some(true), &audit("user.disable")).unwrap();
    assert!(disabled.disabled);
    assert!(store.session(&[1; 32]).unwrap().is_none());
    assert!(store.token_user(&[7; 32]).unwrap().is_none());
    assert!(store.tokens(staff.id).unwrap().iter().all(|t| t.revoked && t.id == token));
    let renamed = store.change_user("nobody", Some("h"), None, &audit("user.password"));
    assert!(matches!(renamed, Err(PrivateError::Missing(_))), "{renamed:?}");

    let actions: Vec<String> = store.account_audit().unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["user.add", "token.add", "session.start", "user.disable"]);
    // Reopened from its backend, the store holds the same.
    assert_eq!(fresh.open().digests().unwrap(), store.digests().unwrap());
}

fn support_maps_across_editions(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let store = fresh.open();
    let owner = store.add_user("sato", Role::Resident, &[], "h", &audit("user.add")).unwrap();
    let helper = store.add_user("suzuki", Role::Resident, &[], "h", &audit("user.add")).unwrap();
    let version = store.maps_version();
    let group =
        store.create_group("本町三丁目", Some(12), None, owner.id, 2025, &audit("group.create")).unwrap();
    assert_ne!(store.maps_version(), version, "a new group moves the maps' version");
    store.set_member(group.id, helper.id, GroupRole::Editor, &audit("member.add")).unwrap();
    let refused = store.remove_member(group.id, owner.id, &audit("member.remove"));
    assert!(matches!(refused, Err(PrivateError::Refused(_))), "{refused:?}");
    assert_eq!(store.member_role(group.id, helper.id).unwrap(), Some(GroupRole::Editor));

    let person = store
        .insert_feature(group.id, &point(FeatureType::Person, "Aさん", 139.70, 35.60), &audit("feature.add"))
        .unwrap();
    let carer = store
        .insert_feature(
            group.id,
            &point(FeatureType::Helper, "民生委員", 139.71, 35.61),
            &audit("feature.add"),
        )
        .unwrap();
    let linked = store.insert_feature(group.id, &link(person.id, carer.id), &audit("feature.add")).unwrap();
    assert_eq!(linked.ends, Some((person.key, carer.key)));
    let moved = store
        .update_feature(
            group.id,
            person.id,
            &point(FeatureType::Person, "Aさん", 139.705, 35.605),
            &audit("feature.update"),
        )
        .unwrap();
    assert_eq!(moved.lon_lat, Some((139.705, 35.605)));

    assert_eq!(store.new_edition(group.id, 2026, &audit("edition.new")).unwrap(), 3);
    let refused = store.new_edition(group.id, 2026, &audit("edition.new"));
    assert!(matches!(refused, Err(PrivateError::Refused(_))), "{refused:?}");
    assert_eq!(store.editions(group.id).unwrap(), [2025, 2026]);
    let current = store.features(group.id, 2026).unwrap();
    assert_eq!(current.iter().map(|f| f.key).collect::<Vec<_>>(), [person.key, carer.key, linked.key]);
    // Erased from every edition: the person and the links touching them.
    let erased = store.delete_feature(group.id, person.id, true, &audit("feature.erase")).unwrap();
    assert_eq!(erased.len(), 4, "{erased:?}");
    assert_eq!(store.features(group.id, 2025).unwrap().len(), 1);
    assert_eq!(store.current_features().unwrap()[0].1.len(), 1);
    assert!(store.feature(group.id, person.id).unwrap().is_none());
    store.set_feature_site(group.id, carer.id, Some(99), &audit("place.publish")).unwrap();
    assert_eq!(store.feature(group.id, carer.id).unwrap().unwrap().site_id, Some(99));

    let log = store.group_audit(group.id).unwrap();
    assert_eq!(log.first().unwrap().action, "group.create");
    assert_eq!(log.last().unwrap().action, "place.publish");
    assert_eq!(store.groups_of(helper.id).unwrap()[0].1, GroupRole::Editor);
    assert_eq!(fresh.open().digests().unwrap(), store.digests().unwrap());
}

fn sheets_indicators_and_participants(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let store = fresh.open();
    let note = NoteInput { field: "elderly".into(), kind: "voice".into(), text: "坂がきつい".into() };
    let note_id = store.add_note(5, &note, "tanaka", &audit("sheet.note.add")).unwrap();
    let issue = IssueInput {
        title: "通いの場を増やす".into(),
        field: "elderly".into(),
        priority: 1,
        indicator: Some("kayoinoba_participants".into()),
        targets: vec![
            TargetRow { year: 2025, target: Some(120.0), measured: Some(98.0) },
            TargetRow { year: 2026, target: Some(140.0), measured: None },
        ],
    };
    let issue_id = store.put_issue(5, None, &issue, "tanaka", &audit("sheet.issue.add")).unwrap();
    let (notes, issues) = store.sheet(5).unwrap();
    assert_eq!((notes[0].id, notes[0].text.as_str()), (note_id, "坂がきつい"));
    assert_eq!(issues[0].targets, issue.targets);
    assert!(store.sheet(6).unwrap().0.is_empty(), "another area's sheet is empty");
    let missing = store.delete_note(6, note_id, &audit("sheet.note.delete"));
    assert!(matches!(missing, Err(PrivateError::Missing(_))), "{missing:?}");
    store.delete_issue(5, issue_id, &audit("sheet.issue.delete")).unwrap();
    assert!(store.issue(5, issue_id).unwrap().is_none());

    let version = store.indicators_version();
    let figures = |year: i32, value: f64| {
        vec![
            IndicatorValue {
                area_id: AreaId(5),
                indicator: "aging_rate".into(),
                year,
                figure: IndicatorFigure::Value(value),
            },
            IndicatorValue {
                area_id: AreaId(6),
                indicator: "aging_rate".into(),
                year,
                figure: IndicatorFigure::Suppressed,
            },
        ]
    };
    assert_eq!(store.replace_indicator_values(&figures(2025, 31.5), &audit("indicators.import")).unwrap(), 0);
    assert_eq!(store.replace_indicator_values(&figures(2025, 32.0), &audit("indicators.import")).unwrap(), 2);
    assert_ne!(store.indicators_version(), version);
    assert_eq!(store.indicator_values().unwrap(), figures(2025, 32.0));
    let counts = vec![SiteParticipants { site_id: SiteId(3), year: 2025, participants: 41 }];
    assert_eq!(store.replace_site_participants(&counts, &audit("participants.import")).unwrap(), 0);
    assert_eq!(store.site_participants().unwrap(), counts);
    assert_eq!(fresh.open().digests().unwrap(), store.digests().unwrap());
}

/// Every table of the private store holds rows.
fn fill(store: &PrivateStore) {
    let user = store.add_user("sato", Role::Resident, &[], "h", &audit("user.add")).unwrap();
    store.add_token(user.id, "qgis", &[3; 32], &audit("token.add")).unwrap();
    store.add_session(user.id, &[4; 32], "csrf", 0, &audit("session.start")).unwrap();
    let group = store
        .create_group(
            "本町",
            None,
            Some(r#"{"type":"Polygon","coordinates":[]}"#),
            user.id,
            2025,
            &audit("group.create"),
        )
        .unwrap();
    let a = store
        .insert_feature(group.id, &point(FeatureType::Person, "A", 139.7, 35.6), &audit("feature.add"))
        .unwrap();
    let b = store
        .insert_feature(group.id, &point(FeatureType::Place, "縁側", 139.8, 35.7), &audit("feature.add"))
        .unwrap();
    store.insert_feature(group.id, &link(a.id, b.id), &audit("feature.add")).unwrap();
    store.new_edition(group.id, 2026, &audit("edition.new")).unwrap();
    let note =
        NoteInput { field: "people".into(), kind: "observation".into(), text: "独居が多い".into() };
    store.add_note(5, &note, "tanaka", &audit("sheet.note.add")).unwrap();
    let issue = IssueInput {
        title: "見守り".into(),
        field: "elderly".into(),
        priority: 2,
        indicator: None,
        targets: vec![TargetRow { year: 2026, target: Some(0.5), measured: None }],
    };
    store.put_issue(5, None, &issue, "tanaka", &audit("sheet.issue.add")).unwrap();
    let figure = IndicatorValue {
        area_id: AreaId(5),
        indicator: "aging_rate".into(),
        year: 2025,
        figure: IndicatorFigure::Value(0.25),
    };
    store.replace_indicator_values(&[figure], &audit("indicators.import")).unwrap();
    let count = SiteParticipants { site_id: SiteId(1), year: 2025, participants: 12 };
    store.replace_site_participants(&[count], &audit("participants.import")).unwrap();
}

fn copied_to_the_other_backend_and_back_with_ids(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let (dir, other) = (tempfile::tempdir().unwrap(), Fresh::new(Kind::Postgres));
    let source = PrivateStore::open(&dir.path().join("source.private.sqlite")).unwrap();
    fill(&source);
    let target = fresh.open();
    let copied = source.copy_into(&target).unwrap();
    assert!(copied.iter().all(|t| t.count > 0), "every table copied: {copied:?}");
    assert_eq!(copied, source.digests().unwrap());
    let refused = source.copy_into(&target);
    assert!(matches!(refused, Err(PrivateError::Refused(_))), "{refused:?}");
    // Back again into a file, through PostgreSQL when the target was a file.
    if let Some(other) = other {
        let back = PrivateStore::open(&dir.path().join("back.private.sqlite")).unwrap();
        let via = other.open();
        target.copy_into(&via).unwrap();
        via.copy_into(&back).unwrap();
        assert_eq!(back.digests().unwrap(), source.digests().unwrap());
    }
    // New rows after a copy get ids past the copied ones; the sign-in still works.
    let before = target.users().unwrap()[0].id;
    assert!(target.add_user("new", Role::Staff, &[], "h", &audit("user.add")).unwrap().id > before);
    assert_eq!(target.session(&[4; 32]).unwrap().unwrap().1.name, "sato");
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $test() { super::$test(super::Kind::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $test() { super::$test(super::Kind::Postgres) })*
        }
    };
}

on_both_backends!(
    accounts_tokens_and_sessions,
    support_maps_across_editions,
    sheets_indicators_and_participants,
    copied_to_the_other_backend_and_back_with_ids,
);

#[test]
fn two_instances_share_sign_ins_and_see_each_others_maps() {
    let Some(fresh) = Fresh::new(Kind::Postgres) else { return };
    let (a, b) = (fresh.open(), fresh.open());
    let user = a.add_user("sato", Role::Resident, &[], "h", &audit("user.add")).unwrap();
    a.add_session(user.id, &[9; 32], "csrf", 0, &audit("session.start")).unwrap();
    assert_eq!(b.session(&[9; 32]).unwrap().unwrap().1.name, "sato", "signed in on A, known on B");
    let seen = b.maps_version();
    a.create_group("本町", None, None, user.id, 2025, &audit("group.create")).unwrap();
    std::thread::sleep(VERSION_POLL + std::time::Duration::from_millis(50));
    assert_ne!(b.maps_version(), seen, "B's caches of the maps learn of A's write");
    b.end_session(b.session(&[9; 32]).unwrap().unwrap().0.id, None).unwrap();
    assert!(a.session(&[9; 32]).unwrap().is_none(), "signed out on B, gone on A");
}

#[test]
fn towns_are_kept_apart_also_by_row_level_security_alone() {
    let Some(fresh) = Fresh::new(Kind::Postgres) else { return };
    let url = fresh.url.clone().unwrap();
    let (x, y) = (fresh.open_as("141305"), fresh.open_as("352021"));
    fill(&x);
    let y_user = y.add_user("sato", Role::Staff, &[], "h", &audit("user.add")).unwrap();
    assert_eq!(y.users().unwrap().len(), 1, "the same name in another town is another account");
    assert!(y.session(&[4; 32]).unwrap().is_none(), "X's session does not sign anyone in at Y");
    assert!(y.token_user(&[3; 32]).unwrap().is_none());

    // Y with the application's tenant conditions taken out: row-level security alone.
    let bare = PrivateStore::over(Box::new(
        PgPrivate::connect(&url, Tenant::new("352021").unwrap()).unwrap().without_tenant_filter(),
    ));
    assert_eq!(bare.users().unwrap().iter().map(|u| u.id).collect::<Vec<_>>(), [y_user.id]);
    assert!(bare.session(&[4; 32]).unwrap().is_none());
    assert!(bare.current_features().unwrap().is_empty(), "no group of X");
    assert!(bare.indicator_values().unwrap().is_empty());
    assert!(bare.account_audit().unwrap().iter().all(|a| a.actor == "tester" && a.ids == [y_user.id]));
    let x_group = x.current_features().unwrap()[0].0.id;
    let drawn =
        bare.insert_feature(x_group, &point(FeatureType::Note, "?", 139.7, 35.6), &audit("feature.add"));
    assert!(matches!(drawn, Err(PrivateError::Missing(_))), "X's group is not there for Y: {drawn:?}");
    let joined = bare.set_member(x_group, y_user.id, GroupRole::Owner, &audit("member.add"));
    assert!(joined.is_err(), "joining X's group from Y is refused by the database");
    assert_eq!(x.digests().unwrap().iter().find(|t| t.table == "members").unwrap().count, 1);
}

#[test]
fn the_shared_audit_log_is_append_only() {
    let Some(fresh) = Fresh::new(Kind::Postgres) else { return };
    fresh.open().append_audit(&audit("stores.backup")).unwrap();
    let mut client = common::postgres::cluster().unwrap().plain(fresh.url.as_ref().unwrap());
    client.batch_execute("SELECT set_config('sasaeai.tenant', '141305', false)").unwrap();
    for change in ["UPDATE audit SET actor = 'x'", "DELETE FROM audit", "TRUNCATE audit"] {
        let refused = client.batch_execute(change).unwrap_err();
        assert!(
            refused.to_string().contains("append-only") || format!("{refused:?}").contains("append-only"),
            "{change}: {refused:?}"
        );
    }
}
