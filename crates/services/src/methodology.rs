//! How a period's results were computed, for its public methodology page: each group's
//! index set (the tree with its maxima, rules and class bands) as the results shown were
//! scored under, the previous period's bands to compare with, and the period's survey
//! definitions (answer options and their weights, minimum answers per leaf).
//!
//! Readable like the results: by anybody once the period is published (from the published
//! snapshot, so later edits of a set never change what a published year says), before that by
//! the period's staff only (domain.md §2, step 8).

use std::sync::Arc;

use chiso_domain::authz::{Principal, may_read_unpublished};
use chiso_domain::questionnaire::SurveyDefinition;
use chiso_domain::{GroupName, IndexSet, PeriodCode};
use chiso_store::{Db, periods, publications, surveys};

use crate::error::ServiceResult;
use crate::records::Period;
use crate::results::{Source, as_published, get_period, load_sets, not_published, publication_of};

/// One group and the set it is scored under.
#[derive(Debug, Clone)]
pub struct GroupMethod {
    /// The group.
    pub group: GroupName,
    /// Its index set, when known.
    pub set: Option<Arc<IndexSet>>,
}

/// The previous period's sets, to compare class bands with.
#[derive(Debug, Clone)]
pub struct PreviousMethod {
    /// Name of the previous period as published.
    pub name: String,
    /// Its year.
    pub year: i32,
    /// Its groups and sets as published.
    pub groups: Vec<GroupMethod>,
}

/// What the methodology page of a period shows.
#[derive(Debug, Clone)]
pub struct Methodology {
    /// The period (as published, when it is).
    pub period: Period,
    /// The published version the sets come from, or the live sets for staff before
    /// publication.
    pub source: Source,
    /// Each group with its set, in the order of the period's plan.
    pub groups: Vec<GroupMethod>,
    /// The previous period's sets, when it is published.
    pub previous: Option<PreviousMethod>,
    /// The period's surveys, as defined.
    pub surveys: Vec<SurveyDefinition>,
}

/// The latest published sets of `code`, if it is published.
async fn published_groups(db: &Db, code: &PeriodCode) -> ServiceResult<Option<PreviousMethod>> {
    let Some((shown, _)) = publication_of(db, code, None).await? else {
        return Ok(None);
    };
    let groups = publications::groups(db, code, shown.version)
        .await?
        .into_iter()
        .map(|g| GroupMethod {
            group: g.group,
            set: g.set.map(Arc::new),
        })
        .collect();
    Ok(Some(PreviousMethod {
        name: shown.period_name,
        year: shown.year,
        groups,
    }))
}

/// The methodology of `code` (version `version` when published, latest when `None`) as
/// `viewer` may read it: `period_not_found`, `results_not_published` (anybody but the staff
/// before publication), `publication_version_not_found`.
#[tracing::instrument(skip_all, fields(period = %code))]
pub async fn methodology(
    db: &Db,
    viewer: &Principal,
    code: &PeriodCode,
    version: Option<i64>,
) -> ServiceResult<Methodology> {
    let period = get_period(db, code).await?;
    let (period, source, groups) = match publication_of(db, code, version).await? {
        Some((shown, versions)) => {
            let groups = publications::groups(db, code, shown.version)
                .await?
                .into_iter()
                .map(|g| GroupMethod {
                    group: g.group,
                    set: g.set.map(Arc::new),
                })
                .collect();
            (
                as_published(period, &shown),
                Source::Published {
                    shown: Box::new(shown),
                    versions,
                },
                groups,
            )
        }
        None => {
            if !may_read_unpublished(viewer, code) {
                return Err(not_published(code));
            }
            let assignments = periods::groups(db, code).await?;
            let sets = load_sets(db, &assignments).await?;
            let groups = assignments
                .iter()
                .map(|(group, set)| GroupMethod {
                    group: group.clone(),
                    set: sets.get(set).cloned(),
                })
                .collect();
            (period, Source::Confidential { own_only: false }, groups)
        }
    };
    let previous = match &period.previous {
        Some(p) => published_groups(db, p).await?,
        None => None,
    };
    let surveys = surveys::list(db, code)
        .await?
        .into_iter()
        .map(|s| s.definition)
        .collect();
    Ok(Methodology {
        period,
        source,
        groups,
        previous,
        surveys,
    })
}
