//! Surveys as services on SQLite and (with `CHISO_TEST_PG`) PostgreSQL, on the demo province's
//! period in progress: a questionnaire for the departments' first survey leaf, answers stored
//! once however often the same file is imported, the points per unit with their breakdown, a
//! decision on a unit below the minimum, and closing into the period's survey leaves, audited.

use std::collections::BTreeMap;

use chiso_domain::authz::Principal;
use chiso_domain::questionnaire::{
    LeafRule, Question, QuestionTarget, QuestionnaireKind, RespondentGroup, SurveyDefinition,
};
use chiso_domain::uncertainty::Interval;
use chiso_domain::{Grant, GroupName, NodeCode, PeriodCode, Points, Role, Source, UnitCode};
use chiso_services::demo::load_demo;
use chiso_services::surveys::{self, Decide};
use chiso_services::{Kind, codes};
use chiso_store::surveys::{Import, NewAnswer};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, audit, index_sets, periods, scores};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-01-05 08:00 UTC);

fn period() -> PeriodCode {
    PeriodCode::parse("2026").unwrap()
}

fn admin() -> Principal {
    Principal::new("admin", vec![Grant::all_periods(Role::Admin)])
}

/// The first group of 2026, its units, and the first survey leaf of its set with its maximum.
async fn target(db: &Db) -> (GroupName, Vec<UnitCode>, NodeCode, Points) {
    let (group, set) = periods::groups(db, &period()).await.unwrap().remove(0);
    let set = index_sets::get(db, &set).await.unwrap().unwrap();
    let leaf = set
        .nodes
        .iter()
        .flat_map(|n| n.walk())
        .find(|n| n.is_leaf() && n.source == Source::Survey)
        .expect("a survey leaf")
        .clone();
    let units = periods::members(db, &period())
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.group == group)
        .map(|m| m.unit)
        .collect();
    (group, units, leaf.code, leaf.max)
}

fn definition(group: &GroupName, leaf: &NodeCode) -> SurveyDefinition {
    SurveyDefinition {
        code: "KS-2026".into(),
        name: "Điều tra xã hội học năm 2026".into(),
        groups: vec![RespondentGroup {
            code: "LD".into(),
            name: "Lãnh đạo sở, ngành".into(),
            target: Some(4),
            evaluates: group.clone(),
            kind: QuestionnaireKind::Sociological,
            questions: vec![
                Question {
                    code: "C1".into(),
                    text: "Mức độ công khai, minh bạch".into(),
                    target: QuestionTarget::Leaf(leaf.clone()),
                },
                Question {
                    code: "C2".into(),
                    text: "Mức độ thuận tiện".into(),
                    target: QuestionTarget::Leaf(leaf.clone()),
                },
            ],
            options: vec![],
        }],
        leaves: vec![LeafRule {
            leaf: leaf.clone(),
            minimum: 3,
            group_weights: BTreeMap::new(),
        }],
    }
}

/// Four respondents: about the first unit A, A / B, D / A, E / E, E (3 × 2 answers valid
/// from the first three, the fourth knows nothing); about the second unit one A, A. The
/// answers come in the order a long file may give them: respondents interleaved, so some are
/// merged into rows already written.
async fn import(db: &Db, survey: &chiso_store::surveys::Survey, units: &[UnitCode]) -> u64 {
    let answers = [
        ("r1", &units[0], "C1", "A"),
        ("r2", &units[0], "C1", "B"),
        ("r1", &units[0], "C2", "A"),
        ("r3", &units[0], "C1", "A"),
        ("r4", &units[0], "C1", "E"),
        ("r2", &units[0], "C2", "D"),
        ("r3", &units[0], "C2", "E"),
        ("r4", &units[0], "C2", "E"),
        ("r4", &units[1], "C1", "A"),
        ("r4", &units[1], "C2", "A"),
    ];
    let mut import = Import::begin(db, survey, &Actor("admin".into()), AT, "tệp thu-thap.csv")
        .await
        .unwrap();
    for (r, u, q, a) in answers {
        import
            .add(NewAnswer {
                respondent: r,
                group: "LD",
                unit: u.as_str(),
                question: q,
                answer: a,
            })
            .await
            .unwrap();
    }
    import
        .commit(survey, "thu-thap.csv")
        .await
        .unwrap()
        .answers_added
}

#[tokio::test]
async fn a_survey_s_answers_become_points_traced_to_every_answer_and_close_into_the_leaves() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        load_demo(db, AT).await.unwrap();
        let (group, units, leaf, max) = target(db).await;
        let def = definition(&group, &leaf);

        let survey = surveys::create(db, &admin(), &period(), &def, AT)
            .await
            .unwrap();
        // The same code twice is refused.
        let again = surveys::create(db, &admin(), &period(), &def, AT)
            .await
            .unwrap_err();
        assert_eq!(again.code(), codes::SURVEY_EXISTS);

        assert_eq!(import(db, &survey, &units).await, 10);
        // The same file again adds nothing.
        assert_eq!(import(db, &survey, &units).await, 0);

        let ov = surveys::overview(db, &admin(), &period(), "KS-2026")
            .await
            .unwrap();
        assert_eq!(ov.groups[0].respondents, 4, "[{}]", backend.name());
        assert_eq!(ov.groups[0].units[0].2, 4);
        assert_eq!(ov.groups[0].units[1].2, 1);
        let column = ov.leaves.iter().position(|l| l.leaf == leaf).unwrap();
        let first = ov.rows.iter().find(|r| r.unit == units[0]).unwrap();
        let cell = first.cells[column].as_ref().unwrap();
        // Valid: A, A, B, D, A → (1 + 1 + 0,6 + 0 + 1) / 5 = 0,72 of the maximum.
        assert_eq!(cell.result.valid, 5);
        assert_eq!(
            cell.result.points,
            Some(Points::new(max.value() * dec!(0.72)))
        );
        assert!(!cell.result.below_minimum);
        let second = ov.rows.iter().find(|r| r.unit == units[1]).unwrap();
        assert!(second.cells[column].as_ref().unwrap().result.below_minimum);
        assert!(ov.rows.iter().find(|r| r.unit == units[2]).unwrap().cells[column].is_none());

        let b = surveys::breakdown(db, &admin(), &period(), "KS-2026", &units[0], &leaf)
            .await
            .unwrap();
        let counts: Vec<(&str, u64)> = b.groups[0]
            .options
            .iter()
            .map(|o| (o.0.as_str(), o.3))
            .collect();
        assert_eq!(counts, [("A", 3), ("B", 1), ("C", 0), ("D", 1), ("E", 3)]);
        assert_eq!(b.groups[0].mean, Some(dec!(0.72)));

        // Closing waits for a decision on the unit below the minimum.
        let e = surveys::close(db, &admin(), &period(), "KS-2026", AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::SURVEY_UNDECIDED);
        assert_eq!(e.get("unit"), Some(units[1].as_str()));

        let typed = Decide {
            unit: units[1].clone(),
            leaf: leaf.clone(),
            points: Some("999".into()),
            reason: String::new(),
        };
        let e = surveys::decide(db, &admin(), &period(), "KS-2026", &typed, AT)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::Invalid);
        let problems = match e.details() {
            Some(chiso_services::Detail::Problems(p)) => p.len(),
            _ => 0,
        };
        assert_eq!(problems, 2, "the reason and the points are both named");

        let half = max.value() / Decimal::TWO;
        let typed = Decide {
            points: Some(half.to_string().replace('.', ",")),
            reason: "Chỉ một phiếu; lấy điểm trung bình theo kết luận của Hội đồng".into(),
            ..typed
        };
        surveys::decide(db, &admin(), &period(), "KS-2026", &typed, AT)
            .await
            .unwrap();

        let closed = surveys::close(db, &admin(), &period(), "KS-2026", AT)
            .await
            .unwrap();
        assert_eq!(closed.values, 2);
        let stored = scores::list(db, &period()).await.unwrap();
        let value = |u: &UnitCode| {
            stored
                .iter()
                .find(|s| &s.unit == u && s.node == leaf)
                .and_then(|s| s.points)
        };
        assert_eq!(
            value(&units[0]),
            Some(Points::new(max.value() * dec!(0.72)))
        );
        assert_eq!(value(&units[1]), Some(Points::new(half)));
        let log = audit::list(
            db,
            &audit::AuditFilter {
                period: Some(period()),
                unit: Some(units[1].clone()),
                node: Some(leaf.clone()),
                limit: 0,
            },
        )
        .await
        .unwrap();
        assert!(
            log.iter()
                .any(|e| e.reason.as_deref() == Some("Khóa đợt điều tra KS-2026")),
            "closing is audited per value"
        );
        assert!(log.iter().any(|e| e.action == "decide"), "the decision too");

        // A closed survey takes no more answers; closing again is allowed.
        let s = chiso_store::surveys::get(db, &period(), "KS-2026")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.status, "closed");
        assert!(
            Import::begin(db, &s, &Actor("admin".into()), AT, "tệp khác.csv")
                .await
                .is_err()
        );
        let again = surveys::close(db, &admin(), &period(), "KS-2026", AT)
            .await
            .unwrap();
        assert_eq!(again.changed, 0);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_questionnaire_on_an_appraised_criterion_is_refused_with_every_mistake_named() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        load_demo(db, AT).await.unwrap();
        let (group, _, leaf, _) = target(db).await;
        let mut def = definition(&group, &leaf);
        def.groups[0].questions[1].target = QuestionTarget::Leaf(NodeCode::parse("1.1").unwrap());
        def.groups[0].evaluates = GroupName::parse("Không có nhóm này").unwrap();
        def.groups.push(def.groups[0].clone());
        let e = surveys::create(db, &admin(), &period(), &def, AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::SURVEY_DEFINITION_INVALID);
        let Some(chiso_services::Detail::Problems(problems)) = e.details() else {
            panic!("problems expected");
        };
        assert!(problems.len() >= 3, "{problems:?}");
        // Only the demo's own survey is there.
        let stored = chiso_store::surveys::list(db, &period()).await.unwrap();
        assert!(stored.iter().all(|s| s.code != "KS-2026"));
        // Nobody but the administrator runs surveys.
        let officer = Principal::new(
            "cb",
            vec![Grant::in_period(
                Role::UnitOfficer {
                    unit: UnitCode::parse("SNV").unwrap(),
                },
                period(),
            )],
        );
        let e = surveys::list(db, &officer, &period()).await.unwrap_err();
        assert_eq!(e.kind(), Kind::Forbidden);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_answer_file_is_previewed_then_imported_once_and_a_bad_one_changes_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        load_demo(db, AT).await.unwrap();
        let (group, units, leaf, _) = target(db).await;
        surveys::create(db, &admin(), &period(), &definition(&group, &leaf), AT)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        // A KoboToolbox export of the group's form: `;`, one row per submission.
        let (u0, u1) = (units[0].as_str(), units[1].as_str());
        let kobo = format!(
            "start;end;u_{u0}/C1__{u0};u_{u0}/C2__{u0};u_{u1}/C1__{u1};u_{u1}/C2__{u1};nhom;_id;_uuid\n\
             2026-03-01;2026-03-01;A;B;C;;LD;1;aa-1\n\
             2026-03-01;2026-03-01;D;E;A;A;LD;2;aa-2\n"
        );
        let path = dir.path().join("kobo.csv");
        std::fs::write(&path, kobo).unwrap();
        let file = surveys::AnswerFile {
            path: path.clone(),
            file_name: "XHH_LD_2026.csv".into(),
            group: None,
        };
        let preview = surveys::preview_answers(db, &admin(), &period(), "KS-2026", &file, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (
                preview.stats.rows,
                preview.stats.answers,
                preview.new_respondents
            ),
            (2, 7, 2),
            "[{}]",
            backend.name()
        );
        let counts = surveys::import_answers(db, &admin(), &period(), "KS-2026", &file, AT, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (counts.counts.respondents_added, counts.counts.answers_added),
            (2, 7)
        );
        assert_eq!(counts.stats.rows, 2);
        let preview = surveys::preview_answers(db, &admin(), &period(), "KS-2026", &file, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (preview.new_respondents, preview.stored_respondents),
            (0, 2)
        );
        let counts = surveys::import_answers(db, &admin(), &period(), "KS-2026", &file, AT, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (counts.counts.respondents_added, counts.counts.answers_added),
            (0, 0)
        );

        // A long file with a good row, an unknown unit and an answer outside the options.
        let long = format!(
            "respondent,group,unit,question,answer\nb-1,LD,{u0},C1,A\nb-1,LD,KHONG-CO,C1,A\nb-2,LD,{u0},C2,X\n"
        );
        let path = dir.path().join("long.csv");
        std::fs::write(&path, long).unwrap();
        let bad = surveys::AnswerFile {
            path,
            file_name: "dai.csv".into(),
            group: None,
        };
        let e = surveys::import_answers(db, &admin(), &period(), "KS-2026", &bad, AT, |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.code(), chiso_services::codes::FILE_INVALID);
        let Some(chiso_services::Detail::Import(errors)) = e.details() else {
            panic!("file problems expected");
        };
        assert_eq!(errors.0.len(), 2, "{errors:?}");
        let ov = surveys::overview(db, &admin(), &period(), "KS-2026")
            .await
            .unwrap();
        assert_eq!(
            ov.groups[0].respondents, 2,
            "nothing of the bad file was stored"
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_web_questionnaire_link_saves_resumes_submits_once_and_can_be_revoked() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        load_demo(db, AT).await.unwrap();
        let (group, units, leaf, max) = target(db).await;
        surveys::create(db, &admin(), &period(), &definition(&group, &leaf), AT)
            .await
            .unwrap();
        let issue = |personal: bool, count: &str| surveys::IssueLinks {
            group: "LD".into(),
            personal,
            count: count.into(),
            label: "Lãnh đạo".into(),
        };
        let personal =
            surveys::issue_links(db, &admin(), &period(), "KS-2026", &issue(true, "2"), AT)
                .await
                .unwrap();
        assert_eq!(personal.len(), 2);
        let bad = surveys::issue_links(db, &admin(), &period(), "KS-2026", &issue(true, "0"), AT)
            .await
            .unwrap_err();
        assert_eq!(bad.code(), codes::SURVEY_LINK_COUNT_INVALID);

        let token = &personal[0].token;
        let q = surveys::questionnaire(db, token, None).await.unwrap();
        assert_eq!(q.units.len(), units.len());
        assert!(q.response.is_none());
        let u0 = units[0].to_string();
        let draft = surveys::WebAnswers {
            answers: vec![(u0.clone(), "C1".into(), "A".into())],
            submit: false,
        };
        let me = surveys::answer(db, token, None, &draft, AT).await.unwrap();
        // Coming back (another device: a personal link needs no cookie) finds the draft.
        let q = surveys::questionnaire(db, token, None).await.unwrap();
        let saved = q.response.unwrap();
        assert_eq!(saved.respondent, me);
        assert_eq!(saved.answers, vec![(u0.clone(), "C1".into(), "A".into())]);
        // Drafts count for nothing yet.
        let ov = surveys::overview(db, &admin(), &period(), "KS-2026")
            .await
            .unwrap();
        assert_eq!(ov.groups[0].respondents, 0, "[{}]", backend.name());

        let wrong = surveys::WebAnswers {
            answers: vec![
                (u0.clone(), "C1".into(), "Z".into()),
                ("KHONG".into(), "C2".into(), "A".into()),
            ],
            submit: true,
        };
        let e = surveys::answer(db, token, None, &wrong, AT)
            .await
            .unwrap_err();
        let Some(chiso_services::Detail::Problems(p)) = e.details() else {
            panic!()
        };
        assert_eq!(p.len(), 2);

        let sent = surveys::WebAnswers {
            answers: vec![
                (u0.clone(), "C1".into(), "A".into()),
                (u0.clone(), "C2".into(), "b".into()),
            ],
            submit: true,
        };
        surveys::answer(db, token, None, &sent, AT).await.unwrap();
        let e = surveys::answer(db, token, None, &sent, AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::SURVEY_SUBMITTED);
        let ov = surveys::overview(db, &admin(), &period(), "KS-2026")
            .await
            .unwrap();
        assert_eq!(ov.groups[0].respondents, 1);
        let column = ov.leaves.iter().position(|l| l.leaf == leaf).unwrap();
        let cell = ov.rows.iter().find(|r| r.unit == units[0]).unwrap().cells[column]
            .clone()
            .unwrap();
        assert_eq!(
            cell.result.points,
            Some(Points::new(max.value() * dec!(0.8)))
        );

        // A group link for two responses: a third browser is turned away, while the first
        // comes back to its own response.
        let shared =
            surveys::issue_links(db, &admin(), &period(), "KS-2026", &issue(false, "2"), AT)
                .await
                .unwrap();
        let first = surveys::answer(db, &shared[0].token, None, &draft, AT)
            .await
            .unwrap();
        let again = surveys::answer(db, &shared[0].token, Some(&first), &draft, AT)
            .await
            .unwrap();
        assert_eq!(again, first);
        let second = surveys::answer(db, &shared[0].token, None, &draft, AT)
            .await
            .unwrap();
        assert_ne!(second, first);
        let e = surveys::answer(db, &shared[0].token, None, &draft, AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::SURVEY_LINK_USED_UP);

        // A revoked link opens nothing.
        let links = surveys::links(db, &admin(), &period(), "KS-2026")
            .await
            .unwrap();
        let second = links.iter().find(|l| l.label.ends_with("– 2")).unwrap();
        surveys::revoke_link(db, &admin(), &period(), "KS-2026", &second.token_hash, AT)
            .await
            .unwrap();
        let e = surveys::questionnaire(db, &personal[1].token, None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::SURVEY_LINK_INVALID);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn the_demo_survey_gives_every_unit_intervals_around_its_points_and_names_unsettled_orders() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        load_demo(db, AT).await.unwrap();
        let (survey, groups) = surveys::intervals(db, &admin(), &period(), "XHH-2026")
            .await
            .unwrap();
        assert_eq!(survey.code, "XHH-2026");
        assert!(!groups.is_empty(), "[{}]", backend.name());
        for g in &groups {
            assert!(g.units.len() > 1);
            for u in &g.units {
                let p = u
                    .uncertainty
                    .survey_points
                    .expect("answers about every unit");
                assert!(
                    p.low <= u.survey_points && u.survey_points <= p.high,
                    "{}: {} outside {:?}",
                    u.unit,
                    u.survey_points,
                    p
                );
                let r = u.uncertainty.rank.expect("every unit is ranked");
                assert!(1 <= r.low && r.low <= r.high && r.high as usize <= g.units.len());
            }
            // Best first, and only neighbours are named.
            let index = |u: &surveys::UnitInterval| u.index.map_or(u.total, |(i, _)| i);
            assert!(g.units.windows(2).all(|w| index(&w[0]) >= index(&w[1])));
            for (a, b) in &g.unsettled {
                let i = g.units.iter().position(|u| &u.unit == a).unwrap();
                assert_eq!(&g.units[i + 1].unit, b);
            }
        }
        // The same data and seed give the same intervals.
        let again = surveys::intervals(db, &admin(), &period(), "XHH-2026")
            .await
            .unwrap()
            .1;
        assert_eq!(groups, again);
        t.drop_database().await;
    }
}

/// Period 2025 of three departments: area 1 from data (leaf 1.1, 60 points), area 2 from a
/// survey (2.1 from leaders' ratings and 2.2 from citizens' satisfaction, 20 points each).
mod small {
    use super::*;
    use chiso_domain::survey::Factor;
    use chiso_domain::{
        ClassScheme, IndexSet, Membership, Method, Node, RankingRule, RawValue, SetCode, Unit,
        UnitKind,
    };
    use chiso_services::compute::compute_period;
    use chiso_store::periods::Period;

    pub fn period() -> PeriodCode {
        PeriodCode::parse("2025").unwrap()
    }

    pub fn unit(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn node(code: &str, max: i64, source: Source, children: Vec<Node>) -> Node {
        Node {
            code: NodeCode::parse(code).unwrap(),
            title: format!("Tiêu chí {code}"),
            max: Points::new(Decimal::from(max)),
            source,
            method: children.is_empty().then_some(match source {
                Source::Survey => Method::Survey,
                _ => Method::Manual { step: None },
            }),
            rule: None,
            evidence: None,
            not_applicable: None,
            children,
        }
    }

    fn set() -> IndexSet {
        IndexSet {
            code: SetCode::parse("BCS-2025").unwrap(),
            name: "Bộ chỉ số 2025".to_owned(),
            year: 2025,
            decision: None,
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
            nodes: vec![
                node(
                    "1",
                    60,
                    Source::Data,
                    vec![node("1.1", 60, Source::Data, vec![])],
                ),
                node(
                    "2",
                    40,
                    Source::Survey,
                    vec![
                        node("2.1", 20, Source::Survey, vec![]),
                        node("2.2", 20, Source::Survey, vec![]),
                    ],
                ),
            ],
        }
    }

    /// Puts each unit's data points and computes the period.
    pub async fn score(db: &Db, points: &[(&str, i64)], at: OffsetDateTime) {
        let actor = Actor("admin".to_owned());
        let changes: Vec<scores::ScoreChange> = points
            .iter()
            .map(|(u, p)| scores::ScoreChange {
                unit: unit(u),
                node: NodeCode::parse("1.1").unwrap(),
                input: Some(RawValue::Points(Decimal::from(*p))),
                points: None,
                note: None,
                expected_version: None,
            })
            .collect();
        scores::put(db, &period(), &changes, &actor, at, "Số liệu")
            .await
            .unwrap();
        compute_period(db, &period(), &actor, at).await.unwrap();
    }

    /// The period, its data points computed, and survey `XHH-2025` with twelve leaders rating
    /// every department and twelve citizens of each answering two SIPAS factors: SNV and STP
    /// close, SYT far behind; SNV's citizens divided, STP's all satisfied.
    pub async fn seed(db: &Db) -> chiso_store::surveys::Survey {
        let actor = Actor("admin".to_owned());
        let list: Vec<Unit> = [
            ("SNV", "Sở Nội vụ"),
            ("STP", "Sở Tư pháp"),
            ("SYT", "Sở Y tế"),
        ]
        .iter()
        .map(|(c, n)| Unit {
            code: unit(c),
            name: (*n).to_owned(),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        })
        .collect();
        chiso_store::units::upsert_many(db, &list, &[], &actor, AT)
            .await
            .unwrap();
        index_sets::save(db, &set(), &actor, AT).await.unwrap();
        let p = Period {
            code: period(),
            year: 2025,
            name: "Chỉ số CCHC năm 2025".to_owned(),
            previous: None,
            status: periods::STATUS_DRAFT.to_owned(),
            decision: None,
            computed_at: None,
        };
        periods::create(db, &p, &actor, AT).await.unwrap();
        let group = GroupName::parse("Sở, ban, ngành").unwrap();
        let members: Vec<Membership> = list
            .iter()
            .map(|u| Membership {
                unit: u.code.clone(),
                group: group.clone(),
                ranked: true,
            })
            .collect();
        periods::set_groups(
            db,
            &period(),
            &[(group.clone(), set().code)],
            &members,
            &actor,
            AT,
        )
        .await
        .unwrap();
        score(db, &[("SNV", 50), ("STP", 43), ("SYT", 30)], AT).await;
        let leaf = |c: &str| NodeCode::parse(c).unwrap();
        let def = SurveyDefinition {
            code: "XHH-2025".into(),
            name: "Điều tra xã hội học năm 2025".into(),
            groups: vec![
                RespondentGroup {
                    code: "LD".into(),
                    name: "Lãnh đạo".into(),
                    target: None,
                    evaluates: group.clone(),
                    kind: QuestionnaireKind::Sociological,
                    questions: vec![Question {
                        code: "C1".into(),
                        text: "Công khai, minh bạch".into(),
                        target: QuestionTarget::Leaf(leaf("2.1")),
                    }],
                    options: vec![],
                },
                RespondentGroup {
                    code: "ND".into(),
                    name: "Người dân".into(),
                    target: None,
                    evaluates: group,
                    kind: QuestionnaireKind::Sipas { leaf: leaf("2.2") },
                    questions: vec![
                        Question {
                            code: "S1".into(),
                            text: "Tiếp cận dịch vụ".into(),
                            target: QuestionTarget::Factor(Factor::Access),
                        },
                        Question {
                            code: "S2".into(),
                            text: "Thủ tục hành chính".into(),
                            target: QuestionTarget::Factor(Factor::Procedure),
                        },
                    ],
                    options: vec![],
                },
            ],
            leaves: vec![],
        };
        let survey = surveys::create(db, &admin(), &period(), &def, AT)
            .await
            .unwrap();
        let mut import = Import::begin(db, &survey, &actor, AT, "tệp thu-thap.csv")
            .await
            .unwrap();
        let mut add = async |respondent: String, group: &str, unit: &str, q: &str, a: &str| {
            let answer = NewAnswer {
                respondent: &respondent,
                group,
                unit,
                question: q,
                answer: a,
            };
            import.add(answer).await.unwrap();
        };
        for i in 0..12 {
            let snv = if i % 2 == 0 { "A" } else { "B" };
            let stp = if i % 3 == 0 { "C" } else { "A" };
            for (u, a) in [("SNV", snv), ("STP", stp), ("SYT", "D")] {
                add(format!("ld{i:02}"), "LD", u, "C1", a).await;
            }
            let snv = if i % 2 == 0 { "5" } else { "2" };
            for (u, level) in [("SNV", snv), ("STP", "4"), ("SYT", "1")] {
                for q in ["S1", "S2"] {
                    add(format!("nd{u}{i:02}"), "ND", u, q, level).await;
                }
            }
        }
        import.commit(&survey, "thu-thap.csv").await.unwrap();
        survey
    }
}

#[tokio::test]
async fn closing_a_survey_keeps_intervals_that_publishing_freezes_and_a_new_close_changes() {
    use chiso_services::publication::{self, Publish};
    use chiso_services::results;
    use small::unit;

    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        small::seed(db).await;
        let p = small::period();
        // Before the survey closes, the results carry no intervals.
        let r = results::period_report(db, &admin(), &p, None)
            .await
            .unwrap();
        assert!(r.intervals.is_none(), "[{}]", backend.name());

        surveys::close(db, &admin(), &p, "XHH-2025", AT)
            .await
            .unwrap();
        let r = results::period_report(db, &admin(), &p, None)
            .await
            .unwrap();
        let shown = r
            .intervals
            .clone()
            .expect("intervals once the survey closed");
        assert!(!shown.stale);
        assert_eq!(shown.intervals.surveys, ["XHH-2025"]);
        assert_eq!(shown.intervals.draws, surveys::DRAWS);
        for u in r.groups.iter().flat_map(|g| &g.units) {
            let i = shown.intervals.unit(&u.unit).expect("every unit");
            assert!(i.index.low <= u.index && u.index <= i.index.high, "{i:?}");
            let rank = i.rank.expect("ranked");
            let at = u.rank.unwrap();
            assert!(rank.low <= at && at <= rank.high, "{i:?}");
        }
        let syt = shown.intervals.unit(&unit("SYT")).unwrap();
        assert_eq!(syt.rank, Some(Interval { low: 3, high: 3 }));
        // SNV's leaders and citizens are divided: its survey points move with the draws,
        // its SIPAS leaf included (its leaders alone give at most 20 × 0,2 of spread).
        let snv = shown.intervals.unit(&unit("SNV")).unwrap();
        let points = snv.survey_points.unwrap();
        assert!(points.high - points.low > dec!(4), "{points:?}");
        assert!(
            shown.intervals.unsettled.iter().any(|(a, b)| {
                [a.as_str(), b.as_str()] == ["SNV", "STP"]
                    || [a.as_str(), b.as_str()] == ["STP", "SNV"]
            }),
            "{:?}",
            shown.intervals.unsettled
        );
        // The unit page carries the unit's own.
        let ur = results::unit_report(db, &admin(), &p, &unit("SNV"), None)
            .await
            .unwrap();
        assert_eq!(
            ur.intervals.unwrap().intervals.units,
            std::slice::from_ref(snv)
        );

        // A score changed since: the kept intervals are older than the results.
        let later = AT + time::Duration::hours(1);
        small::score(db, &[("STP", 20)], later).await;
        let r = results::period_report(db, &admin(), &p, None)
            .await
            .unwrap();
        assert!(r.intervals.unwrap().stale);

        // Publishing computes them again for the results it publishes, and keeps them.
        let cmd = Publish {
            period: p.clone(),
            decision: "12/QĐ-UBND".into(),
            decided_on: time::macros::date!(2026 - 01 - 05),
            reason: None,
        };
        publication::publish(db, &admin(), &cmd, later)
            .await
            .unwrap();
        let r = results::period_report(db, &admin(), &p, None)
            .await
            .unwrap();
        let published = r.intervals.clone().unwrap();
        assert!(!published.stale);
        let stp = r
            .groups
            .iter()
            .flat_map(|g| &g.units)
            .find(|u| u.unit == unit("STP"))
            .unwrap();
        let i = published.intervals.unit(&unit("STP")).unwrap();
        assert!(i.index.low <= stp.index && stp.index <= i.index.high);
        assert_eq!(i.rank, Some(Interval { low: 2, high: 2 }));
        let kept = chiso_store::intervals::load(db, &p).await.unwrap().unwrap();
        assert_eq!(kept.intervals, published.intervals);

        // A correction: STP's data change and the survey is closed again; its new intervals
        // are kept, while the published version shows those it was published with.
        let latest = later + time::Duration::hours(1);
        publication::open_correction(db, &admin(), &p, "Sửa số liệu Sở Tư pháp", latest)
            .await
            .unwrap();
        small::score(db, &[("STP", 60)], latest).await;
        surveys::close(db, &admin(), &p, "XHH-2025", latest)
            .await
            .unwrap();
        let again = chiso_store::intervals::load(db, &p).await.unwrap().unwrap();
        assert_ne!(again.intervals, published.intervals);
        assert_eq!(
            again.intervals.unit(&unit("STP")).unwrap().rank,
            Some(Interval { low: 1, high: 1 })
        );
        let r = results::period_report(db, &admin(), &p, None)
            .await
            .unwrap();
        assert_eq!(r.intervals.unwrap().intervals, published.intervals);
        let ur = results::unit_report(db, &admin(), &p, &unit("SYT"), Some(1))
            .await
            .unwrap();
        assert_eq!(
            ur.intervals.unwrap().intervals.units,
            [published.intervals.unit(&unit("SYT")).unwrap().clone()]
        );
        t.drop_database().await;
    }
}
