//! Accounts, sessions and public results through the services, without HTTP, on SQLite and
//! (with `CHISO_TEST_PG`) PostgreSQL.

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::{PeriodCode, UnitCode};
use chiso_services::users::{self, NewUser, Passwords, SignIn};
use chiso_services::{Kind, ServiceResult, codes, results, sessions, system};
use chiso_store::testing::{TestDb, backends};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

/// Passwords kept readable, so that tests do not spend seconds on Argon2id; the services
/// only ever compare through the trait.
struct Plain;

impl Passwords for Plain {
    async fn verify(&self, password: String, hash: String) -> ServiceResult<bool> {
        Ok(hash == format!("plain:{password}"))
    }

    async fn hash(&self, password: String) -> ServiceResult<String> {
        Ok(format!("plain:{password}"))
    }
}

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

fn new_user(login: &str, name: &str, password: &str) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: name.into(),
        password: password.into(),
        is_admin: false,
        email: String::new(),
    }
}

#[tokio::test]
async fn a_user_is_created_signs_in_and_changes_their_password_under_the_rules() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        let refused = |r: ServiceResult<()>| r.unwrap_err().code();
        let p = admin();
        let create = |u: NewUser| users::create(db, &Plain, &p, u, AT);
        assert_eq!(
            refused(create(new_user("lan tran", "Lan", "mat-khau-du-dai")).await),
            codes::LOGIN_INVALID
        );
        assert_eq!(
            refused(create(new_user("lan", " ", "mat-khau-du-dai")).await),
            codes::USER_NAME_REQUIRED
        );
        assert_eq!(
            refused(create(new_user("lan", "Lan", "ngan")).await),
            codes::PASSWORD_TOO_SHORT
        );
        create(new_user(" lan ", "Trần Lan", "mat-khau-du-dai"))
            .await
            .unwrap();
        assert_eq!(
            refused(create(new_user("lan", "Lan khác", "mat-khau-du-dai")).await),
            codes::LOGIN_TAKEN
        );

        let signed = |login: &'static str, pw: &'static str| {
            users::authenticate(db, &Plain, login, pw.to_owned())
        };
        let SignIn::Valid(lan) = signed("lan", "mat-khau-du-dai").await.unwrap() else {
            panic!("lan signs in")
        };
        assert_eq!(lan.display_name, "Trần Lan");
        assert_eq!(signed("lan", "sai").await.unwrap(), SignIn::Invalid);
        assert_eq!(signed("khong-co", "sai").await.unwrap(), SignIn::Invalid);

        let change = |current: &'static str, new: &'static str, confirm: &'static str| {
            users::change_password(
                db,
                &Plain,
                &lan,
                current.to_owned(),
                new.to_owned(),
                confirm,
                AT,
            )
        };
        let err = change("sai", "mat-khau-moi-1", "mat-khau-moi-1")
            .await
            .unwrap_err();
        assert!(err.is(codes::CURRENT_PASSWORD_WRONG), "{err}");
        let err = change("mat-khau-du-dai", "mat-khau-moi-1", "mat-khau-moi-2")
            .await
            .unwrap_err();
        assert!(err.is(codes::PASSWORD_MISMATCH), "{err}");
        let changed = change("mat-khau-du-dai", "mat-khau-moi-1", "mat-khau-moi-1")
            .await
            .unwrap();
        assert_ne!(changed.password_hash, lan.password_hash);
        assert_eq!(
            signed("lan", "mat-khau-du-dai").await.unwrap(),
            SignIn::Invalid
        );
        assert!(matches!(
            signed("lan", "mat-khau-moi-1").await.unwrap(),
            SignIn::Valid(_)
        ));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn only_user_managers_manage_accounts_and_nobody_disables_themselves() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        users::create(
            db,
            &Plain,
            &admin(),
            new_user("lan", "Lan", "mat-khau-du-dai"),
            AT,
        )
        .await
        .unwrap();
        let lan = Principal::new("lan", vec![Grant::all_periods(Role::Observer)]);
        let err = users::list(db, &lan).await.unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden);
        let err = users::set_disabled(db, &lan, "lan", true, AT)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden);
        let err = users::set_disabled(db, &admin(), "quantri", true, AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::CANNOT_DISABLE_SELF), "{err}");
        let err = users::reset_password(
            db,
            &Plain,
            &admin(),
            "khong-co",
            "mat-khau-moi-1".into(),
            AT,
        )
        .await
        .unwrap_err();
        assert!(err.is(codes::USER_NOT_FOUND), "{err}");

        users::set_disabled(db, &admin(), "lan", true, AT)
            .await
            .unwrap();
        let who = users::authenticate(db, &Plain, "lan", "mat-khau-du-dai".into())
            .await
            .unwrap();
        assert_eq!(who, SignIn::Disabled);
        users::set_disabled(db, &admin(), "lan", false, AT)
            .await
            .unwrap();
        users::reset_password(db, &Plain, &admin(), "lan", "mat-khau-moi-1".into(), AT)
            .await
            .unwrap();
        let who = users::authenticate(db, &Plain, "lan", "mat-khau-moi-1".into())
            .await
            .unwrap();
        assert!(matches!(who, SignIn::Valid(_)));
        let logins: Vec<_> = users::list(db, &admin())
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.login)
            .collect();
        assert_eq!(logins, ["lan"]);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn sessions_never_take_over_one_another_expire_and_every_node_shares_one_form_key() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        let later = AT + time::Duration::hours(1);
        assert!(sessions::insert_new(db, "s1", b"one", later).await.unwrap());
        assert!(
            !sessions::insert_new(db, "s1", b"other", later)
                .await
                .unwrap()
        );
        assert_eq!(
            sessions::load(db, "s1", AT).await.unwrap().as_deref(),
            Some(&b"one"[..])
        );
        sessions::save(db, "s2", b"two", AT).await.unwrap();
        assert_eq!(sessions::load(db, "s2", AT).await.unwrap(), None, "expired");
        assert_eq!(sessions::purge_expired(db, AT).await.unwrap(), 1);
        sessions::delete(db, "s1").await.unwrap();
        assert_eq!(sessions::load(db, "s1", AT).await.unwrap(), None);

        let first = sessions::form_key(db, &[1; 32], AT).await.unwrap();
        let second = sessions::form_key(db, &[2; 32], AT).await.unwrap();
        assert_eq!(first, vec![1; 32]);
        assert_eq!(second, first, "the key stored first wins");
        system::ping(db).await.unwrap();
        t.drop_database().await;
    }
}

#[tokio::test]
async fn public_results_name_what_is_missing_with_codes() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        assert!(results::list_periods(db).await.unwrap().is_empty());
        assert!(!system::is_demo(db).await.unwrap());
        chiso_services::demo::load_demo(db, AT).await.unwrap();
        assert!(system::is_demo(db).await.unwrap());
        let listed = results::list_periods(db).await.unwrap();
        let published = listed
            .iter()
            .find(|p| p.units > 0 && p.period.computed_at.is_some())
            .expect("the demo has a computed period");
        let code = published.period.code.clone();
        let report = results::period_report(db, &Principal::anonymous(), &code, None)
            .await
            .unwrap();
        assert!(report.computed);
        assert_eq!(report.source.publication().map(|p| p.version), Some(1));
        let unit = report.groups[0].units[0].unit.clone();
        let one = results::unit_report(db, &Principal::anonymous(), &code, &unit, None)
            .await
            .unwrap();
        assert_eq!(one.result.unit, unit);
        assert!(one.history.iter().any(|h| h.period == code));
        let history = results::unit_history(db, &unit).await.unwrap();
        assert_eq!(history.entries.len(), one.history.len());

        let nowhere = PeriodCode::parse("1999").unwrap();
        let err = results::period_report(db, &Principal::anonymous(), &nowhere, None)
            .await
            .unwrap_err();
        assert!(err.is(codes::PERIOD_NOT_FOUND), "{err}");
        assert_eq!(err.get("period"), Some("1999"));
        let nobody = UnitCode::parse("KHONG-CO").unwrap();
        let err = results::unit_report(db, &Principal::anonymous(), &code, &nobody, None)
            .await
            .unwrap_err();
        assert!(err.is(codes::UNIT_NOT_IN_PERIOD), "{err}");
        let err = results::unit_history(db, &nobody).await.unwrap_err();
        assert!(err.is(codes::UNIT_NOT_FOUND), "{err}");
        t.drop_database().await;
    }
}
