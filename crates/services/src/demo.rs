//! Loading the demo province "Tỉnh Mẫu": its units and lineage, each year's index sets, the
//! periods with their groups and raw inputs, then each period computed in order so that every
//! result on screen comes from the engine, never from typed-in figures. The year after the
//! last published one is left in progress, its self-assessment window open on the day the
//! demo is loaded, so the assessment cycle can be tried at once; it is scored with its own
//! year's sets, whose deadlines fall in that year.

use chiso_demo::DemoProvince;
use chiso_domain::workflow::{Milestones, vn_day_end, vn_day_start};
use chiso_store::{Actor, Db, index_sets, milestones, periods, scores, settings, units};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::codes;
use crate::compute::compute_period;
use crate::error::{ServiceError, ServiceResult};

/// Erases all data and loads the demo province. Returns the number of periods computed (the
/// period left in progress is not counted).
#[tracing::instrument(skip_all)]
pub async fn load_demo(db: &Db, at: OffsetDateTime) -> ServiceResult<usize> {
    let demo: DemoProvince = chiso_demo::province();
    let actor = Actor("demo".to_owned());
    db.reset().await?;
    settings::set(db, settings::DEMO, "true", &actor, at).await?;
    units::upsert_many(db, &demo.units, &demo.lineage, &actor, at).await?;
    for set in &demo.sets {
        index_sets::save(db, set, &actor, at).await?;
    }
    for p in &demo.periods {
        let period = periods::Period {
            code: p.code.clone(),
            year: p.year,
            name: p.name.clone(),
            previous: p.previous.clone(),
            status: periods::STATUS_DRAFT.to_owned(),
            decision: None,
            computed_at: None,
        };
        periods::create(db, &period, &actor, at).await?;
        periods::set_groups(db, &p.code, &p.groups, &p.members, &actor, at).await?;
        let changes: Vec<scores::ScoreChange> = p
            .inputs
            .iter()
            .flat_map(|u| {
                u.values.iter().map(|(node, input)| scores::ScoreChange {
                    unit: u.unit.clone(),
                    node: node.clone(),
                    input: Some(input.clone()),
                    points: None,
                    note: None,
                    expected_version: None,
                })
            })
            .collect();
        scores::put(db, &p.code, &changes, &actor, at, "Dữ liệu mẫu").await?;
    }
    let mut ordered: Vec<_> = demo.periods.iter().collect();
    ordered.sort_by_key(|p| p.year);
    for (i, p) in ordered.iter().enumerate() {
        compute_period(db, &p.code, &actor, at).await?;
        // Each year's results were published by decision in the first half of the next year
        // (the numbers are fictional, like the province).
        let period = periods::get(db, &p.code)
            .await?
            .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", &p.code))?;
        let month = u8::try_from(3 + i % 3).unwrap_or(3);
        let day = u8::try_from(10 + i % 18).unwrap_or(10);
        let decided_on = Date::from_calendar_date(
            p.year + 1,
            Month::try_from(month).map_err(ServiceError::internal)?,
            day,
        )
        .map_err(ServiceError::internal)?;
        let decision = crate::publication::Decision {
            number: format!("{}/QĐ-UBND", 412 + 37 * i),
            decided_on,
            reason: None,
            file: None,
        };
        crate::publication::write(db, &period, &decision, &actor, at).await?;
    }
    for set in &demo.sets {
        index_sets::freeze(db, &set.code, &actor, at).await?;
    }
    open_period(db, &demo.open, &actor, at).await?;
    crate::surveys::load_demo_survey(db, &demo.open.code, at).await?;
    Ok(ordered.len())
}

/// The year after the last published one (its groups, sets and units, no inputs), in its
/// self-assessment window: opened two weeks before `at`, closing at the end of the 16th day
/// after it, then appraisal, explanation, approval and publication over the following three
/// months.
async fn open_period(
    db: &Db,
    open: &chiso_demo::DemoPeriod,
    actor: &Actor,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let code = open.code.clone();
    let period = periods::Period {
        code: code.clone(),
        year: open.year,
        name: open.name.clone(),
        previous: open.previous.clone(),
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &period, actor, at).await?;
    periods::set_groups(db, &code, &open.groups, &open.members, actor, at).await?;
    let today = at.to_offset(chiso_domain::workflow::VN_OFFSET).date();
    let day = |n: i64| today + Duration::days(n);
    let plan = Milestones {
        self_open: Some(vn_day_start(day(-14))),
        self_close: Some(vn_day_end(day(16))),
        appraisal_open: Some(vn_day_start(day(17))),
        appraisal_close: Some(vn_day_end(day(46))),
        explanation_open: Some(vn_day_start(day(47))),
        explanation_close: Some(vn_day_end(day(56))),
        approval: Some(vn_day_start(day(70))),
        publication: Some(vn_day_start(day(90))),
    };
    milestones::set_all(db, &code, &plan, actor, at).await?;
    Ok(())
}
