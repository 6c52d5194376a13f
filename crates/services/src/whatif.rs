//! What-if for a unit (giả định): its people (and the period's staff, for any unit) try other
//! points on the leaves it could improve and read the total, index, class and rank it would
//! get, every other unit staying as it is. Nothing is written anywhere.
//!
//! The starting point is the latest published version when the period has one (public
//! figures, the ones the unit is judged by), else the results as last computed, which the unit
//! already reads as its own. The recomputation is the domain engine's
//! ([`chiso_domain::whatif`]).

use std::sync::Arc;

use chiso_domain::authz::{Principal, Role, may_read_unpublished};
use chiso_domain::points::parse_decimal;
use chiso_domain::whatif::{self, Improvable, WhatIf, WhatIfError};
use chiso_domain::{IndexSet, NodeCode, PeriodCode, UnitCode, UnitResult};
use chiso_store::publications::{self, Publication};
use chiso_store::{Db, index_sets, periods, results};
use rust_decimal::Decimal;

use crate::codes;
use crate::error::{ServiceError, ServiceResult};
use crate::records::Period;

/// Longest value accepted in one points field.
pub const MAX_POINTS_LEN: usize = 32;

/// What a what-if starts from.
#[derive(Debug, Clone)]
pub struct WhatIfBasis {
    /// The period.
    pub period: Period,
    /// The published version started from; `None` for the results as last computed.
    pub publication: Option<Publication>,
    /// The index set of the unit's group.
    pub set: Arc<IndexSet>,
    /// Every unit the period scored with that set (the unit's group among them).
    pub results: Vec<UnitResult>,
    /// The unit's result.
    pub unit: UnitResult,
}

impl WhatIfBasis {
    /// The leaves the unit may try other points on, in tree order.
    pub fn improvable(&self) -> Vec<Improvable> {
        whatif::improvable(&self.set, &self.unit)
    }

    /// The improvable leaves with the most points at stake first.
    pub fn most_at_stake(&self) -> Vec<Improvable> {
        whatif::most_at_stake(&self.set, &self.unit)
    }
}

/// Whether `viewer` may try what-ifs on `unit`: its officer or leader, or the staff (the
/// administrator, the council, appraisers, observers). On published results, which anybody
/// reads, a role held in any period will do; before publication, one for that period.
fn allowed(
    viewer: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    published: bool,
) -> ServiceResult<()> {
    if viewer.grants.is_empty() {
        return Err(ServiceError::new(codes::DENIED_NO_ROLE));
    }
    let staff = if published {
        viewer.grants.iter().any(|g| {
            matches!(
                g.role,
                Role::Admin | Role::CouncilChair | Role::Appraiser { .. } | Role::Observer
            )
        })
    } else {
        may_read_unpublished(viewer, period)
    };
    let own = viewer.grants.iter().any(|g| {
        (published || g.applies_to(Some(period)))
            && matches!(&g.role, Role::UnitOfficer { unit: u } | Role::UnitLeader { unit: u } if u == unit)
    });
    if staff || own {
        return Ok(());
    }
    Err(ServiceError::new(codes::DENIED_OTHER_UNIT).arg("unit", unit))
}

/// Whether `viewer` may try what-ifs on `unit` in `period` (`published` when the period has a
/// published version), so that pages offer the link only to them.
pub fn may_try(viewer: &Principal, period: &PeriodCode, unit: &UnitCode, published: bool) -> bool {
    allowed(viewer, period, unit, published).is_ok()
}

/// The starting point of a what-if on `unit` in `period` for `viewer`; see the module's
/// documentation. `period_not_found`, `results_not_published` (nothing computed),
/// `unit_not_in_period`, `denied_*`.
#[tracing::instrument(skip_all, fields(period = %code, unit = %unit))]
pub async fn basis(
    db: &Db,
    viewer: &Principal,
    code: &PeriodCode,
    unit: &UnitCode,
) -> ServiceResult<WhatIfBasis> {
    let period = periods::get(db, code)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code))?;
    let not_in_period = || {
        ServiceError::new(codes::UNIT_NOT_IN_PERIOD)
            .arg("period", code)
            .arg("unit", unit)
    };
    let latest = publications::versions(db, code).await?.pop();
    allowed(viewer, code, unit, latest.is_some())?;
    let (publication, set, all) = match latest {
        Some(p) => {
            let all = publications::results(db, code, p.version).await?;
            let mine = all
                .iter()
                .find(|u| &u.unit == unit)
                .ok_or_else(not_in_period)?;
            let groups = publications::groups(db, code, p.version).await?;
            let set_of = |g: &chiso_domain::GroupName| {
                groups
                    .iter()
                    .find(|pg| &pg.group == g)
                    .and_then(|pg| pg.set.as_ref())
            };
            let set = set_of(&mine.group).cloned().ok_or_else(not_in_period)?;
            let same: Vec<UnitResult> = all
                .iter()
                .filter(|u| set_of(&u.group).is_some_and(|s| s.code == set.code))
                .cloned()
                .collect();
            (Some(p), set, same)
        }
        None => {
            let stored = results::load(db, code).await?.ok_or_else(|| {
                ServiceError::new(codes::RESULTS_NOT_PUBLISHED).arg("period", code)
            })?;
            let mine = stored
                .units
                .iter()
                .find(|u| &u.unit == unit)
                .ok_or_else(not_in_period)?;
            let groups = periods::groups(db, code).await?;
            let set_code = groups
                .iter()
                .find(|(g, _)| g == &mine.group)
                .map(|(_, s)| s.clone())
                .ok_or_else(not_in_period)?;
            let set = index_sets::get(db, &set_code)
                .await?
                .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", &set_code))?;
            let same_groups: Vec<_> = groups
                .iter()
                .filter(|(_, s)| s == &set_code)
                .map(|(g, _)| g)
                .collect();
            let same: Vec<UnitResult> = stored
                .units
                .into_iter()
                .filter(|u| same_groups.contains(&&u.group))
                .collect();
            (None, set, same)
        }
    };
    let unit = all
        .iter()
        .find(|u| &u.unit == unit)
        .cloned()
        .ok_or_else(not_in_period)?;
    Ok(WhatIfBasis {
        period,
        publication,
        set: Arc::new(set),
        results: all,
        unit,
    })
}

/// The form field of a leaf's hypothetical points.
pub fn field_of(leaf: &NodeCode) -> String {
    format!("p-{leaf}")
}

/// Reads the hypothetical points typed for the improvable leaves (`field → value`, as
/// [`field_of`] names the fields): empty fields keep the leaf's points, other fields are
/// ignored. Every mistake is returned at once, each naming its field.
pub fn read_changes(
    basis: &WhatIfBasis,
    form: &[(String, String)],
) -> Result<Vec<(NodeCode, Decimal)>, Vec<ServiceError>> {
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for leaf in basis.improvable() {
        let field = field_of(&leaf.code);
        let Some((_, raw)) = form.iter().find(|(k, _)| k == &field) else {
            continue;
        };
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let refuse = || {
            ServiceError::new(codes::WHATIF_POINTS_INVALID)
                .arg("field", &field)
                .arg("leaf", &leaf.code)
                .arg(
                    "value",
                    raw.chars().take(MAX_POINTS_LEN).collect::<String>(),
                )
                .arg("max", leaf.max)
        };
        match parse_decimal(raw).filter(|_| raw.len() <= MAX_POINTS_LEN) {
            Some(p) if p >= Decimal::ZERO && p <= leaf.max.0 => {
                if p != leaf.points.0 {
                    changes.push((leaf.code.clone(), p));
                }
            }
            _ => errors.push(refuse()),
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// The unit's result with `changes` applied (see [`chiso_domain::whatif::what_if`]).
pub fn run(basis: &WhatIfBasis, changes: &[(NodeCode, Decimal)]) -> ServiceResult<WhatIf> {
    whatif::what_if(&basis.set, &basis.results, &basis.unit.unit, changes).map_err(|e| match e {
        WhatIfError::OutOfRange { leaf, max } => ServiceError::new(codes::WHATIF_POINTS_INVALID)
            .arg("field", field_of(&leaf))
            .arg("value", "")
            .arg("leaf", &leaf)
            .arg("max", max),
        WhatIfError::NotImprovable(leaf) => ServiceError::new(codes::WHATIF_LEAF_NOT_IMPROVABLE)
            .arg("field", field_of(&leaf))
            .arg("leaf", &leaf),
        WhatIfError::UnknownUnit(u) => ServiceError::new(codes::UNIT_NOT_IN_PERIOD)
            .arg("period", &basis.period.code)
            .arg("unit", u),
        WhatIfError::SetMismatch(u) => ServiceError::new(codes::WHATIF_SET_CHANGED).arg("unit", u),
        e @ WhatIfError::Score(_) => ServiceError::internal(e),
    })
}
